"""项目范围: read a project boundary from GeoJSON, a Shapefile/zip/GeoPackage, typed coordinates or the
部标 land-approval coordinate text (界址点坐标 ``[属性描述]`` / ``[地块坐标]``), and validate it.

Coordinates are checked (ring structure, finite values, vertex count) before any polygon is built, files
go through the safe reader, and :func:`validate` names why and where a geometry is invalid.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from onemap.config import Settings, get_settings
from onemap.errors import CRSError, InputError, UnsafeInputError
from onemap.geometry.crs import GEOGRAPHIC_EPSG, OnemapCRS, accepted_crs, check_extent, resolve_crs
from onemap.ingest.files import check_json_depth
from onemap.review.compliance.textformat import is_bubiao, parse_bubiao

ID_FIELDS = ("DKBH", "XMBH", "BSM", "ID", "id")
NAME_FIELDS = ("DKMC", "XMMC", "NAME", "name", "MC")
_REASONS = {  # GEOS is_valid_reason → Chinese
    "Ring Self-intersection": "环自相交", "Self-intersection": "边自相交",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested shells": "外环相互嵌套", "Interior is disconnected": "内部不连通(内环分割了面)",
    "Nested holes": "内环相互嵌套", "Too few points": "点数过少", "Duplicate Rings": "存在重复的环",
    "Invalid Coordinate": "坐标无效",
}


@dataclass
class Parcel:
    """One parcel (地块) of a project: a polygon or multipolygon in the boundary's CRS."""

    id: str
    name: str
    geometry: Any
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class GeometryProblem:
    """Why a parcel's geometry is invalid (Chinese) and where (boundary CRS)."""

    parcel: str
    reason: str
    location: tuple[float, float] | None = None


@dataclass
class ProjectBoundary:
    """A project's parcels, their CRS, where they came from, and the problems :func:`validate` found."""

    parcels: list[Parcel]
    crs: OnemapCRS
    source: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    problems: list[GeometryProblem] = field(default_factory=list)

    @property
    def geometries(self) -> np.ndarray:
        """The parcel geometries as a Shapely array."""
        return np.array([p.geometry for p in self.parcels], dtype=object)


def ring_array(points: Any, max_vertices: int) -> np.ndarray:
    """An (n, 2) float array of one ring, checked: numbers, finite, at least 3 distinct points, closed."""
    try:
        xy = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise InputError("坐标格式错误:每个点应为 [x, y] 数值", "ring is not an array of numbers") from None
    if xy.ndim != 2 or xy.shape[1] not in (2, 3):
        raise InputError("坐标格式错误:每个点应为 [x, y] 数值", f"ring has shape {xy.shape}")
    if len(xy) > max_vertices:
        raise UnsafeInputError(f"一个环的顶点数超过 {max_vertices} 个,已拒绝", "too many vertices")
    if not np.isfinite(xy).all():
        raise UnsafeInputError("坐标含有 NaN 或无穷大,已拒绝", "NaN/Inf coordinate")
    xy = xy[:, :2]
    if len(xy) and not (xy[0] == xy[-1]).all():
        xy = np.vstack([xy, xy[:1]])
    return xy


def polygon_from_rings(rings: list[Any], max_vertices: int) -> shapely.Polygon:
    """A polygon from an outer ring and holes; fewer than 3 distinct points give an empty polygon."""
    arrays = [ring_array(r, max_vertices) for r in rings]
    if not arrays or any(len(np.unique(a, axis=0)) < 3 for a in arrays):
        return shapely.Polygon()  # validate() reports it as 点数过少
    return shapely.Polygon(arrays[0], arrays[1:])


def _geojson_geometry(geometry: dict | None, max_vertices: int) -> Any:
    kind = (geometry or {}).get("type")
    coordinates = (geometry or {}).get("coordinates")
    if kind == "Polygon" and isinstance(coordinates, list):
        return polygon_from_rings(coordinates, max_vertices)
    if kind == "MultiPolygon" and isinstance(coordinates, list):
        parts = [polygon_from_rings(p, max_vertices) for p in coordinates if isinstance(p, list)]
        return shapely.multipolygons(parts) if all(not p.is_empty for p in parts) else shapely.Polygon()
    raise InputError(f"项目范围须为面(Polygon/MultiPolygon),收到:{kind}", f"unsupported GeoJSON geometry {kind}")


def _guess_crs(bounds: tuple[float, float, float, float]) -> OnemapCRS:
    """EPSG:4490 for lon/lat values, a GK zone for 'big number' eastings; else ask for the CRS."""
    xmin, _, xmax, _ = bounds
    if not np.isfinite([xmin, xmax]).all() or -180 <= xmin <= xmax <= 180:  # empty: validate() reports it
        return accepted_crs()[GEOGRAPHIC_EPSG]
    zone = int(xmin // 1_000_000)
    for crs in accepted_crs().values():
        if crs.zone_prefix and crs.zone == zone and zone == int(xmax // 1_000_000):
            return crs
    raise CRSError("无法从坐标判断坐标系(横坐标不带带号),请指定坐标系,如 EPSG:4527", "cannot guess CRS")


def from_geojson(data: dict | str, *, crs: object = None, settings: Settings | None = None) -> ProjectBoundary:
    """A boundary from a GeoJSON Feature, FeatureCollection or (Multi)Polygon (CRS84/EPSG:4490 or ``crs``)."""
    settings = settings or get_settings()
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"GeoJSON 格式错误:{exc}", f"bad GeoJSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError("GeoJSON 须为对象", "GeoJSON is not an object")
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
    elif data.get("type") == "Feature":
        features = [data]
    else:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    parcels = []
    for number, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {}
        geometry = _geojson_geometry((feature or {}).get("geometry"), settings.max_vertices_per_feature)
        parcels.append(_parcel(number, props, geometry, feature.get("id")))
    if not parcels:
        raise InputError("GeoJSON 中没有地块", "empty GeoJSON")
    named = ((data.get("crs") or {}).get("properties") or {}).get("name")
    chosen = crs if crs is not None else named
    if chosen is None:
        resolved = _guess_crs(tuple(shapely.total_bounds([p.geometry for p in parcels])))
    else:
        resolved = resolve_crs(chosen, allow_wgs84="CRS84" in str(chosen).upper())
    return ProjectBoundary(parcels, resolved, "GeoJSON")


def _parcel(number: int, props: dict, geometry: Any, fallback_id: Any = None) -> Parcel:
    ident = next((props[f] for f in ID_FIELDS if props.get(f) not in (None, "")), fallback_id) or number
    name = next((props[f] for f in NAME_FIELDS if props.get(f) not in (None, "")), "") or f"地块{number}"
    clean = {k: v for k, v in props.items() if isinstance(v, str | int | float | bool) or v is None}
    return Parcel(str(ident), str(name), geometry, clean)


def from_coordinates(points: Any, *, crs: object = None, settings: Settings | None = None) -> ProjectBoundary:
    """A one-parcel boundary from typed coordinates: ``[(x, y), …]`` or rings ``[[(x, y), …], …]`` (first outer).

    x is the easting or longitude. With a GK ``crs`` given, pairs typed as (X north, Y east) are recognised
    by their range and swapped.
    """
    settings = settings or get_settings()
    rings = points if points and np.ndim(points[0]) == 2 else [points]
    polygon = polygon_from_rings(rings, settings.max_vertices_per_feature)
    bounds = tuple(shapely.total_bounds(polygon))
    resolved = _guess_crs(bounds) if crs is None else resolve_crs(crs)
    if polygon.is_empty is False:
        try:
            check_extent(bounds, resolved)
        except CRSError:
            swapped = shapely.transform(polygon, lambda xy: xy[:, ::-1])
            check_extent(tuple(shapely.total_bounds(swapped)), resolved)
            polygon = swapped
    return ProjectBoundary([Parcel("1", "地块1", polygon)], resolved, "坐标输入")


def from_typed_text(text: str, *, crs: object = None, settings: Settings | None = None) -> ProjectBoundary:
    """Typed coordinates, one ``x,y`` (or ``x y``) pair a line; a blank line starts the next ring."""
    rings: list[list[list[float]]] = [[]]
    for line in text.splitlines():
        values = [v for v in re.split(r"[,\s,;]+", line.strip()) if v]
        if not values:
            if rings[-1]:
                rings.append([])
            continue
        try:
            rings[-1].append([float(values[-2]), float(values[-1])])
        except (ValueError, IndexError):
            raise InputError(f"无法识别的坐标行:{line.strip()[:80]}", "bad coordinate line") from None
    return from_coordinates([r for r in rings if r], crs=crs, settings=settings)


def from_file(path: Path, *, crs: object = None, encoding: str | None = None,
              settings: Settings | None = None) -> ProjectBoundary:
    """A boundary from a file: GeoJSON, 部标 coordinate text, typed coordinates, or any dataset the reader takes."""
    settings = settings or get_settings()
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件不存在:{path}", f"missing {path}")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        check_json_depth(path, settings.max_geometry_depth)
        boundary = from_geojson(path.read_text(encoding="utf-8-sig"), crs=crs, settings=settings)
    elif suffix in (".txt", ".csv"):
        text = _decode(path.read_bytes(), encoding)
        boundary = parse_bubiao(text, settings=settings, crs=crs) if is_bubiao(text) \
            else from_typed_text(text, crs=crs, settings=settings)
    else:
        boundary = _from_dataset(path, crs, encoding, settings)
    boundary.source = path.name
    return boundary


def _decode(data: bytes, encoding: str | None) -> str:
    """Text of a coordinate file: the given encoding, else UTF-8, else GB18030 (a superset of GBK)."""
    for candidate in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError("无法识别坐标文件的文字编码(应为 UTF-8 或 GBK)", "undecodable coordinate text")


def _from_dataset(path: Path, crs: object, encoding: str | None, settings: Settings) -> ProjectBoundary:
    from onemap.ingest.reader import discover, read_layer

    with tempfile.TemporaryDirectory(prefix="onemap-boundary-") as work:
        for source in discover(path, Path(work), settings):
            layer = read_layer(source, settings, encoding)
            kinds = shapely.get_type_id(layer.frame.geometry.to_numpy())
            if len(kinds) and np.isin(kinds, (3, 6)).all():
                break
        else:
            raise InputError(f"{path.name} 中没有面图层,无法作为项目范围", f"no polygon layer in {path}")
    resolved = resolve_crs(crs if crs is not None else layer.crs_wkt)
    attributes = layer.frame.drop(columns="geometry").to_dict("records")
    parcels = [_parcel(i, props, geometry)
               for i, (props, geometry) in enumerate(zip(attributes, layer.frame.geometry, strict=True), start=1)]
    return ProjectBoundary(parcels, resolved, path.name)


def load_boundary(source: Any, *, crs: object = None, encoding: str | None = None,
                  settings: Settings | None = None) -> ProjectBoundary:
    """A validated :class:`ProjectBoundary` from a path, GeoJSON (dict or text), 部标 text or typed coordinates.

    ``crs`` names the CRS when the input does not carry one (e.g. ``"EPSG:4527"``). Invalid geometries do not
    raise: they are listed in ``problems`` (the review then answers 无效几何); unreadable input raises
    :class:`~onemap.errors.InputError`.
    """
    if isinstance(source, ProjectBoundary):
        boundary = source
    elif isinstance(source, dict):
        boundary = from_geojson(source, crs=crs, settings=settings)
    elif isinstance(source, list | tuple):
        boundary = from_coordinates(source, crs=crs, settings=settings)
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        boundary = from_geojson(source, crs=crs, settings=settings)
    elif isinstance(source, str) and is_bubiao(source):
        boundary = parse_bubiao(source, crs=crs, settings=settings)
    else:
        boundary = from_file(Path(source), crs=crs, encoding=encoding, settings=settings)
    return validate(boundary)


def _problem(parcel: Parcel) -> GeometryProblem | None:
    geometry = parcel.geometry
    if geometry is None or shapely.is_empty(geometry) or shapely.get_type_id(geometry) not in (3, 6):
        return GeometryProblem(parcel.id, "几何为空或点数过少(每个环至少 3 个不同的点)")
    if shapely.is_valid(geometry):
        return None
    text = shapely.is_valid_reason(geometry)
    match = re.match(r"([^\[]+)\[([-\d.eE+]+) ([-\d.eE+]+)", text)
    reason = match.group(1).strip() if match else text
    location = (float(match.group(2)), float(match.group(3))) if match else None
    return GeometryProblem(parcel.id, _REASONS.get(reason, reason), location)


def validate(boundary: ProjectBoundary) -> ProjectBoundary:
    """Fill ``boundary.problems``: invalid or empty parcels, parcels overlapping each other; check the extent."""
    problems = [p for p in map(_problem, boundary.parcels) if p is not None]
    if not problems:
        geoms = boundary.geometries
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i < j and shapely.relate_pattern(geoms[i], geoms[j], "2********"):  # interiors share area
                spot = shapely.point_on_surface(shapely.intersection(geoms[i], geoms[j]))
                problems.append(GeometryProblem(boundary.parcels[i].id,
                                                f"与地块 {boundary.parcels[j].id} 相互重叠", (spot.x, spot.y)))
        check_extent(tuple(shapely.total_bounds(geoms)), boundary.crs)
    boundary.problems = problems
    return boundary
