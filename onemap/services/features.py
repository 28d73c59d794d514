"""OGC API Features Parts 1–3 without the web: items, one item, queryables and the CRS lists.

The web shell (``onemap.api``) calls these functions and turns their results into responses; they
return GeoJSON-ready dicts and raise :class:`onemap.errors.OnemapError` subclasses.

What a client sees:

- the feature id is the store's ``_key`` (the layer's BSM where it has one); ``fid`` is only the
  paging cursor (``after``), never an id;
- the properties are the layer's attributes. ``_ellipsoid_area``, the area on the CGCS2000 ellipsoid
  that the platform computes on import (m²), is published as ``椭球面积``: it is the one computed
  attribute worth filtering on, and every other system column (``_hash``, ``_vfrom``, ``_vto``,
  ``_valid``) stays internal;
- coordinates are in ``crs`` (default CRS84, lon/lat) in that CRS's axis order: lat,lon for EPSG:4490,
  northing,easting for the Gauss–Krüger zones (see :mod:`onemap.services.ogc_crs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from onemap.errors import InputError, NotFoundError
from onemap.services import ogc_crs
from onemap.services.cql2 import GEOMETRY_PROPERTY, compile_filter, intersects_filter
from onemap.services.geojson_text import geometry_texts
from onemap.services.ogc_crs import content_crs, storage_crs, supported_crs
from onemap.standards.codes import sandiao_names, ydyh_names
from onemap.standards.registry import get_table
from onemap.store import Store

__all__ = ["AREA_PROPERTY", "ItemResult", "ItemsResult", "content_crs", "item", "items", "public_columns",
           "queryables", "storage_crs", "supported_crs"]

AREA_PROPERTY = "椭球面积"
_PUBLIC = {"_ellipsoid_area": AREA_PROPERTY}  # stored column -> property name
_STORED = {public: stored for stored, public in _PUBLIC.items()}
_JSON_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "number": {"type": "number"},
               "boolean": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
               "datetime": {"type": "string", "format": "date-time"}}
_GEOMETRY_FORMATS = {"point", "multipoint", "linestring", "multilinestring", "polygon", "multipolygon"}


@dataclass
class ItemsResult:
    """One page of ``/collections/{layer}/items``."""

    body: dict  # GeoJSON FeatureCollection with numberReturned (numberMatched when known cheaply)
    content_crs: str  # the Content-Crs header
    version: int  # the layer version read
    next_after: int | None  # the ``after`` of the next page; None on the last page

    @property
    def next_params(self) -> dict[str, str] | None:
        """Query parameters for the ``next`` link; the version is pinned so pages never mix versions."""
        if self.next_after is None:
            return None
        return {"after": str(self.next_after), "version": str(self.version)}


@dataclass
class ItemResult:
    """``/collections/{layer}/items/{featureId}``."""

    body: dict  # GeoJSON Feature
    content_crs: str
    version: int


def public_columns(store: Store, layer: str) -> dict[str, str]:
    """Property name as clients see it → simple type, in table order."""
    return {_PUBLIC.get(c, c): kind for c, kind in store.columns(layer).items()}


def items(store: Store, layer: str, *, limit: int = 10, after: int | None = None,
          bbox: list[float] | None = None, bbox_crs: str | None = None, crs: str | None = None,
          filter: str | dict | None = None, filter_lang: str | None = None, filter_crs: str | None = None,
          version: int | None = None, as_of: date | datetime | None = None,
          properties: list[str] | None = None, scope: tuple[str, str] | None = None,
          geometry_text: bool = False, equals: dict[str, str] | None = None,
          total: int | None = None) -> ItemsResult:
    """A page of features: filtered by ``bbox`` and CQL2 ``filter``, keyset-paged by ``after``.

    ``scope`` = (field, prefix) limits the features to a reader's 行政区划 (e.g. ZLDWDM starting 341123).
    ``geometry_text``: each geometry is its GeoJSON text as an :class:`orjson.Fragment` instead of a dict —
    the same bytes once orjson writes the body, without building Python coordinate lists (for a body that
    only orjson writes; HTML pages and attribute tables read the dicts).
    ``equals``: queryable query parameters (``?DLBM=0101``), each an equality ANDed to the filter.
    ``total``: the version's feature count, given as ``numberMatched`` on unfiltered pages.
    """
    epsg = store.entry(layer).meta.epsg
    number = store.resolve_version(layer, version, as_of)
    output = ogc_crs.parse_crs(crs, what="crs")
    types = public_columns(store, layer)
    stored = {public: column for public, column in _STORED.items() if public in types}
    compiled = None
    if filter is not None and filter != "":
        compiled = compile_filter(filter, lang=filter_lang or "cql2-text", columns=types, filter_crs=filter_crs,
                                  layer_epsg=epsg, aliases=stored)
    compiled = _equalities(compiled, equals or {}, types, epsg)
    unfiltered = compiled is None and bbox is None and scope is None
    compiled = _scoped(compiled, scope, types, epsg)
    box = None
    if bbox is not None:
        box, region = ogc_crs.bbox_to_layer(bbox, ogc_crs.parse_crs(bbox_crs, what="bbox-crs"), epsg)
        compiled = intersects_filter(region, epsg).and_(compiled) if region is not None else compiled
    chosen = _chosen(types, properties)
    page = store.query_rows(layer, version=number, bbox=box, filter=compiled, after=after, limit=limit,
                            columns=[stored.get(name, name) for name in chosen])
    features = _row_features(page.rows, epsg, output, {name: types[name] for name in chosen}, text=geometry_text)
    body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}
    if page.matched is not None:
        body["numberMatched"] = page.matched
    elif unfiltered and total is not None:
        body["numberMatched"] = total
    return ItemsResult(body, content_crs(output), number, page.next_after)


def item(store: Store, layer: str, key: str, *, crs: str | None = None, version: int | None = None,
         as_of: date | datetime | None = None, scope: tuple[str, str] | None = None) -> ItemResult:
    """One feature by its id (``_key``); :class:`NotFoundError` when the version has no such feature
    (or when it lies outside the reader's ``scope``)."""
    epsg = store.entry(layer).meta.epsg
    number = store.resolve_version(layer, version, as_of)
    output = ogc_crs.parse_crs(crs, what="crs")
    frame = store.feature(layer, str(key), version=number)
    if scope is not None and not str(frame[scope[0]].iloc[0] or "").startswith(scope[1]):
        raise NotFoundError(f"图层 {layer} 中没有要素 {key}", f"{layer}/{key} outside scope {scope}")
    (feature,) = _features(frame, epsg, output, public_columns(store, layer))
    return ItemResult(feature, content_crs(output), number)


def _equalities(compiled, equals: dict[str, str], types: dict[str, str], epsg: int):
    """``compiled`` AND one equality per queryable query parameter, the value typed as the attribute
    (built as CQL2-JSON and compiled to bound SQL like any filter: no text is spliced)."""
    parts = []
    for name, text in equals.items():
        kind = types[name]
        try:
            value: object = {"integer": int, "number": float}.get(kind, str)(text)
        except ValueError:
            raise InputError(f"查询参数 {name} 应为{'整数' if kind == 'integer' else '数值'}:{text[:60]}",
                             f"bad queryable value {name}={text[:60]!r}") from None
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise InputError(f"查询参数 {name} 应为 true 或 false:{text[:60]}", f"bad boolean {name}")
            value = text.lower() == "true"
        parts.append({"op": "=", "args": [{"property": name}, value]})
    if not parts:
        return compiled
    tree = parts[0] if len(parts) == 1 else {"op": "and", "args": parts}
    found = compile_filter(tree, lang="cql2-json", columns=types, layer_epsg=epsg,
                           aliases={public: column for public, column in _STORED.items() if public in types})
    return found.and_(compiled)


def _scoped(compiled, scope: tuple[str, str] | None, types: dict[str, str], epsg: int):
    """``compiled`` AND the reader's region prefix (built as CQL2-JSON: no text is spliced)."""
    if scope is None:
        return compiled
    field, prefix = scope
    if not prefix.isdigit():
        raise InputError(f"行政区划代码应为数字:{prefix}", f"bad region prefix {prefix!r}")
    region = compile_filter({"op": "like", "args": [{"property": field}, f"{prefix}%"]}, lang="cql2-json",
                            columns=types, layer_epsg=epsg)
    return region.and_(compiled)


def queryables(store: Store, layer: str) -> dict:
    """The layer's queryables as a JSON Schema (OGC API Features Part 3), code lists as titled enums."""
    meta = store.entry(layer).meta
    titles = _field_titles(layer)
    geometry = meta.geometry_type.lower()
    schema = {GEOMETRY_PROPERTY: {
        "title": "几何", "format": f"geometry-{geometry if geometry in _GEOMETRY_FORMATS else 'any'}"}}
    for name, kind in public_columns(store, layer).items():
        entry = {"title": titles.get(name, name), **_JSON_TYPES[kind]}
        codes = _code_list(name)
        if codes and kind == "string":
            entry["enum"] = list(codes)
            entry["oneOf"] = [{"const": code, "title": title} for code, title in codes.items()]
        schema[name] = entry
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "title": meta.title, "properties": schema, "additionalProperties": False}


def _chosen(types: dict[str, str], properties: list[str] | None) -> list[str]:
    """The ``properties`` parameter checked against the layer (all of them by default)."""
    if properties is None:
        return list(types)
    unknown = [p for p in properties if p not in types]
    if unknown:
        raise InputError(f"未知属性 {'、'.join(u[:60] for u in unknown)},可用属性:{'、'.join(types)}",
                         f"unknown properties {unknown}")
    return list(dict.fromkeys(properties))


def _features(frame: gpd.GeoDataFrame, epsg: int, output: ogc_crs.OgcCRS, types: dict[str, str]) -> list[dict]:
    """GeoJSON features (id = ``_key``) with geometries in ``output`` and JSON-typed properties."""
    geometries = ogc_crs.from_layer(frame.geometry.to_numpy(), epsg, output)
    shapes = [None if text is None else orjson.loads(text) for text in shapely.to_geojson(geometries)]
    names = list(types)
    columns = [_json_values(frame[_STORED.get(name, name)], types[name]) for name in names]
    rows = zip(*columns, strict=True) if columns else ([] for _ in range(len(frame)))
    return [{"type": "Feature", "id": key, "geometry": shape, "properties": dict(zip(names, row, strict=True))}
            for key, shape, row in zip(frame["_key"].tolist(), shapes, rows, strict=True)]


def _row_features(rows: list[tuple], epsg: int, output: ogc_crs.OgcCRS, types: dict[str, str], *,
                  text: bool = False) -> list[dict]:
    """GeoJSON features from store rows ``(fid, _key, WKB, *attributes)``; the same output as :func:`_features`
    (``text``: geometries as orjson fragments, see :func:`items`)."""
    wkb = np.array([row[2] for row in rows], dtype=object)
    geometries = ogc_crs.from_layer(shapely.from_wkb(wkb), epsg, output)
    shape = orjson.Fragment if text else orjson.loads
    shapes = [None if geometry is None else shape(geometry) for geometry in geometry_texts(geometries)]
    names = list(types)
    convert = [_TO_JSON[types[name]] for name in names]
    return [{"type": "Feature", "id": row[1], "geometry": shape,
             "properties": {name: None if value is None else to_json(value)
                            for name, to_json, value in zip(names, convert, row[3:], strict=True)}}
            for row, shape in zip(rows, shapes, strict=True)]


def _number(value: object) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _date_text(value: object) -> str | None:
    """A date as YYYY-MM-DD: from a date (PostGIS) or ISO text (GeoPackage); None when unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return None
    return value.strftime("%Y-%m-%d")


def _datetime_text(value: object) -> str | None:
    """A time stamp in UTC as ISO 8601 with ``Z``; naive times count as UTC (as the stores write them)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    elif not isinstance(value, datetime):  # a date in a time stamp column
        value = datetime(value.year, value.month, value.day)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


_TO_JSON = {"integer": int, "number": _number, "boolean": bool, "string": str, "date": _date_text,
            "datetime": _datetime_text}


def _json_values(series: pd.Series, kind: str) -> list:
    """A column as JSON values of the attribute's type (the stores' dtypes differ; the output must not)."""
    missing = series.isna().to_numpy()
    if kind == "date":
        values = pd.to_datetime(series, errors="coerce").dt.strftime("%Y-%m-%d").tolist()
    elif kind == "datetime":
        stamps = pd.to_datetime(series, errors="coerce", utc=True)
        values = [None if pd.isna(v) else v.isoformat().replace("+00:00", "Z") for v in stamps]
    else:
        cast = {"integer": int, "number": float, "boolean": bool, "string": str}[kind]
        values = [None if gone else cast(v) for v, gone in zip(series.tolist(), missing, strict=True)]
    return [None if gone else v for v, gone in zip(values, missing, strict=True)]


def _code_list(name: str) -> dict[str, str]:
    """Codes with Chinese titles for the few fields whose code table the standards carry."""
    if name == "DLBM":
        # DLBM holds 二级类 codes and their K/A refinements (一级类 are groupings, CZCSXM a field of its own).
        frame = get_table("sandiao_landuse_codes").frame
        usable = set(frame.loc[frame["level"].isin(["2", "ext"]), "code"])
        return {code: title for code, title in sandiao_names().items() if code in usable}
    if name == "CZCSXM":
        frame = get_table("sandiao_landuse_codes").frame
        return dict(zip(*(frame.loc[frame["level"] == "CZCSXM", c] for c in ("code", "name_zh")), strict=True))
    if name == "YDYHFLDM":
        return ydyh_names()
    return {}


def _field_titles(layer: str) -> dict[str, str]:
    """Chinese field names: the layer's own table in the planning database standard, else 三调 DLTB's."""
    titles = get_table("sandiao_dltb_fields").mapping("name_zh")
    plan = get_table("plan_db_fields").frame
    own = plan[plan["layer_code"] == layer]
    return {**titles, **dict(zip(own["field_code"], own["name_zh"], strict=True)), AREA_PROPERTY: AREA_PROPERTY}
