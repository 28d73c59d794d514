"""The machine-readable outputs: qc.json (stable shape, see issue 4), errors.xlsx and errors.gpkg."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import xlsxwriter

from onemap.qc.model import CATEGORY_ZH, Finding, QCResult

SEVERITY_ZH = {"error": "错误", "warning": "警告"}


def _geojson(geometry: Any) -> dict | None:
    if geometry is None or shapely.is_missing(geometry) or shapely.is_empty(geometry):
        return None
    return json.loads(shapely.to_geojson(geometry))


def finding_dict(f: Finding) -> dict[str, Any]:
    """One entry of qc.json's ``errors``."""
    return {"rule": f.rule, "category": f.category, "severity": f.severity, "layer": f.layer, "keys": f.keys,
            "fids": f.fids, "message": f.message, "geometry": _geojson(f.geometry)}


def result_dict(result: QCResult) -> dict[str, Any]:
    """qc.json as a dict."""
    return {"ruleset": result.ruleset, "ruleset_version": result.ruleset_version, "input": result.input,
            "started": result.started, "seconds": result.seconds, "summary": result.summary(),
            "errors": [finding_dict(f) for f in result.findings]}


def write_json(result: QCResult, path: Path) -> Path:
    """Write qc.json."""
    path.write_text(json.dumps(result_dict(result), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_xlsx(result: QCResult, path: Path) -> Path:
    """errors.xlsx: one row per error, plus a summary sheet."""
    titles = {r.id: r.title for r in result.rules}
    with xlsxwriter.Workbook(str(path)) as book:
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        sheet = book.add_worksheet("错误清单")
        header = ["序号", "规则", "规则名称", "类别", "严重程度", "图层", "标识码", "要素号", "说明", "位置X", "位置Y"]
        sheet.write_row(0, 0, header, bold)
        for row, f in enumerate(result.findings, start=1):
            point = shapely.point_on_surface(f.geometry) if _geojson(f.geometry) else None
            xy = ["", ""] if point is None or shapely.is_empty(point) else [round(point.x, 3), round(point.y, 3)]
            sheet.write_row(row, 0, [row, f.rule, titles.get(f.rule, ""), CATEGORY_ZH.get(f.category, f.category),
                                     SEVERITY_ZH.get(f.severity, f.severity), f.layer, ",".join(f.keys),
                                     ",".join(map(str, f.fids)), f.message, *xy])
        sheet.set_column(0, 0, 6)
        sheet.set_column(1, 2, 22)
        sheet.set_column(6, 6, 40)
        sheet.set_column(8, 8, 60)
        sheet.freeze_panes(1, 0)
        if result.findings:
            sheet.autofilter(0, 0, len(result.findings), len(header) - 1)
        summary = book.add_worksheet("汇总")
        summary.write_row(0, 0, ["规则", "规则名称", "类别", "严重程度", "数量"], bold)
        counts = result.summary()["by_rule"]
        for row, spec in enumerate(result.rules, start=1):
            summary.write_row(row, 0, [spec.id, spec.title, CATEGORY_ZH.get(spec.category, spec.category),
                                       SEVERITY_ZH.get(spec.severity, spec.severity), counts.get(spec.id, 0)])
        summary.set_column(0, 1, 28)
    return path


def write_gpkg(result: QCResult, path: Path) -> Path:
    """errors.gpkg: the error locations as features (layer ``errors``), in the input CRS."""
    located = [f for f in result.findings if _geojson(f.geometry)]
    geoms = np.array([f.geometry for f in located], dtype=object)
    frame = gpd.GeoDataFrame({
        "rule": [f.rule for f in located], "category": [f.category for f in located],
        "severity": [f.severity for f in located], "layer": [f.layer for f in located],
        "keys": [",".join(f.keys) for f in located], "fids": [",".join(map(str, f.fids)) for f in located],
        "message": [f.message for f in located]},
        geometry=geoms if len(geoms) else gpd.GeoSeries([], crs=None),
        crs=f"EPSG:{result.epsg}" if result.epsg else None)
    if path.exists():
        path.unlink()
    frame.to_file(path, layer="errors", driver="GPKG", engine="pyogrio", promote_to_multi=False,
                  geometry_type="Unknown")
    return path
