"""Constants and readers shared by the sample-county tests."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from onemap.sample import SampleCounty

PARCELS = 2000
SEED = 7


def read_layer(county: SampleCounty, layer: str):
    """A layer of sample.gpkg as a GeoDataFrame."""
    return pyogrio.read_dataframe(Path(county.out_dir) / "sample.gpkg", layer=layer)


def read_monitoring(county: SampleCounty, layer: str):
    """A layer of 监测.gpkg (JSXM, BGTB) as a GeoDataFrame."""
    return pyogrio.read_dataframe(Path(county.out_dir) / "监测.gpkg", layer=layer)
