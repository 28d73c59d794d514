"""Same seed and parameters → identical data; another seed → another county."""

from __future__ import annotations

import pandas as pd
import pyogrio
import shapely

from onemap.sample import build_county, generate_county
from tests.sample.conftest import PARCELS, SEED, read_layer


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if not c.startswith("_")]]


def test_same_seed_gives_identical_layers_in_memory(county_data):
    again = build_county(parcels=PARCELS, seed=SEED)
    for code, frame in county_data.layers.items():
        other = again.layers[code]
        pd.testing.assert_frame_equal(_public(frame).drop(columns="geometry"), _public(other).drop(columns="geometry"))
        assert (shapely.to_wkb(frame["geometry"].to_numpy()) == shapely.to_wkb(other["geometry"].to_numpy())).all()


def test_same_seed_gives_equal_files(gpkg_county, tmp_path):
    again = generate_county(tmp_path, parcels=PARCELS, seed=SEED, formats=("gpkg",))
    for layer in ("DLTB", "GHFQ", "BGTB", "JSXM"):
        first, second = read_layer(gpkg_county, layer), read_layer(again, layer)
        pd.testing.assert_frame_equal(first.drop(columns="geometry"), second.drop(columns="geometry"))
        assert first.geometry.geom_equals_exact(second.geometry, tolerance=0).all()


def test_other_seed_gives_another_county(gpkg_county, tmp_path):
    other = generate_county(tmp_path, parcels=PARCELS, seed=SEED + 1, formats=("gpkg",))
    first, second = read_layer(gpkg_county, "DLTB"), read_layer(other, "DLTB")
    same_length = len(first) == len(second)
    assert not same_length or not first.geometry.geom_equals_exact(second.geometry, tolerance=0).all()
    assert pyogrio.read_info(other.out_dir / "sample.gpkg", layer="DLTB")["features"] == other.layers["DLTB"]
