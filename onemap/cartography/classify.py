"""分类设色: unique values by code with the standard colours, or numeric classes via mapclassify.

Natural breaks are Fisher–Jenks (the optimal Jenks breaks): exact up to ``JENKS_EXACT_LIMIT`` values
(pure Python without numba: about 1 s there), and computed on that many evenly spaced quantiles of the
values beyond (Fisher–Jenks is O(k·n²)), so the same data always gives the
same breaks (mapclassify's NaturalBreaks is k-means with random starts).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LinearSegmentedColormap, to_rgba

from onemap.cartography.config import palette_colours, palette_for_field, palettes, ramps
from onemap.cartography.template import Classification
from onemap.errors import InputError
from onemap.standards.registry import get_table

JENKS_EXACT_LIMIT = 1_000
NO_DATA = "无数据"
NO_DATA_COLOUR = (0.85, 0.85, 0.85, 1.0)
Colour = tuple[float, float, float, float]


@dataclass
class LegendEntry:
    """One class of the legend: its label, colour and number of features."""

    label: str
    colour: Colour
    count: int
    edge: str | None = None  # the swatch's outline when the layer is drawn by its outline (界线)

    def to_dict(self) -> dict:
        """JSON form (colour as #RRGGBB)."""
        r, g, b, _ = (round(c * 255) for c in self.colour)
        return {"label": self.label, "colour": f"#{r:02x}{g:02x}{b:02x}", "count": self.count, "edge": self.edge}


@dataclass
class Classified:
    """The colour of every feature (RGBA 0–1, one row each), the legend and the class breaks (numeric)."""

    colours: np.ndarray
    entries: list[LegendEntry]
    bins: list[float] | None = None


def classify(frame: pd.DataFrame, spec: Classification) -> Classified:
    """Colour the features of ``frame`` as ``spec`` says."""
    if spec.method == "single":
        colour = to_rgba(spec.colour)
        return Classified(np.tile(colour, (len(frame), 1)), [LegendEntry("", colour, len(frame))])
    if spec.field not in frame.columns:
        raise InputError(f"分类字段 {spec.field} 不存在", f"no field {spec.field}")
    if spec.method == "unique":
        return _unique(frame[spec.field], spec)
    return _numeric(frame[spec.field], spec)


def _lookup(code: str, table: dict[str, tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    # DLBM with a K/A suffix (0201K) falls back to 0201, an unknown 二级类 to its 一级类 (02).
    for candidate in (code, code[:4], code[:2]):
        if candidate in table:
            return table[candidate]
    return None


def _code_names(palette: str | None) -> dict[str, str]:
    if palette is None:
        return {}
    return get_table(palettes()[palette]["names"]).mapping("name_zh")


def _unique(values: pd.Series, spec: Classification) -> Classified:
    codes = values.astype("string").fillna("").str.strip().to_numpy(dtype=object)
    palette = spec.palette or palette_for_field(spec.field or "")
    table = palette_colours(palette) if palette else {}
    names = _code_names(palette)
    present = sorted(set(codes))
    fallback = colormaps["tab20"]
    chosen: dict[str, tuple[float, float, float, float]] = {}
    for i, code in enumerate(present):
        rgba = _lookup(code, table) if table else None
        chosen[code] = tuple(c / 255 for c in rgba) if rgba else (to_rgba(spec.colour) if table else fallback(i % 20))
    colours = np.array([chosen[c] for c in codes]) if len(codes) else np.zeros((0, 4))
    counts = pd.Series(codes).value_counts()
    entries = [LegendEntry(_code_label(code, names), chosen[code], int(counts[code])) for code in present]
    return Classified(colours, entries)


def _code_label(code: str, names: dict[str, str]) -> str:
    if not code:
        return NO_DATA
    name = names.get(code) or names.get(code[:4]) or ""
    return f"{code} {name}".strip()


def natural_breaks(values: np.ndarray, k: int) -> list[float]:
    """Fisher–Jenks upper bounds of ``k`` classes (deterministic; sampled by quantiles on large inputs)."""
    sample = values
    if len(values) > JENKS_EXACT_LIMIT:
        sample = np.quantile(values, np.linspace(0, 1, JENKS_EXACT_LIMIT))
    with warnings.catch_warnings():  # without numba mapclassify warns that it runs pure Python (fine at this size)
        warnings.simplefilter("ignore", UserWarning)
        bins = list(mapclassify.FisherJenks(sample, k=k).bins)
    bins[-1] = float(values.max())
    return [float(b) for b in bins]


def class_bins(values: np.ndarray, method: str, k: int) -> list[float]:
    """Upper bounds of the classes of ``values`` by ``method`` (k reduced to the number of distinct values)."""
    k = max(1, min(k, len(np.unique(values))))
    if k == 1:
        return [float(values.max())]
    if method == "natural_breaks":
        return natural_breaks(values, k)
    scheme = mapclassify.Quantiles if method == "quantiles" else mapclassify.EqualInterval
    return [float(b) for b in scheme(values, k=k).bins]


def _fmt(value: float) -> str:
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _numeric(values: pd.Series, spec: Classification) -> Classified:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(numbers)
    if not valid.any():
        raise InputError(f"分类字段 {spec.field} 没有数值,不能分级设色", f"{spec.field}: no numeric values")
    bins = class_bins(numbers[valid], spec.method, spec.classes)
    ramp = LinearSegmentedColormap.from_list(spec.ramp, ramps()[spec.ramp])
    palette = [tuple(ramp(x)) for x in np.linspace(0, 1, len(bins))]
    index = np.searchsorted(np.asarray(bins), numbers[valid], side="left").clip(0, len(bins) - 1)
    colours = np.tile(NO_DATA_COLOUR, (len(numbers), 1))
    colours[valid] = np.asarray(palette)[index]
    counts = np.bincount(index, minlength=len(bins))
    lower = float(numbers[valid].min())
    entries = []
    for i, upper in enumerate(bins):
        entries.append(LegendEntry(f"{_fmt(lower)} – {_fmt(upper)}", palette[i], int(counts[i])))
        lower = upper
    if (~valid).any():
        entries.append(LegendEntry(NO_DATA, NO_DATA_COLOUR, int((~valid).sum())))
    return Classified(colours, entries, bins)
