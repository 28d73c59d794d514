"""Reading process inputs (JSON values) into the arguments of the analysis functions, in Chinese errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError

MAX_REGION_VERTICES = 100_000
REGION_SCHEMA = {
    "title": "分析区域", "description": "行政区划代码前缀(如 341799101),或图层坐标系中的 GeoJSON 面",
    "oneOf": [{"type": "string", "pattern": "^[0-9]{2,19}$"},
              {"type": "object", "format": "geojson-geometry"}],
}


def text(inputs: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A short text input (a layer or field name)."""
    value = inputs.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 128:
        raise InputError(f"输入参数 {name} 缺失或不合法", f"bad input {name}: {value!r}")
    return value


def integer(inputs: dict[str, Any], name: str, low: int, high: int) -> int | None:
    """An optional integer input in [low, high]."""
    value = inputs.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"输入参数 {name} 应为 {low}–{high} 之间的整数", f"bad input {name}: {value!r}")
    return value


def day(inputs: dict[str, Any], name: str) -> date | None:
    """An optional date input (YYYY-MM-DD)."""
    value = inputs.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"输入参数 {name} 应为日期(YYYY-MM-DD)", f"bad date {name}: {value!r}") from exc


def region(inputs: dict[str, Any]) -> BaseGeometry | str | None:
    """The ``region`` input: a 行政区划代码 prefix or a GeoJSON (multi)polygon."""
    value = inputs.get("region")
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise InputError("分析区域应为行政区划代码或 GeoJSON 面", f"bad region {type(value).__name__}")
    try:
        geometry = shape(value.get("geometry", value))
    except Exception as exc:  # shapely raises several kinds for malformed GeoJSON
        raise InputError("分析区域不是合法的 GeoJSON 几何", f"bad region GeoJSON: {exc}") from exc
    if shapely.get_num_coordinates(geometry) > MAX_REGION_VERTICES:
        raise InputError(f"分析区域的顶点数超过 {MAX_REGION_VERTICES}", "region too large")
    return geometry


def field_list(inputs: dict[str, Any], name: str) -> list[str]:
    """A list of field names (a comma-separated string is accepted too)."""
    value = inputs.get(name)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        raise InputError(f"输入参数 {name} 应为字段名列表", f"bad input {name}: {value!r}")
    return value
