"""report.html and report.pdf (Chinese): summary by category and layer, each error with a small map."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
import shapely

from onemap.geometry import axes
from onemap.localtime import display
from onemap.qc.dataset import Dataset
from onemap.qc.model import CATEGORIES, CATEGORY_ZH, QCResult
from onemap.qc.output.files import SEVERITY_ZH
from onemap.qc.output.maps import error_map
from onemap.qc.rulesets import load_ruleset

log = logging.getLogger(__name__)
MAX_DETAILED = 500  # errors drawn one by one; the rest are in errors.xlsx / errors.gpkg
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("onemap.qc.output", "templates"),
                          autoescape=jinja2.select_autoescape(["html"]))


def _counts(findings: list, attr: str, value: str) -> dict[str, int]:
    chosen = [f for f in findings if getattr(f, attr) == value]
    return {"errors": sum(f.severity == "error" for f in chosen),
            "warnings": sum(f.severity == "warning" for f in chosen)}


def _location(geometry: Any, epsg: int | None) -> str | None:
    """Where an error is, as surveyors read it (X north, Y east; or 经度/纬度)."""
    if geometry is None or shapely.is_empty(geometry):
        return None
    point = shapely.point_on_surface(geometry)
    return axes.text(point.x, point.y, epsg) if not shapely.is_empty(point) else None


def report_context(result: QCResult, dataset: Dataset | None) -> dict[str, Any]:
    """What the template shows."""
    try:
        title = load_ruleset(result.ruleset).title
    except Exception:  # the report must not fail because a ruleset file changed meanwhile
        title = result.ruleset
    summary, findings = result.summary(), result.findings
    titles = {s.id: s.title for s in result.rules}
    layers = sorted(set(result.layer_counts) | {f.layer for f in findings})
    items = [{"rule": f.rule, "title": titles.get(f.rule, ""), "severity": f.severity,
              "severity_zh": SEVERITY_ZH.get(f.severity, f.severity), "message": f.message,
              "category": CATEGORY_ZH.get(f.category, f.category), "layer": f.layer,
              "key_text": "、".join(f.keys) or "—", "position": _location(f.geometry, result.epsg),
              "map": error_map(f, dataset)}
             for f in findings[:MAX_DETAILED]]
    return {"ruleset": result.ruleset, "ruleset_title": title, "ruleset_version": result.ruleset_version,
            "input": result.input, "started": display(result.started), "seconds": result.seconds,
            "crs": f"EPSG:{result.epsg}" if result.epsg else "未识别", "errors": summary["errors"],
            "warnings": summary["warnings"],
            "by_category": [{"name": CATEGORY_ZH[c], **_counts(findings, "category", c)} for c in CATEGORIES],
            "by_layer": [{"name": n, "count": result.layer_counts.get(n, "—"), **_counts(findings, "layer", n)}
                         for n in layers],
            "rules": [{"id": s.id, "title": s.title, "category": CATEGORY_ZH.get(s.category, s.category),
                       "severity": SEVERITY_ZH.get(s.severity, s.severity), "source": s.source,
                       "count": summary["by_rule"].get(s.id, 0)} for s in result.rules],
            "entries": items, "omitted": max(0, len(findings) - MAX_DETAILED)}


def write_report(result: QCResult, dataset: Dataset | None, out_dir: Path, *, pdf: bool = True) -> dict[str, Path]:
    """Write report.html and (with weasyprint) report.pdf."""
    html = _ENV.get_template("report.html").render(r=report_context(result, dataset))
    paths = {"report.html": out_dir / "report.html"}
    paths["report.html"].write_text(html, encoding="utf-8")
    if pdf:
        import weasyprint

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        paths["report.pdf"] = out_dir / "report.pdf"
        weasyprint.HTML(string=html, base_url=str(out_dir)).write_pdf(paths["report.pdf"], hinting=True)
    return paths
