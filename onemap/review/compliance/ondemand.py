"""Reports of stored reviews, rendered on first download: the API answers a review in milliseconds and the
PDF/Word report (seconds of work) is only made when someone asks for it.

The project is reviewed again at the layer versions the stored result names, and the report shows the
stored ``result.json`` exactly; files are kept under ``<data_dir>/projects/<id>/<result id>/``.
"""

from __future__ import annotations

import threading
from pathlib import Path

from onemap.errors import NotFoundError
from onemap.review.compliance.boundary import from_geojson, validate
from onemap.review.compliance.context import ReviewContext
from onemap.review.compliance.history import StoredResult
from onemap.review.compliance.service import review_project
from onemap.store import Store

REPORT_FILES = {"report.pdf": "application/pdf",
                "report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "result.json": "application/json"}
_LOCK = threading.Lock()  # one rendering at a time: two downloads of a new report render it once


def pinned_versions(store_version: str) -> dict[str, int]:
    """``DLTB@3;STBHHX@1`` → {"DLTB": 3, "STBHHX": 1}."""
    pairs = (item.rsplit("@", 1) for item in store_version.split(";") if "@" in item)
    return {name: int(version) for name, version in pairs if version.isdigit()}


def report_file(store: Store, stored: StoredResult, name: str, root: Path) -> Path:
    """The report file ``name`` of a stored result: the one written with it, else rendered now (once)."""
    if name not in REPORT_FILES:
        raise NotFoundError(f"报告文件不存在:{name}", f"no report file {name}")
    if stored.report_dir and (Path(stored.report_dir) / name).is_file():
        return Path(stored.report_dir) / name
    folder = root / stored.project_id / str(stored.id)
    with _LOCK:
        if not (folder / name).is_file():
            _render(store, stored, folder, pdf=name == "report.pdf")
    return folder / name


def _render(store: Store, stored: StoredResult, folder: Path, *, pdf: bool) -> None:
    from onemap.review.compliance.report import write_report

    boundary = validate(from_geojson(stored.boundary))
    context = ReviewContext(store, versions=pinned_versions(stored.store_version))
    review = review_project(store, boundary, project_id=stored.project_id, context=context)
    review.result = stored.document  # the report shows the stored result, not a new computation
    write_report(review, folder, pdf=pdf, docx=True)
