"""Same seed and parameters → identical data; another seed → another county."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

from onemap.sample import build_county, generate_county
from tests.sample.support import PARCELS, SEED, read_layer


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


def test_hash_randomisation_does_not_matter(gpkg_county, tmp_path):
    """Another interpreter with another PYTHONHASHSEED writes the same parcels."""
    script = ("from pathlib import Path; import sys; from onemap.sample import generate_county; "
              f"generate_county(Path(sys.argv[1]), parcels={PARCELS}, seed={SEED}, formats=('gpkg',))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, env=env, cwd=Path(__file__).parents[2])
    first = read_layer(gpkg_county, "DLTB")
    second = pyogrio.read_dataframe(tmp_path / "sample.gpkg", layer="DLTB")
    pd.testing.assert_frame_equal(first.drop(columns="geometry"), second.drop(columns="geometry"))
    assert first.geometry.geom_equals_exact(second.geometry, tolerance=0).all()
