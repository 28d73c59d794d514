"""审查报告: ``result.json``, ``report.pdf`` (HTML → weasyprint) and ``report.docx`` (python-docx), in Chinese,
with an overview map and one small map per conflict.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import shapely

from onemap.localtime import display
from onemap.review.compliance.maps import Map, conflict_overlay, context_layer, project_overlay, window_of
from onemap.review.compliance.overlay import reproject
from onemap.review.compliance.service import Review

log = logging.getLogger(__name__)
RESULT_CLASS = {"符合": "ok", "需说明": "warn", "不符合": "bad", "无效几何": "bad"}
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("onemap.review.compliance", "templates"),
                          autoescape=jinja2.select_autoescape(["html"]))
_ENV.filters["local_time"] = display  # 审查时间 in the node's time zone; result.json keeps UTC


@dataclass
class ReportMaps:
    """The overview map and, per conflicting rule, its map."""

    overview: Map | None
    conflicts: list[tuple[dict[str, Any], Map]]


def _map_epsg(review: Review) -> int:
    for data, _ in review.layers.values():
        if data.epsg != 4490:
            return data.epsg
    return review.boundary.crs.epsg


def _conflict_geoms(review: Review, conclusion: dict[str, Any], epsg: int) -> np.ndarray | None:
    """Where a rule is violated (map CRS): the overlapping pieces, or the part outside the layer."""
    rule = next((r for r in review.rules.rules if r.id == conclusion["rule"]), None) if review.rules else None
    if rule is None or rule.layer not in review.layers:
        return None
    data, pieces = review.layers[rule.layer]
    if rule.kind == "outside":
        local = reproject(review.boundary.geometries, review.boundary.crs.epsg, data.epsg)
        geoms = shapely.difference(local, shapely.union_all(pieces.geometry)) if pieces.geometry.size else local
    elif rule.kind == "classes" and data.classes is not None:
        hit = np.array([str(code).startswith(rule.codes) for code in data.classes[pieces.feature]], dtype=bool)
        geoms = pieces.geometry[hit] if hit.size else pieces.geometry
    else:
        geoms = pieces.geometry
    geoms = geoms[~shapely.is_empty(geoms)] if len(geoms) else geoms
    return reproject(geoms, data.epsg, epsg) if len(geoms) else None


def build_maps(review: Review) -> ReportMaps:
    """The overview (the project over 三调 DLTB by 地类 and the control lines) and one map per rule that is
    not 符合; the layers in their one-map styles."""
    if review.boundary.problems or not len(review.boundary.parcels):
        return ReportMaps(None, [])
    epsg = _map_epsg(review)
    project = reproject(review.boundary.geometries, review.boundary.crs.epsg, epsg)
    outline = project_overlay(project)

    def base(window: tuple) -> list:
        # 现状 (DLTB) at the bottom, then the control lines (三线 …): the layers of the review, read already
        chosen = [(data, name) for name, (data, _) in review.layers.items() if data.spec.role == "current"]
        chosen += [(data, name) for name, (data, _) in review.layers.items() if data.spec.role == "control"]
        return [context_layer(data, window, epsg, data.spec.title or name) for data, name in chosen]

    window = window_of(project, margin=0.6)
    overview = Map(window, epsg, [*base(window), outline], "总体位置图")
    conflicts = []
    for conclusion in review.result["conclusions"]:
        if conclusion["result"] == "符合":
            continue
        geoms = _conflict_geoms(review, conclusion, epsg)
        if geoms is None:
            continue
        small = window_of(geoms, margin=0.6)  # zoomed to where the rule is violated
        conflicts.append((conclusion, Map(small, epsg, [*base(small), conflict_overlay(geoms, conclusion["title"]),
                                                        outline], conclusion["title"], 80, 80, legend=False)))
    return ReportMaps(overview, conflicts)


def write_json(result: dict[str, Any], path: Path) -> Path:
    """Write ``result.json`` (UTF-8, Chinese unescaped)."""
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def render_html(review: Review, maps: ReportMaps) -> str:
    """The report as HTML (the source of ``report.pdf``)."""
    return _ENV.get_template("report.html").render(
        r=review.result, overview=maps.overview.to_img() if maps.overview else "",
        conflicts=[(c, m.to_img()) for c, m in maps.conflicts], css=RESULT_CLASS)


def write_pdf(review: Review, maps: ReportMaps, path: Path) -> Path:
    """Write ``report.pdf`` from the HTML template with weasyprint (and ``report.html`` next to it)."""
    html = render_html(review, maps)
    path.with_suffix(".html").write_text(html, encoding="utf-8")
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(path, hinting=True)
    return path


def write_report(review: Review, out_dir: Path, *, pdf: bool = True, docx: bool = True) -> dict[str, Path]:
    """Write result.json, report.pdf and report.docx into ``out_dir``."""
    from onemap.review.compliance.report_docx import write_docx

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"result.json": write_json(review.result, out_dir / "result.json")}
    maps = build_maps(review)
    if pdf:
        paths["report.pdf"] = write_pdf(review, maps, out_dir / "report.pdf")
    if docx:
        paths["report.docx"] = write_docx(review.result, maps, out_dir / "report.docx")
    return paths
