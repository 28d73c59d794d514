"""Writers of a QC run's outputs: qc.json, errors.xlsx, errors.gpkg, report.html and report.pdf."""

from __future__ import annotations

from pathlib import Path

from onemap.qc.dataset import Dataset
from onemap.qc.model import QCResult
from onemap.qc.output.files import write_gpkg, write_json, write_xlsx
from onemap.qc.output.report import write_report


def write_all(result: QCResult, dataset: Dataset | None, out_dir: Path, *, pdf: bool = True) -> dict[str, Path]:
    """Write every output into ``out_dir``; returns name → path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"qc.json": write_json(result, out_dir / "qc.json"),
             "errors.xlsx": write_xlsx(result, out_dir / "errors.xlsx"),
             "errors.gpkg": write_gpkg(result, out_dir / "errors.gpkg")}
    paths.update(write_report(result, dataset, out_dir, pdf=pdf))
    return paths
