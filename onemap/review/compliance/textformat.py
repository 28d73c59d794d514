"""部标界址点坐标文本: the land-approval coordinate exchange text (建设用地报批 坐标文件).

::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=39
    [地块坐标]
    5,0.0100,1,地块一,面,,建设用地,,@
    J1,1,3400000.000,39500000.000
    …

A parcel header ends with ``@`` (点数,面积,地块编号,地块名称,图形属性,图幅号,地块用途,…); each point line is
点号,圈号,X,Y with X the northing and Y the easting (often with the zone number in front). 圈号 1 is the outer
ring, other numbers are holes. The zone comes from the Y prefix, else from 带号/中央经线/坐标系.
"""

from __future__ import annotations

import re
from typing import Any

from onemap.config import Settings, get_settings
from onemap.errors import CRSError, InputError
from onemap.geometry.crs import OnemapCRS, accepted_crs, resolve_crs

HEADER_FIELDS = ("点数", "面积", "地块编号", "地块名称", "图形属性", "图幅号", "地块用途", "地类编码")
_OTHER_DATUMS = ("1980", "西安", "1954", "北京")


def is_bubiao(text: str) -> bool:
    """Whether ``text`` is a 部标 coordinate file (it has the ``[地块坐标]`` section)."""
    return "[地块坐标]" in text[:200_000]


def _zone_crs(zone: int, width: int | None, prefixed: bool, meridian: float | None = None) -> OnemapCRS:
    for crs in accepted_crs().values():
        if not crs.is_projected or crs.zone_prefix != prefixed:
            continue
        if meridian is not None and crs.central_meridian == meridian and crs.kind == f"gk{width or 3}":
            return crs
        if meridian is None and crs.zone == zone and (width is None or crs.kind == f"gk{width}"):
            return crs
    raise CRSError(f"坐标文件的投影带(带号 {zone},{width or '?'}度带)不是 CGCS2000 高斯-克吕格投影带",
                   f"no CGCS2000 GK zone {zone}/{width}")


def _number(text: str) -> float | None:
    match = re.search(r"\d+(\.\d+)?", text or "")
    return float(match.group()) if match else None


def detect_crs(attributes: dict[str, str], eastings: list[float], crs: object = None) -> OnemapCRS:
    """The CRS of a 部标 file: given, else the zone prefix of Y, else 带号/中央经线/坐标系 attributes."""
    if crs is not None:
        return resolve_crs(crs)
    system = attributes.get("坐标系", "")
    if any(mark in system for mark in _OTHER_DATUMS) and "2000" not in system:
        raise CRSError(f"坐标文件的坐标系为“{system}”,一张图统一采用 CGCS2000,请先转换坐标", f"datum {system}")
    if epsg := re.search(r"EPSG:?\s*(\d{4,5})", system, re.IGNORECASE):
        return resolve_crs(f"EPSG:{epsg.group(1)}")
    width_value = _number(attributes.get("几度分带", "")) or _number(re.search(r"\d度", system).group()
                                                                  if re.search(r"\d度", system) else "")
    width = int(width_value) if width_value in (3, 6) else None
    low, high = min(eastings), max(eastings)
    if low >= 1_000_000 and int(low // 1_000_000) == int(high // 1_000_000):
        zone = int(low // 1_000_000)
        return _zone_crs(zone, width or (3 if zone >= 24 else 6), True)
    meridian = _number(attributes.get("中央经线", "") or attributes.get("中央子午线", ""))
    if meridian:
        return _zone_crs(0, width or 3, False, meridian)
    zone = _number(attributes.get("带号", "")) or _number(re.search(r"(\d+)\s*带", system).group(1)
                                                       if re.search(r"(\d+)\s*带", system) else "")
    if zone:
        return _zone_crs(int(zone), width or (3 if zone >= 24 else 6), False)
    raise CRSError("坐标文件未给出投影带:Y 坐标不带带号,也没有“带号”或“中央经线”属性,请指定坐标系",
                   "no zone in coordinate text")


def _sections(text: str) -> tuple[dict[str, str], list[tuple[dict[str, str], list[list[str]]]]]:
    """The [属性描述] attributes and, per parcel, its header fields and point rows."""
    attributes: dict[str, str] = {}
    parcels: list[tuple[dict[str, str], list[list[str]]]] = []
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace(",", ",")
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述" and "=" in line:
            key, _, value = line.partition("=")
            attributes[key.strip()] = value.strip()
        elif section == "地块坐标" and line.endswith("@"):
            values = [v.strip() for v in line[:-1].rstrip(",").split(",")]
            parcels.append((dict(zip(HEADER_FIELDS, values, strict=False)), []))
        elif section == "地块坐标":
            values = [v.strip() for v in line.split(",")]
            if not parcels or len(values) < 4:
                raise InputError(f"坐标文件第 {number} 行格式错误(应为 点号,圈号,X,Y):{line[:80]}",
                                 f"bad point line {number}")
            parcels[-1][1].append(values)
    return attributes, parcels


def parse_bubiao(text: str, *, crs: object = None, settings: Settings | None = None) -> Any:
    """A :class:`~onemap.review.compliance.boundary.ProjectBoundary` from 部标 coordinate text."""
    from onemap.review.compliance.boundary import Parcel, ProjectBoundary, polygon_from_rings

    settings = settings or get_settings()
    attributes, blocks = _sections(text)
    if not blocks:
        raise InputError("坐标文件的[地块坐标]中没有地块", "no parcels in coordinate text")
    parsed = []
    for header, rows in blocks:
        rings: dict[str, list[list[float]]] = {}
        for row in rows:
            try:
                north, east = float(row[2]), float(row[3])
            except ValueError:
                raise InputError(f"坐标不是数值:{','.join(row)[:80]}", "non-numeric coordinate") from None
            rings.setdefault(row[1], []).append([east, north])  # X is the northing, Y the easting
        outer = rings.pop("1", None)
        if outer is None:
            raise InputError(f"地块 {header.get('地块编号', '')} 缺少圈号为 1 的外环", "no outer ring")
        parsed.append((header, polygon_from_rings([outer, *rings.values()], settings.max_vertices_per_feature)))
    eastings = [float(row[3]) for _, rows in blocks for row in rows]
    resolved = detect_crs(attributes, eastings, crs)
    parcels = [Parcel(h.get("地块编号") or str(i), h.get("地块名称") or f"地块{i}", polygon,
                      {k: v for k, v in h.items() if v})
               for i, (h, polygon) in enumerate(parsed, start=1)]
    return ProjectBoundary(parcels, resolved, "部标坐标文件", attributes)
