"""Session fixtures: one generated sample county and a defective copy of it."""

from __future__ import annotations

from pathlib import Path

import pytest

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
