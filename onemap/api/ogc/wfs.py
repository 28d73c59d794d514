"""WFS 2.0.0 simple profile (KVP GET): GetCapabilities, DescribeFeatureType, GetFeature (GML 3.2 / GeoJSON).

Every read goes through the OGC items access rule (:mod:`onemap.api.ogc.access`) and the features service;
errors are OWS ExceptionReport documents with Chinese text (400/404, never 500).
"""

import re
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from lxml import etree
from shapely.geometry import shape

from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc.access import readable_layer_version, region_scope
from onemap.api.ogc.fes import parse_fes
from onemap.api.ogc.geo import lonlat_extent
from onemap.catalog import listed_entries
from onemap.errors import NotFoundError, OnemapError
from onemap.security import PermissionDeniedError, User
from onemap.security.clearance import can_read_layer
from onemap.services import features as service
from onemap.store import Store

router = APIRouter(prefix="/ogc", tags=["WFS"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
XML = "application/xml"
GML_FORMAT = "application/gml+xml; version=3.2"
MAX_COUNT = 10_000
NS = {"wfs": "http://www.opengis.net/wfs/2.0", "ows": "http://www.opengis.net/ows/1.1",
      "fes": "http://www.opengis.net/fes/2.0", "gml": "http://www.opengis.net/gml/3.2",
      "xlink": "http://www.w3.org/1999/xlink", "xsd": "http://www.w3.org/2001/XMLSchema",
      "onemap": "https://onemap.example/wfs"}
OTHER_CRS = ["urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG::3857"] + [
    f"urn:ogc:def:crs:EPSG::{code}" for code in range(4513, 4555)]  # CGCS2000 GK 3° zones (with/without prefix)
XSD_TYPES = {"integer": "xsd:long", "number": "xsd:double", "boolean": "xsd:boolean", "date": "xsd:date",
             "date-time": "xsd:dateTime"}


class WfsError(OnemapError):
    """A WFS request error with its OWS exceptionCode and locator."""

    def __init__(self, message_zh: str, code: str, locator: str = "", status: int = 400) -> None:
        super().__init__(message_zh, f"WFS {code} {locator}")
        self.code, self.locator, self.status = code, locator, status


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _attribute(key: str) -> str:
    """``xlink__href`` → the namespaced attribute name."""
    prefix, _, local = key.partition("__")
    return _q(prefix, local) if local else key


def _sub(parent, prefix: str, tag: str, text: str | None = None, /, **attrib):
    element = etree.SubElement(parent, _q(prefix, tag), {_attribute(k): v for k, v in attrib.items()})
    if text is not None:
        element.text = text
    return element


def _xml(root) -> Response:
    return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), media_type=XML)


def exception_report(message: str, code: str, locator: str = "", status: int = 400) -> Response:
    root = etree.Element(_q("ows", "ExceptionReport"), {"version": "2.0.0"}, nsmap={"ows": NS["ows"]})
    exception = _sub(root, "ows", "Exception", exceptionCode=code)
    if locator:
        exception.set("locator", locator)
    _sub(exception, "ows", "ExceptionText", message)
    response = _xml(root)
    response.status_code = status
    return response


def _srs_uri(text: str | None) -> str | None:
    """An EPSG CRS name (urn, EPSG:n or URI) as the OGC URI the features service parses."""
    if not text:
        return None
    found = re.search(r"(?:EPSG(?::|::|/0/)|crs:EPSG::)(\d+)$", text.strip(), re.IGNORECASE)
    if found is None:
        if "CRS84" in text.upper():
            return "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        raise WfsError(f"不支持的坐标系:{text[:60]}", "InvalidParameterValue", "SRSNAME")
    return f"http://www.opengis.net/def/crs/EPSG/0/{found.group(1)}"


def _feature_entries(request: Request, user: User, store: Store):
    security = context(request).security
    return [e for e in listed_entries(store, user, security)
            if can_read_layer(user, e.meta, action="layer:read", settings=security)]


def capabilities(request: Request, user: User, store: Store) -> Response:
    base = str(request.base_url).rstrip("/") + "/ogc/wfs"
    root = etree.Element(_q("wfs", "WFS_Capabilities"), {"version": "2.0.0"}, nsmap={
        None: NS["wfs"], **{k: NS[k] for k in ("ows", "fes", "gml", "xlink", "xsd", "onemap")}})
    ident = _sub(root, "ows", "ServiceIdentification")
    _sub(ident, "ows", "Title", "国土空间规划一张图 WFS")
    _sub(ident, "ows", "ServiceType", "WFS")
    _sub(ident, "ows", "ServiceTypeVersion", "2.0.0")
    metadata = _sub(root, "ows", "OperationsMetadata")
    for operation in ("GetCapabilities", "DescribeFeatureType", "GetFeature"):
        op = _sub(metadata, "ows", "Operation", name=operation)
        _sub(_sub(_sub(op, "ows", "DCP"), "ows", "HTTP"), "ows", "Get", xlink__href=base + "?")
    formats = _sub(metadata, "ows", "Parameter", name="outputFormat")
    values = _sub(formats, "ows", "AllowedValues")
    for fmt in (GML_FORMAT, "application/json"):
        _sub(values, "ows", "Value", fmt)
    for name, value in (("ImplementsBasicWFS", "FALSE"), ("ImplementsTransactionalWFS", "FALSE"),
                        ("ImplementsLockingWFS", "FALSE"), ("KVPEncoding", "TRUE"), ("XMLEncoding", "FALSE"),
                        ("SOAPEncoding", "FALSE"), ("ImplementsInheritance", "FALSE"),
                        ("ImplementsRemoteResolve", "FALSE"), ("ImplementsResultPaging", "TRUE"),
                        ("ImplementsStandardJoins", "FALSE"), ("ImplementsSpatialJoins", "FALSE"),
                        ("ImplementsTemporalJoins", "FALSE"), ("ImplementsFeatureVersioning", "FALSE"),
                        ("ManageStoredQueries", "FALSE")):
        constraint = _sub(metadata, "ows", "Constraint", name=name)
        _sub(constraint, "ows", "NoValues")
        _sub(constraint, "ows", "DefaultValue", value)
    count = _sub(metadata, "ows", "Constraint", name="CountDefault")
    _sub(count, "ows", "NoValues")
    _sub(count, "ows", "DefaultValue", str(MAX_COUNT))
    types = _sub(root, "wfs", "FeatureTypeList")
    for entry in _feature_entries(request, user, store):
        feature_type = _sub(types, "wfs", "FeatureType")
        _sub(feature_type, "wfs", "Name", f"onemap:{entry.meta.name}")
        _sub(feature_type, "wfs", "Title", entry.meta.title or entry.meta.name)
        _sub(feature_type, "wfs", "DefaultCRS", "urn:ogc:def:crs:EPSG::4490")
        for other in OTHER_CRS:
            _sub(feature_type, "wfs", "OtherCRS", other)
        extent = lonlat_extent(entry)
        if extent:
            box = _sub(feature_type, "ows", "WGS84BoundingBox")
            _sub(box, "ows", "LowerCorner", f"{extent[0]} {extent[1]}")
            _sub(box, "ows", "UpperCorner", f"{extent[2]} {extent[3]}")
    filters = _sub(root, "fes", "Filter_Capabilities")  # then Conformance, Id, Scalar, Spatial (schema order)
    conformance = _sub(filters, "fes", "Conformance")
    for name, value in (("ImplementsQuery", "TRUE"), ("ImplementsAdHocQuery", "TRUE"),
                        ("ImplementsFunctions", "FALSE"), ("ImplementsResourceId", "TRUE"),
                        ("ImplementsMinStandardFilter", "TRUE"), ("ImplementsStandardFilter", "FALSE"),
                        ("ImplementsMinSpatialFilter", "TRUE"), ("ImplementsSpatialFilter", "FALSE"),
                        ("ImplementsMinTemporalFilter", "FALSE"), ("ImplementsTemporalFilter", "FALSE"),
                        ("ImplementsVersionNav", "FALSE"), ("ImplementsSorting", "FALSE"),
                        ("ImplementsExtendedOperators", "FALSE")):
        constraint = _sub(conformance, "fes", "Constraint", name=name)
        _sub(constraint, "ows", "NoValues")
        _sub(constraint, "ows", "DefaultValue", value)
    _sub(_sub(filters, "fes", "Id_Capabilities"), "fes", "ResourceIdentifier", name="fes:ResourceId")
    scalar = _sub(filters, "fes", "Scalar_Capabilities")
    _sub(scalar, "fes", "LogicalOperators")
    comparisons = _sub(scalar, "fes", "ComparisonOperators")
    for operator in ("PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan", "PropertyIsGreaterThan",
                     "PropertyIsLessThanOrEqualTo", "PropertyIsGreaterThanOrEqualTo"):
        _sub(comparisons, "fes", "ComparisonOperator", name=operator)
    spatial = _sub(filters, "fes", "Spatial_Capabilities")
    _sub(_sub(spatial, "fes", "GeometryOperands"), "fes", "GeometryOperand", name="gml:Envelope")
    _sub(_sub(spatial, "fes", "SpatialOperators"), "fes", "SpatialOperator", name="BBOX")
    return _xml(root)


def _type_name(params: dict[str, str]) -> str:
    names = params.get("TYPENAMES") or params.get("TYPENAME")
    if not names:
        raise WfsError("缺少参数 TYPENAMES", "MissingParameterValue", "TYPENAMES")
    if "," in names:
        raise WfsError("一次只能查询一个要素类型", "OperationProcessingFailed", "TYPENAMES")
    return names.split(":", 1)[-1]


def _readable(request: Request, user: User, store: Store, name: str):
    try:
        return readable_layer_version(request, store, user, name, "layer:read")
    except (NotFoundError, PermissionDeniedError):  # hidden layers answer exactly like missing ones
        raise WfsError(f"要素类型不存在:{name[:60]}", "InvalidParameterValue", "TYPENAMES") from None


def describe(request: Request, user: User, store: Store, params: dict[str, str]) -> Response:
    name = _type_name(params)
    _readable(request, user, store, name)
    columns = service.public_columns(store, name)
    root = etree.Element(_q("xsd", "schema"), {"targetNamespace": NS["onemap"], "elementFormDefault": "qualified"},
                         nsmap={"xsd": NS["xsd"], "gml": NS["gml"], "onemap": NS["onemap"]})
    _sub(root, "xsd", "import", namespace=NS["gml"], schemaLocation="http://schemas.opengis.net/gml/3.2.1/gml.xsd")
    _sub(root, "xsd", "element", name=name, type=f"onemap:{name}Type", substitutionGroup="gml:AbstractFeature")
    kind = _sub(root, "xsd", "complexType", name=f"{name}Type")
    sequence = _sub(_sub(_sub(kind, "xsd", "complexContent"), "xsd", "extension", base="gml:AbstractFeatureType"),
                    "xsd", "sequence")
    _sub(sequence, "xsd", "element", name="geometry", type="gml:GeometryPropertyType", minOccurs="0")
    for column, column_type in columns.items():
        _sub(sequence, "xsd", "element", name=column, type=XSD_TYPES.get(column_type, "xsd:string"),
             minOccurs="0", nillable="true")
    return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
                    media_type="application/gml+xml; version=3.2; subtype=gml/3.2")


def _pos_list(coords, swap: bool) -> str:
    return " ".join(f"{y} {x}" if swap else f"{x} {y}" for x, y, *_ in coords)


def _gml_geometry(parent, geometry, srs: str, swap: bool, gid: str) -> None:
    """A Shapely geometry as GML 3.2 under ``parent``."""
    kind = geometry.geom_type
    attrs = {"srsName": srs, _q("gml", "id"): gid}
    if kind == "Point":
        _sub(etree.SubElement(parent, _q("gml", "Point"), attrs), "gml", "pos", _pos_list(geometry.coords, swap))
    elif kind == "LineString":
        _sub(etree.SubElement(parent, _q("gml", "LineString"), attrs), "gml", "posList",
             _pos_list(geometry.coords, swap))
    elif kind == "Polygon":
        polygon = etree.SubElement(parent, _q("gml", "Polygon"), attrs)
        _ring(polygon, "exterior", geometry.exterior.coords, swap)
        for interior in geometry.interiors:
            _ring(polygon, "interior", interior.coords, swap)
    elif kind in ("MultiPolygon", "MultiLineString", "MultiPoint"):
        member = {"MultiPolygon": "surfaceMember", "MultiLineString": "curveMember", "MultiPoint": "pointMember"}
        collection = etree.SubElement(parent, _q("gml", {"MultiPolygon": "MultiSurface",
                                                        "MultiLineString": "MultiCurve",
                                                        "MultiPoint": "MultiPoint"}[kind]), attrs)
        for i, part in enumerate(geometry.geoms):
            _gml_geometry(_sub(collection, "gml", member[kind]), part, srs, swap, f"{gid}.{i}")


def _ring(polygon, which: str, coords, swap: bool) -> None:
    ring = _sub(_sub(polygon, "gml", which), "gml", "LinearRing")
    _sub(ring, "gml", "posList", _pos_list(coords, swap))


def _gml_collection(name: str, features: list[dict], matched: int | None, srs: str, swap: bool) -> bytes:
    root = etree.Element(_q("wfs", "FeatureCollection"), {
        "numberReturned": str(len(features)), "numberMatched": str(matched) if matched is not None else "unknown",
        "timeStamp": "1970-01-01T00:00:00Z"}, nsmap={k: NS[k] for k in ("wfs", "gml", "onemap")})
    for feature in features:
        member = _sub(root, "wfs", "member")
        fid = f"{name}.{feature.get('id')}"
        element = etree.SubElement(member, _q("onemap", name), {_q("gml", "id"): fid})
        if feature.get("geometry"):
            _gml_geometry(_sub(element, "onemap", "geometry"), shape(feature["geometry"]), srs, swap, f"{fid}.g")
        for key, value in (feature.get("properties") or {}).items():
            if value is not None:
                _sub(element, "onemap", key, str(value).lower() if isinstance(value, bool) else str(value))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _int(params: dict[str, str], key: str, default: int) -> int:
    try:
        value = int(params.get(key, default))
    except ValueError:
        raise WfsError(f"{key} 应为整数", "InvalidParameterValue", key) from None
    if value < 0:
        raise WfsError(f"{key} 不能为负数", "InvalidParameterValue", key)
    return value


def _bbox(params: dict[str, str]) -> tuple[list[float] | None, str | None]:
    text = params.get("BBOX")
    if not text:
        return None, None
    parts = text.split(",")
    crs = None
    if len(parts) == 5:
        crs = _srs_uri(parts.pop())
    try:
        values = [float(v) for v in parts]
    except ValueError:
        raise WfsError("BBOX 应为 4 个数值(可附坐标系)", "InvalidParameterValue", "BBOX") from None
    if len(values) != 4:
        raise WfsError("BBOX 应为 4 个数值(可附坐标系)", "InvalidParameterValue", "BBOX")
    return values, crs or "http://www.opengis.net/def/crs/EPSG/0/4490"  # WFS default: the DefaultCRS, lat,lon


def _by_id(store: Store, name: str, ids: str, srs: str, version: int, scope) -> list[dict]:
    """The features named by RESOURCEID (``layer.id`` or ``id``); ids not found (or out of scope) are skipped."""
    found = []
    for fid in ids.split(",")[:MAX_COUNT]:
        key = fid.strip().removeprefix(f"{name}.")
        try:
            found.append(service.item(store, name, key, crs=srs, version=version,
                                      scope=(scope.field, scope.prefix) if scope else None).body)
        except NotFoundError:
            continue
    return found


def get_feature(request: Request, user: User, store: Store, params: dict[str, str]) -> Response:
    if params.get("RESOURCEID") and not (params.get("TYPENAMES") or params.get("TYPENAME")):
        params = {**params, "TYPENAMES": params["RESOURCEID"].split(",")[0].rsplit(".", 1)[0]}
    name = _type_name(params)
    entry, info = _readable(request, user, store, name)
    count = min(_int(params, "COUNT", MAX_COUNT), MAX_COUNT)
    start = _int(params, "STARTINDEX", 0)
    if start + count > MAX_COUNT:
        raise WfsError(f"STARTINDEX + COUNT 不能超过 {MAX_COUNT}", "InvalidParameterValue", "STARTINDEX")
    srs = _srs_uri(params.get("SRSNAME")) or "http://www.opengis.net/def/crs/EPSG/0/4490"
    bbox, bbox_crs = _bbox(params)
    scope = region_scope(user, store, entry)
    hits = params.get("RESULTTYPE", "results").lower() == "hits"
    cql, filter_crs = None, None
    if params.get("FILTER"):
        if bbox is not None:
            raise WfsError("BBOX 与 FILTER 不能同时使用", "InvalidParameterValue", "FILTER")
        cql, fes_crs = parse_fes(params["FILTER"], service.public_columns(store, name))
        filter_crs = _srs_uri(fes_crs) or "http://www.opengis.net/def/crs/EPSG/0/4490"
    result = service.items(store, name, limit=max(start + count, 1), bbox=bbox, bbox_crs=bbox_crs, crs=srs,
                           filter=cql, filter_lang="cql2-json" if cql else None, filter_crs=filter_crs,
                           version=info.version, scope=(scope.field, scope.prefix) if scope else None)
    features = result.body["features"][start:start + count]
    matched = result.body.get("numberMatched")
    if params.get("RESOURCEID"):
        features = _by_id(store, name, params["RESOURCEID"], srs, info.version, scope)[start:start + count]
        matched = len(features)
    if hits:
        root = etree.Element(_q("wfs", "FeatureCollection"), {
            "numberReturned": "0", "numberMatched": str(matched if matched is not None else "unknown"),
            "timeStamp": "1970-01-01T00:00:00Z"}, nsmap={"wfs": NS["wfs"]})
        return _xml(root)
    fmt = params.get("OUTPUTFORMAT", GML_FORMAT).lower()
    if fmt in ("application/json", "json", "geojson"):
        body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}
        return Response(orjson.dumps(body), media_type="application/geo+json")
    if "gml" not in fmt and "xml" not in fmt:
        raise WfsError(f"不支持的输出格式:{fmt[:60]}", "InvalidParameterValue", "OUTPUTFORMAT")
    swap = False  # the features service already wrote the coordinates in the CRS's axis order
    srs_urn = "urn:ogc:def:crs:EPSG::" + srs.rsplit("/", 1)[-1]
    return Response(_gml_collection(name, features, matched, srs_urn, swap), media_type=GML_FORMAT)


@router.get("/wfs", summary="WFS 2.0.0(简单要素):GetCapabilities / DescribeFeatureType / GetFeature")
def kvp(request: Request, user: UserDep, store: StoreDep) -> Response:
    params = {k.upper(): v for k, v in request.query_params.items()}
    try:
        if params.get("SERVICE", "WFS").upper() != "WFS":
            raise WfsError("SERVICE 参数应为 WFS", "InvalidParameterValue", "SERVICE")
        operation = params.get("REQUEST", "GetCapabilities").lower()
        if operation == "getcapabilities":
            return capabilities(request, user, store)
        if operation == "describefeaturetype":
            return describe(request, user, store, params)
        if operation == "getfeature":
            return get_feature(request, user, store, params)
        raise WfsError(f"不支持的 WFS 操作:{params.get('REQUEST', '')[:40]}", "OperationNotSupported", "REQUEST")
    except WfsError as error:
        return exception_report(error.message_zh, error.code, error.locator, error.status)
    except NotFoundError as error:
        return exception_report(error.message_zh, "NotFound", "", 404)
    except OnemapError as error:
        return exception_report(error.message_zh, "InvalidParameterValue", "", 400)
