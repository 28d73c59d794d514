"""监测消息: what a message on the broker or a POST carries, checked into typed values.

Three kinds arrive: 变更/监测图斑 (a GeoJSON Feature), 项目事件 (审批/供地/开工/竣工/违法处置 of a
合规性审查 project) and 部门指标值 (人口, 用水总量 …). Every check that fails raises
:class:`MessageError` with the Chinese reason a dead letter keeps; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError, OnemapError
from onemap.geometry.crs import GEOGRAPHIC_EPSG, check_extent, resolve_crs
from onemap.geometry.guards import check_coordinates
from onemap.monitoring.vocabulary import event_kinds, known_code

MAX_MESSAGE_BYTES = 2 * 1024 * 1024  # a change patch is a few kB; a whole delivery does not come this way
MAX_NESTING = 8  # GeoJSON coordinates of a MultiPolygon are 4 deep; a GeometryCollection adds levels
MAX_VERTICES = 200_000
ID_PATTERN = re.compile(r"^[\w.:-]{1,64}$")
KINDS = ("patch", "event", "value")


class MessageError(InputError):
    """A message that cannot be processed; ``message_zh`` is the dead letter's reason."""


@dataclass(frozen=True)
class Patch:
    """One 变更/监测图斑: its id, date, classes before and after, and geometry in EPSG:4490 (lon, lat)."""

    id: str
    observed_at: dt.date
    before: str
    after: str
    classification: str  # sandiao | ydyh
    source: str
    geometry: BaseGeometry
    region: str = ""  # as the sender stated it (else found from the 行政区 layer)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectEvent:
    """审批/供地/开工/竣工/违法处置 of a project (linked to its 合规性审查 record when there is one)."""

    id: str
    project_id: str
    kind: str
    event_date: dt.date
    document_number: str
    note: str
    source: str
    region: str = ""


@dataclass(frozen=True)
class ReportedValue:
    """A department's value of an indicator for a region and period."""

    id: str
    indicator: str
    region: str
    period: int
    value: float
    unit: str
    source: str


Message = Patch | ProjectEvent | ReportedValue


def decode(payload: bytes | str | dict) -> dict:
    """The JSON object of a payload (bytes from the broker, text, or an already parsed body)."""
    if isinstance(payload, dict):
        return payload
    if len(payload) > MAX_MESSAGE_BYTES:
        raise MessageError(f"消息超过 {MAX_MESSAGE_BYTES // 1024 // 1024} MB,已拒绝", "message too large")
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        value = json.loads(text)
    except UnicodeDecodeError:
        raise MessageError("消息不是 UTF-8 编码的文本", "not utf-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise MessageError("消息不是合法的 JSON", "not json") from None
    if not isinstance(value, dict):
        raise MessageError("消息应为 JSON 对象(GeoJSON Feature 或指标值)", "not an object")
    return value


def message_id(obj: dict) -> str:
    """The sender's id (properties.id of a Feature, else id): what makes a message processed once."""
    props = obj.get("properties") if isinstance(obj.get("properties"), dict) else {}
    raw = props.get("id", obj.get("id"))
    if raw is None or raw == "":
        raise MessageError("消息缺少 id(每条消息须有发送方唯一编号,用于去重)", "no id")
    text = str(raw)
    if not ID_PATTERN.match(text):
        raise MessageError(f"消息 id 不合法:{text[:40]!r}(1–64 位字母、数字、_ . : -)", "bad id")
    return text


def _date(value: object, name: str) -> dt.date:
    if not isinstance(value, str):
        raise MessageError(f"缺少{name}(ISO 日期,如 2026-05-01)", f"no {name}")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise MessageError(f"{name}不是 ISO 日期:{value[:30]!r}", f"bad {name}") from None


def _text(props: dict, key: str, name: str, *, required: bool = True, limit: int = 200) -> str:
    value = props.get(key)
    if value is None or value == "":
        if required:
            raise MessageError(f"缺少{name}({key})", f"no {key}")
        return ""
    return str(value)[:limit]


def _depth(coordinates: object) -> int:
    """Nesting depth of a coordinates array, walked without recursion (a hostile message can be deep)."""
    depth, level = 0, [coordinates]
    while level:
        depth += 1
        if depth > MAX_NESTING:
            return depth
        level = [item for node in level if isinstance(node, list) for item in node if isinstance(item, list)]
    return depth


def _geometry(obj: dict) -> tuple[dict, int]:
    """The geometry object and its vertex-array depth, refused before GEOS sees anything too deep."""
    geometry = obj.get("geometry")
    if not isinstance(geometry, dict):
        raise MessageError("图斑缺少几何(geometry)", "no geometry")
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise MessageError(f"图斑几何应为面(Polygon/MultiPolygon),收到 {str(geometry.get('type'))[:30]}",
                           "not polygonal")
    depth = _depth(geometry.get("coordinates"))
    if depth > MAX_NESTING:
        raise MessageError("图斑几何嵌套过深,已拒绝", "geometry too deep")
    return geometry, depth


def _crs_of(obj: dict, props: dict) -> int:
    named = props.get("crs")
    legacy = obj.get("crs")
    if named is None and isinstance(legacy, dict):
        named = (legacy.get("properties") or {}).get("name")
    if named is None or named == "":
        return GEOGRAPHIC_EPSG
    try:
        return resolve_crs(str(named)[:200]).epsg
    except OnemapError as exc:
        raise MessageError(f"坐标系不可用:{exc.message_zh}", f"bad crs {str(named)[:40]}") from None


def _shape(obj: dict, props: dict) -> BaseGeometry:
    """The patch polygon in EPSG:4490 (checked: parsable, finite, valid, non-empty, inside the CRS's zone)."""
    from onemap.geometry.crs import transformer

    geometry, _ = _geometry(obj)
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        raise MessageError("图斑几何无法解析(坐标不合法)", "unparsable geometry") from None
    if shapely.get_num_coordinates(shape) > MAX_VERTICES:
        raise MessageError(f"图斑几何顶点超过 {MAX_VERTICES} 个", "too many vertices")
    try:
        check_coordinates(np.array([shape], dtype=object))
    except OnemapError:
        raise MessageError("图斑几何含有非数值坐标", "non-finite coordinates") from None
    if shape.is_empty:
        raise MessageError("图斑几何为空", "empty geometry")
    if not shape.is_valid:
        raise MessageError(f"图斑几何无效:{shapely.is_valid_reason(shape)}", "invalid geometry")
    epsg = _crs_of(obj, props)
    crs = resolve_crs(epsg)
    try:
        check_extent(shape.bounds, crs)
    except OnemapError as exc:
        raise MessageError(exc.message_zh, "outside the CRS extent") from None
    if epsg != GEOGRAPHIC_EPSG:
        shape = shapely.transform(shape, lambda xy: np.column_stack(
            transformer(epsg, GEOGRAPHIC_EPSG).transform(xy[:, 0], xy[:, 1])))
    return shape


def _code(props: dict, key: str, name: str, classification: str) -> str:
    code = _text(props, key, name, limit=16)
    if not known_code(code, classification):
        label = "三调工作分类" if classification == "sandiao" else "用地用海分类"
        raise MessageError(f"{name}“{code}”不是{label}中的编码", f"unknown {key} code {code}")
    return code


def parse_patch(obj: dict) -> Patch:
    """A 变更/监测图斑 from a GeoJSON Feature (``properties``: id, observed_at, before, after, source, crs)."""
    if obj.get("type") != "Feature":
        raise MessageError("监测图斑应为 GeoJSON Feature", "not a feature")
    props = obj.get("properties")
    if not isinstance(props, dict):
        raise MessageError("图斑缺少属性(properties)", "no properties")
    patch_id = message_id(obj)
    observed = _date(props.get("observed_at"), "监测日期 observed_at")
    classification = {"三调": "sandiao", "sandiao": "sandiao", "用地用海": "ydyh", "ydyh": "ydyh"}.get(
        str(props.get("classification") or "三调"))
    if classification is None:
        raise MessageError("classification 应为“三调”或“用地用海”", "bad classification")
    before = _code(props, "before", "变更前地类 before", classification)
    after = _code(props, "after", "变更后地类 after", classification)
    region = _region(props, required=False)
    return Patch(patch_id, observed, before, after, classification, _text(props, "source", "来源 source", limit=100),
                 _shape(obj, props), region, {k: v for k, v in props.items() if isinstance(v, str | int | float)})


def parse_event(obj: dict) -> ProjectEvent:
    """A project event: id, project_id, kind (审批/供地/开工/竣工/违法处置), date, document_number, note, source."""
    props = obj.get("properties") if isinstance(obj.get("properties"), dict) else obj
    kinds = event_kinds()
    kind = _text(props, "kind", "事件类型 kind", limit=16)
    if kind not in kinds:
        raise MessageError(f"事件类型“{kind}”不在 {'、'.join(kinds)} 之中", f"unknown event kind {kind}")
    project = _text(props, "project_id", "项目编号 project_id", limit=64)
    if not ID_PATTERN.match(project):
        raise MessageError(f"项目编号不合法:{project[:40]!r}", "bad project id")
    return ProjectEvent(message_id(obj), project, kind, _date(props.get("date"), "事件日期 date"),
                        _text(props, "document_number", "文号", required=False, limit=100),
                        _text(props, "note", "备注", required=False, limit=2000),
                        _text(props, "source", "来源 source", limit=100), _region(props, required=False))


def _region(props: dict, *, required: bool) -> str:
    region = _text(props, "region", "行政区代码 region", required=required, limit=12)
    if region and not region.isdigit():
        raise MessageError(f"行政区代码应为数字:{region!r}", "bad region")
    return region


def parse_value(obj: dict) -> ReportedValue:
    """A department's indicator value: id, indicator (code or name), region, period (year), value, unit, source."""
    props = obj.get("properties") if isinstance(obj.get("properties"), dict) else obj
    region = _region(props, required=True)
    period = props.get("period")
    if isinstance(period, bool) or not isinstance(period, int) or not 1949 <= period <= 2100:
        raise MessageError("期次 period 应为年份(整数,如 2025)", "bad period")
    value = props.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise MessageError("指标值 value 应为数值", "bad value")
    return ReportedValue(message_id(obj), _text(props, "indicator", "指标 indicator", limit=100), region, period,
                         float(value), _text(props, "unit", "单位", required=False, limit=20),
                         _text(props, "source", "来源 source", limit=100))


PARSERS = {"patch": parse_patch, "event": parse_event, "value": parse_value}


def parse(kind: str, obj: dict) -> Message:
    """The typed message of a kind (``patch``, ``event``, ``value``)."""
    return PARSERS[kind](obj)
