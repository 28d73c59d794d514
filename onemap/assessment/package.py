"""The files of an assessment: the report (PDF, DOCX), ``assessment.json``, and the export package for the upper
node (上报成果包).

The package is one zip: ``values.csv`` (UTF-8 with BOM, for Excel) and ``values.json`` with every TD/T 1063
value and its provenance (status, layer versions, formula version, who, when), ``assessment.json`` (grades,
targets, trends), both reports, and ``manifest.json`` listing each file with its size and SHA-256. SHA-256,
not SM3: onemap has no GM/T 0004 implementation yet; the manifest names the algorithm so a receiving node
knows what to recompute.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from onemap import __version__
from onemap.assessment.criteria import Grading
from onemap.assessment.model import SOURCE_ZH, Assessment
from onemap.assessment.report import (
    Figures,
    grades_png,
    map_template,
    report_context,
    trends_png,
    write_docx,
    write_pdf,
)
from onemap.errors import InputError, OnemapError
from onemap.store import Store

PACKAGE_FORMAT = "onemap-tijian-package/1"
CHECKSUM = "SHA-256"
VALUE_COLUMNS = ("code", "name", "dimension", "category", "unit", "attribute", "value", "source", "target",
                 "target_year", "expected", "grade", "reason", "trend", "formula_version", "layers", "actor", "at")
Progress = Callable[[int, str], None]


@dataclass
class Outputs:
    """The files written for one assessment."""

    pdf: Path
    docx: Path
    json: Path
    package: Path
    map_note: str


def stem(assessment: Assessment) -> str:
    """The ASCII stem of the files: ``assessment-<region>-<year>``."""
    return f"assessment-{assessment.region}-{assessment.year}"


def region_map(store: Store, assessment: Assessment, readable: Callable[[str], bool] | None,
               folder: Path) -> tuple[bytes | None, str]:
    """The region's control-line map as PNG, or None and why not (no readable layer, no boundary); the layer
    versions drawn go to ``assessment.map_layers`` (who may read the report depends on them too)."""
    from onemap.cartography import MapRequest, render_map
    from onemap.cartography.template import parse_template

    present = {e.meta.name for e in store.catalog() if readable is None or readable(e.meta.name)}
    template = map_template(present)
    if template is None:
        return None, "无可读的行政区或控制线图层,未绘制区域图。"
    try:
        drawn = render_map(store, MapRequest(parse_template(template), region=assessment.region,
                                             as_of=date(assessment.year, 12, 31)), folder, stem="region-map")
    except OnemapError as exc:
        return None, f"未绘制区域图:{exc.message_zh}"
    assessment.map_layers = {layer["name"]: int(layer["version"]) for layer in drawn.layers}
    versions = ",".join(f"{layer['name']} 第 {layer['version']} 版" for layer in drawn.layers)
    note = f"图层:{versions};数据时点 {assessment.year} 年 12 月 31 日;比例尺 1:{drawn.scale:,}。"
    return drawn.png.read_bytes(), note


def value_rows(assessment: Assessment) -> list[dict[str, Any]]:
    """Every indicator's value with its provenance, for values.csv / values.json."""
    rows = []
    for row in assessment.rows:
        body = row.to_dict()
        rows.append({**{k: body[k] for k in VALUE_COLUMNS if k in body}, "source_zh": SOURCE_ZH.get(row.source, ""),
                     "layers": row.provenance.get("layers") or {}, "provenance": row.provenance,
                     "history": body["history"]})
    return rows


def _csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=VALUE_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "layers": ";".join(f"{k}:v{v}" for k, v in row["layers"].items())})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def manifest(assessment: Assessment, grading: Grading, files: dict[str, bytes]) -> dict[str, Any]:
    """What the package holds and where it comes from; each file with its size and SHA-256."""
    return {"format": PACKAGE_FORMAT, "title": f"{assessment.region_name}{assessment.year}年城市体检评估成果",
            "software": f"onemap {__version__}", "node": assessment.node, "region": assessment.region,
            "region_name": assessment.region_name, "year": assessment.year, "generated": assessment.generated,
            "actor": assessment.actor, "standard": "TD/T 1063-2021 国土空间规划城市体检评估规程",
            "grading": {"version": grading.version, "sources": list(grading.sources)}, "layers": assessment.layers,
            "map_layers": assessment.map_layers, "summary": assessment.counts(), "checksum": CHECKSUM,
            "files": [{"name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
                      for name, body in files.items()]}


def verify_package(path: Path) -> dict[str, Any]:
    """The manifest of a package after checking every file's SHA-256; InputError in Chinese otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            body = json.loads(archive.read("manifest.json"))
            for entry in body["files"]:
                if hashlib.sha256(archive.read(entry["name"])).hexdigest() != entry["sha256"]:
                    raise InputError(f"成果包文件 {entry['name']} 的校验值与清单不符", f"{path}: {entry['name']}")
            listed = {e["name"] for e in body["files"]} | {"manifest.json"}
            unlisted = sorted(set(archive.namelist()) - listed)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise InputError(f"不是有效的体检评估成果包:{Path(path).name}", f"{path}: {exc!r}") from exc
    if unlisted:
        raise InputError(f"成果包含清单未列出的文件:{'、'.join(unlisted)}", f"{path}: unlisted {unlisted}")
    return body


def write_outputs(store: Store, assessment: Assessment, grading: Grading, out_dir: Path, *,
                  readable: Callable[[str], bool] | None = None, progress: Progress | None = None) -> Outputs:
    """Draw the figures, write both reports, assessment.json and the export package into ``out_dir``."""
    report = progress or (lambda _p, _m: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = stem(assessment)
    report(70, "绘制统计图")
    grades, trends = grades_png(assessment), trends_png(assessment)
    report(76, "绘制区域图")
    with tempfile.TemporaryDirectory(prefix="onemap-assessment-map-") as folder:
        picture, note = region_map(store, assessment, readable, Path(folder))
    context = report_context(assessment, grading, Figures(grades, trends, picture, note))
    report(84, "生成体检评估报告 PDF")
    pdf = write_pdf(context, out_dir / f"{name}.pdf")
    report(90, "生成体检评估报告 Word")
    docx = write_docx(context, out_dir / f"{name}.docx")
    report(95, "打包上报成果")
    body = json.dumps(assessment.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
    (out_dir / f"{name}.json").write_bytes(body)
    rows = value_rows(assessment)
    files = {"values.csv": _csv_bytes(rows),
             "values.json": json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8"),
             "assessment.json": body, "report.pdf": pdf.read_bytes(), "report.docx": docx.read_bytes()}
    package = out_dir / f"{name}.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry, content in files.items():
            archive.writestr(entry, content)
        archive.writestr("manifest.json", json.dumps(manifest(assessment, grading, files), ensure_ascii=False,
                                                     indent=1))
    return Outputs(pdf, docx, out_dir / f"{name}.json", package, note)
