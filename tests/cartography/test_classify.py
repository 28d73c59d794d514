"""Classification: numeric classes equal mapclassify's, unique values take the standard colours."""

from __future__ import annotations

import mapclassify
import numpy as np
import pandas as pd
import pytest

from onemap.cartography.classify import NO_DATA, classify, natural_breaks
from onemap.cartography.template import Classification

RNG = np.random.default_rng(7)
VALUES = np.round(RNG.lognormal(7, 1.2, 600), 2)


@pytest.mark.parametrize(("method", "scheme"), [("quantiles", mapclassify.Quantiles),
                                                ("equal_interval", mapclassify.EqualInterval),
                                                ("natural_breaks", mapclassify.FisherJenks)])
def test_numeric_classes_equal_mapclassify(method: str, scheme) -> None:
    expected = scheme(VALUES, k=5)
    result = classify(pd.DataFrame({"TBMJ": VALUES}), Classification(method=method, field="TBMJ", classes=5))
    np.testing.assert_allclose(result.bins, expected.bins)
    assert [e.count for e in result.entries] == list(expected.counts)
    # every feature has the colour of its mapclassify class
    palette = np.array([e.colour for e in result.entries])
    np.testing.assert_allclose(result.colours, palette[expected.yb])


def test_natural_breaks_on_large_inputs_are_deterministic_and_close_to_jenks() -> None:
    values = RNG.gamma(2.0, 500.0, 20_000)
    first, second = natural_breaks(values, 5), natural_breaks(values.copy(), 5)
    assert first == second and first[-1] == values.max()
    fit = mapclassify.UserDefined(values, first[:-1]).gadf  # goodness of absolute deviation fit
    assert fit > mapclassify.Quantiles(values, k=5).gadf and fit > mapclassify.EqualInterval(values, k=5).gadf


def test_unique_values_use_the_standard_sandiao_colours_and_names() -> None:
    frame = pd.DataFrame({"DLBM": ["0101", "0101", "0103", "0201K", None]})
    result = classify(frame, Classification(method="unique", field="DLBM"))
    labels = {e.label: e for e in result.entries}
    assert labels["0101 水田"].count == 2 and labels["0103 旱地"].count == 1
    assert tuple(round(c * 255) for c in labels["0101 水田"].colour[:3]) == (168, 230, 207)  # sandiao_colors.csv
    assert tuple(round(c * 255) for c in result.colours[3][:3]) == (245, 196, 110)  # 0201K falls back to 0201
    assert NO_DATA in labels


def test_unique_values_of_ydyh_codes_use_the_ydyh_palette() -> None:
    result = classify(pd.DataFrame({"YDYHFLDM": ["0701", "1001"]}), Classification(method="unique",
                                                                                   field="YDYHFLDM"))
    assert [e.label for e in result.entries] == ["0701 城镇住宅用地", "1001 工业用地"]
    assert tuple(round(c * 255) for c in result.entries[0].colour[:3]) == (255, 209, 128)


def test_numeric_without_numbers_is_refused_and_missing_values_are_no_data() -> None:
    with pytest.raises(Exception, match="没有数值"):
        classify(pd.DataFrame({"X": ["a", "b"]}), Classification(method="quantiles", field="X"))
    result = classify(pd.DataFrame({"X": [1.0, 2.0, 3.0, None]}), Classification(method="equal_interval", field="X",
                                                                                 classes=2))
    assert result.entries[-1].label == NO_DATA and result.entries[-1].count == 1
