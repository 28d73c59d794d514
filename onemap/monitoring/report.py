"""预警报告 per region and period: counts by level and rule, a chart, a map of the patches, the list; PDF and DOCX.

The numbers come from the same visibility rule as ``GET /api/warnings`` (the caller's clearance and region).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Connection

from onemap.localtime import display
from onemap.monitoring import warnings as service
from onemap.monitoring.vocabulary import levels
from onemap.records.tables import monitoring_patches
from onemap.reporting import data_uri as _img
from onemap.reporting import docx_picture, html_to_pdf, new_docx
from onemap.reporting import docx_table as _docx_table
from onemap.reporting import figure_png as _figure_png
from onemap.security import User
from onemap.security.settings import SecuritySettings

MAX_ROWS = 5000
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())


@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date | None

    def text(self) -> str:
        if self.start is None and self.end is None:
            return "全部"
        return f"{self.start or '—'} 至 {self.end or '—'}"


def _in_period(row: dict, period: Period) -> bool:
    day = dt.datetime.fromisoformat(row["created_at"]).date()
    return (period.start is None or day >= period.start) and (period.end is None or day <= period.end)


def report_data(conn: Connection, user: User, *, region: str | None, period: Period, rules_version: str,
                security: SecuritySettings | None = None) -> dict[str, Any]:
    """What the report says: counts by level and rule, the warnings (newest first) and their patch geometries."""
    rows = [r for r in service.list_warnings(conn, user, service.WarningFilter(region=region, limit=1000),
                                             security=security) if _in_period(r, period)]
    rows += _older(conn, user, region, period, rows, security)
    by_rule: dict[str, dict] = {}
    for row in rows:
        entry = by_rule.setdefault(row["rule"], {"title": row["title"], "count": 0, "area_m2": 0.0, "open": 0})
        entry["count"] += 1
        entry["area_m2"] += float(row["evidence"].get("area_m2") or 0.0)
        entry["open"] += row["state"] != "已销号"
    ids = [r["subject_id"] for r in rows if r["subject_kind"] == "patch"]
    shapes = dict(conn.execute(sa.select(monitoring_patches.c.id, monitoring_patches.c.geometry)
                               .where(monitoring_patches.c.id.in_(ids))).all()) if ids else {}
    counted = {code: sum(r["level"] == code for r in rows) for code in levels()}
    return {"title": "国土空间规划实施监测预警报告", "region": region or "", "period": period.text(),
            "generated": display(dt.datetime.now(dt.UTC)), "total": len(rows), "rules_version": rules_version,
            "by_level": [{"level": code, "name": lv.name_zh, "colour": lv.colour, "count": counted[code]}
                         for code, lv in reversed(levels().items())],
            "by_rule": sorted(by_rule.values(), key=lambda e: -e["count"]),
            "rows": [{**r, "time": display(r["created_at"], seconds=False)} for r in rows],
            "shapes": [(r["level"], json.loads(shapes[r["subject_id"]])) for r in rows if r["subject_id"] in shapes]}


def _older(conn: Connection, user: User, region: str | None, period: Period, rows: list[dict],
           security: SecuritySettings | None) -> list[dict]:
    """Pages beyond the first 1,000, up to :data:`MAX_ROWS` (a county's year is a few thousand warnings)."""
    found: list[dict] = []
    while rows and len(rows) + len(found) < MAX_ROWS:
        last = min(r["id"] for r in (found or rows))
        page = [r for r in service.list_warnings(conn, user, service.WarningFilter(region=region, limit=1000),
                                                 security=security) if r["id"] < last]
        page = [r for r in page if _in_period(r, period)]
        if not page:
            break
        found += page
    return found


def chart_png(data: dict) -> bytes:
    """Bar chart of the counts by level, in the levels' colours."""
    def draw(axes) -> None:
        rows = list(reversed(data["by_level"]))
        axes.bar([f"{r['level']}({r['name']})" for r in rows], [r["count"] for r in rows],
                 color=[r["colour"] for r in rows])
        axes.set_ylabel("预警条数")
        for i, r in enumerate(rows):
            axes.annotate(str(r["count"]), (i, r["count"]), ha="center", va="bottom")
    return _figure_png(draw)


def map_png(data: dict) -> bytes:
    """The warned patches coloured by level (lon/lat)."""
    import shapely

    colours = {r["level"]: r["colour"] for r in data["by_level"]}

    def draw(axes) -> None:
        for level, geometry in data["shapes"]:
            shape = shapely.from_geojson(json.dumps(geometry))
            for polygon in shapely.get_parts(shape):
                x, y = polygon.exterior.xy
                axes.fill(x, y, color=colours[level], alpha=0.6, linewidth=0.8, edgecolor=colours[level])
        axes.set_aspect("equal")
        axes.set_xlabel("经度")
        axes.set_ylabel("纬度")
        if not data["shapes"]:
            axes.text(0.5, 0.5, "本期无图斑预警", ha="center", transform=axes.transAxes)
    return _figure_png(draw)


def write_pdf(data: dict, path: Path) -> Path:
    html = _ENV.get_template("warning_report.html").render(r=data, chart=_img(chart_png(data)),
                                                           overview=_img(map_png(data)))
    return html_to_pdf(html, path)


def write_docx(data: dict, path: Path) -> Path:
    document = new_docx()
    document.add_heading(data["title"], level=0)
    _docx_table(document, ["行政区", "统计期", "生成时间", "预警总数"],
                [[data["region"] or "全部", data["period"], data["generated"], str(data["total"])]])
    document.add_heading("一、按等级统计", level=1)
    _docx_table(document, [f"{r['level']}({r['name']})" for r in data["by_level"]],
                [[str(r["count"]) for r in data["by_level"]]])
    docx_picture(document, chart_png(data))
    document.add_heading("二、按规则统计", level=1)
    _docx_table(document, ["规则", "条数", "涉及面积(平方米)", "未销号"],
                [[r["title"], str(r["count"]), f"{r['area_m2']:.2f}", str(r["open"])] for r in data["by_rule"]])
    document.add_heading("三、预警分布图", level=1)
    docx_picture(document, map_png(data))
    document.add_heading("四、预警清单", level=1)
    _docx_table(document, ["编号", "等级", "规则", "行政区", "对象", "状态", "时间", "说明"],
                [[str(w["id"]), w["level"], w["title"], w["region"], w["subject_id"], w["state"], w["time"],
                  w["message"]] for w in data["rows"]])
    document.save(path)
    return path
