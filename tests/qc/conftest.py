"""Session fixtures: one generated sample county and a defective copy of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onemap.config import get_settings
from onemap.qc.defects import ExpectedFinding, inject_defects
from onemap.sample import generate_county


@pytest.fixture(scope="session")
def sample_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean 2000-parcel sample county (sample.gpkg)."""
    out = tmp_path_factory.mktemp("county")
    generate_county(out, parcels=2000, seed=1, formats=("gpkg",))
    return out / "sample.gpkg"


@pytest.fixture(scope="session")
def defective(sample_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ExpectedFinding]]:
    """The sample with known defects planted, and what QC must find."""
    out = tmp_path_factory.mktemp("defects") / "defects.gpkg"
    return out, inject_defects(sample_gpkg, out, seed=7)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are read once per process: a test that sets ``ONEMAP_QC_EXTRA`` must see it, and only it."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
