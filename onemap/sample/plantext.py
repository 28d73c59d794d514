"""规划文本.docx: the plan text, quoting the numbers of the indicator table and the layers.

Paragraph templates are in ``data/plan_text.toml``; every number is formatted to 0.01 of its unit,
as in 规划指标表.xlsx, so a reader (or a test) finds the same figures in both.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import docx
import pandas as pd

from onemap.reporting import docx_table
from onemap.sample.indicators import Indicator
from onemap.sample.params import params, plan_text


def fmt(value: float) -> str:
    """A number as quoted in the text and the table: two decimals."""
    return f"{value:.2f}"


_table = docx_table  # the bordered table of the reports (onemap.reporting)


def _tables(kind: str, indicators: list[Indicator], zones: pd.DataFrame, landuse: pd.DataFrame) -> tuple:
    county = params()["county"]
    if kind == "indicators":
        header = ["序号", "指标名称", "单位", f"{county['plan_base_year']}年", f"{county['plan_target_year']}年",
                  "指标属性"]
        rows = [[i.seq, i.name, i.unit, fmt(i.base), fmt(i.target), i.attribute] for i in indicators if i.computable]
        return header, rows
    if kind == "zones":
        return ["规划分区", "面积(平方公里)", "占比(%)"], [[r.name, fmt(r.km2), fmt(r.share)] for r in
                                                           zones.itertuples()]
    return ["用地用海一级类", "面积(平方公里)", "占比(%)"], [[r.name, fmt(r.km2), fmt(r.share)] for r in
                                                              landuse.itertuples()]


def _freeze(path: Path) -> None:
    """Rewrite the .docx zip with a fixed timestamp, so reruns give the same bytes."""
    stamp = dt.datetime.fromisoformat(params()["output"]["fixed_timestamp"]).timetuple()[:6]
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            target.writestr(zipfile.ZipInfo(name, date_time=stamp), data, compress_type=zipfile.ZIP_DEFLATED)


def write_plan_text(path: Path, context: dict[str, str], indicators: list[Indicator], zones: pd.DataFrame,
                    landuse: pd.DataFrame) -> None:
    """Write the plan text; ``context`` fills the templates' placeholders (numbers already formatted)."""
    text = plan_text()
    document = docx.Document()
    stamp = dt.datetime.fromisoformat(params()["output"]["fixed_timestamp"])
    props = document.core_properties
    props.created = props.modified = stamp
    props.author = props.last_modified_by = "onemap sample"
    props.title = text["title"].format(**context)
    document.add_heading(text["title"].format(**context), level=0)
    document.add_paragraph(text["subtitle"].format(**context))
    for chapter in text["chapters"]:
        document.add_heading(chapter["title"], level=1)
        for paragraph in chapter.get("paragraphs", []):
            document.add_paragraph(paragraph.format(**context))
        if "indicator_sentence" in chapter:
            for item in (i for i in indicators if i.computable):
                document.add_paragraph(chapter["indicator_sentence"].format(
                    name=item.name, base=fmt(item.base), target=fmt(item.target), unit=item.unit,
                    attribute=item.attribute))
        if "table" in chapter:
            _table(document, *_tables(chapter["table"], indicators, zones, landuse))
        for paragraph in chapter.get("after_table", []):
            document.add_paragraph(paragraph.format(**context))
        if "second_table" in chapter:
            _table(document, *_tables(chapter["second_table"], indicators, zones, landuse))
    document.save(str(path))
    _freeze(path)
