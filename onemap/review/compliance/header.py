"""The project's own particulars for a report's header: 项目名称, 建设单位, 用途 — shown when given.

They come, in this order, from what the caller says (CLI options, process inputs), the boundary file's own
description (部标 ``[属性描述]``, GeoJSON properties of a single project) and its parcels (a 部标 parcel's
地块用途); the field names each may carry are data (``data/project_fields.csv``).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from onemap.review.compliance.boundary import ProjectBoundary

_DATA = Path(__file__).resolve().parent.parent / "data" / "project_fields.csv"
MAX_LENGTH = 200


@lru_cache
def project_fields() -> dict[str, tuple[str, tuple[str, ...]]]:
    """key (``name``, ``builder``, ``purpose``) → (Chinese title, field names that carry it)."""
    with _DATA.open(encoding="utf-8", newline="") as handle:
        return {row["key"]: (row["title_zh"], tuple(row["aliases"].split("|"))) for row in csv.DictReader(handle)}


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()[:MAX_LENGTH]


def given(boundary: ProjectBoundary, **values: str | None) -> ProjectBoundary:
    """``boundary`` with the particulars the caller gave (``name=``, ``builder=``, ``purpose=``) set on it."""
    for key, value in values.items():
        if _text(value):
            boundary.attributes[project_fields()[key][0]] = _text(value)
    return boundary


def project_header(boundary: ProjectBoundary) -> dict[str, str]:
    """The particulars found, by key; parcels that differ (two 地块用途) are all named, in order."""
    header = {}
    for key, (_title, aliases) in project_fields().items():
        found = next((_text(boundary.attributes[a]) for a in aliases if _text(boundary.attributes.get(a))), "")
        if not found:
            values = [next((_text(p.attributes[a]) for a in aliases if _text(p.attributes.get(a))), "")
                      for p in boundary.parcels]
            found = "、".join(dict.fromkeys(v for v in values if v))[:MAX_LENGTH]
        if found:
            header[key] = found
    return header
