"""The sample county for map tests: generated once, imported into a store (DLTB, XZQ, CJDCQ, GHYDYH)."""

from __future__ import annotations

from pathlib import Path

from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.store import open_store

LAYERS = ("DLTB", "XZQ", "CJDCQ", "GHYDYH")
TOWNSHIP, OTHER_TOWNSHIP, COUNTY = "341799101", "341799102", "341799"


def sample_county(folder: Path) -> Path:
    """Write the sample county (1,500 parcels) into ``folder``; returns its GeoPackage."""
    county = generate_county(folder / "county", parcels=1500, seed=3, formats=("gpkg",))
    return county.files["gpkg"][0]


def import_county(sample: Path, store_url: str, layers: tuple[str, ...] = LAYERS) -> None:
    """Import the map layers of the sample county into ``store_url``."""
    with open_store(store_url) as store:
        for layer in layers:
            import_path(sample, store, ImportOptions(layer=layer, year=2019))
