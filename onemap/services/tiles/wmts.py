"""The WMTS 1.0.0 Capabilities document (OGC 07-057r7) for legacy clients (ArcGIS, SuperMap, 天地图 viewers).

Tiles are offered both ways the standard knows, and the document says so in OperationsMetadata:

* KVP: ``{base_url}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=…&STYLE=…&TILEMATRIXSET=…
  &TILEMATRIX=…&TILEROW=…&TILECOL=…&FORMAT=image/png``;
* REST: ``{base_url}/wmts/1.0.0/{layer}/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png``.

Coordinates are written in each CRS's own axis order, as WMTS requires: EPSG:4490 latitude first
(TopLeftCorner ``90 -180``), the Gauss–Krüger CRSs northing first. Scale denominators use the
OGC 0.28 mm pixel. The XML is built with ElementTree, so user values are always escaped.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import NamedTuple
from urllib.parse import quote

from pyproj import CRS

from onemap.services.ogc_crs import transform_bounds
from onemap.services.tiles.styles import DEFAULT, get_style
from onemap.services.tiles.tms import WEB_MERCATOR, get_tms, tms_epsg

WMTS = "http://www.opengis.net/wmts/1.0"
OWS = "http://www.opengis.net/ows/1.1"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = "http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd"
REST_TILE = "/wmts/1.0.0/{layer}/{{Style}}/{{TileMatrixSet}}/{{TileMatrix}}/{{TileRow}}/{{TileCol}}.png"
GOOGLE_MAPS_COMPATIBLE = "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
GEOGRAPHIC_EPSG = 4490
for _prefix, _uri in (("", WMTS), ("ows", OWS), ("xlink", XLINK), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)


class WMTSLayer(NamedTuple):
    """A layer of the Capabilities: identifier, title, native EPSG code, extent in lon/lat."""

    name: str
    title: str
    epsg: int
    bbox_lonlat: tuple[float, float, float, float]


def wmts_capabilities(base_url: str, layers: list[tuple[str, str, int, tuple[float, float, float, float]]],
                      tms_ids: list[str], *, title: str = "国土空间规划“一张图”瓦片服务") -> str:
    """The Capabilities XML of ``layers`` (name, title, epsg, lon/lat bbox) tiled in ``tms_ids``."""
    base = base_url.rstrip("/")
    root = ET.Element(_w("Capabilities"), {"version": "1.0.0", f"{{{XSI}}}schemaLocation": SCHEMA})
    service = _sub(root, _o("ServiceIdentification"))
    _sub(service, _o("Title"), title)
    _sub(service, _o("ServiceType"), "OGC WMTS")
    _sub(service, _o("ServiceTypeVersion"), "1.0.0")
    _operations(_sub(root, _o("OperationsMetadata")), base)
    contents = _sub(root, _w("Contents"))
    for layer in (WMTSLayer(*item) for item in layers):
        _layer(contents, layer, tms_ids, base)
    for tms_id in tms_ids:
        _tile_matrix_set(contents, tms_id)
    _sub(root, _w("ServiceMetadataURL"), attributes={f"{{{XLINK}}}href": f"{base}/wmts/1.0.0/WMTSCapabilities.xml"})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _w(tag: str) -> str:
    return f"{{{WMTS}}}{tag}"


def _o(tag: str) -> str:
    return f"{{{OWS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, attributes: dict | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes or {})
    if text is not None:
        element.text = text
    return element


def _number(value: float) -> str:
    """Shortest exact text of a number, without a trailing ``.0`` (``90``, ``-20037508.3427892``)."""
    return repr(float(value)).removesuffix(".0")


def _urn(epsg: int) -> str:
    return f"urn:ogc:def:crs:EPSG::{epsg}"


def _operations(parent: ET.Element, base: str) -> None:
    """GetCapabilities and GetTile, each by KVP and RESTful encoding."""
    urls = {"GetCapabilities": (f"{base}/wmts?", f"{base}/wmts/1.0.0/WMTSCapabilities.xml"),
            "GetTile": (f"{base}/wmts?", f"{base}/wmts/1.0.0/")}
    for name, (kvp, rest) in urls.items():
        http = _sub(_sub(_sub(parent, _o("Operation"), attributes={"name": name}), _o("DCP")), _o("HTTP"))
        for href, encoding in ((kvp, "KVP"), (rest, "RESTful")):
            get = _sub(http, _o("Get"), attributes={f"{{{XLINK}}}href": href})
            constraint = _sub(get, _o("Constraint"), attributes={"name": "GetEncoding"})
            _sub(_sub(constraint, _o("AllowedValues")), _o("Value"), encoding)


def _axis_first_north(epsg: int) -> bool:
    return CRS.from_epsg(epsg).axis_info[0].direction.lower() in ("north", "south")


def _corners(parent: ET.Element, tag: str, bounds: tuple[float, ...], north_first: bool,
             attributes: dict | None = None) -> None:
    box = _sub(parent, tag, attributes=attributes)
    west, south, east, north = bounds
    lower, upper = ((south, west), (north, east)) if north_first else ((west, south), (east, north))
    _sub(box, _o("LowerCorner"), " ".join(_number(v) for v in lower))
    _sub(box, _o("UpperCorner"), " ".join(_number(v) for v in upper))


def _layer(contents: ET.Element, layer: WMTSLayer, tms_ids: list[str], base: str) -> None:
    element = _sub(contents, _w("Layer"))
    _sub(element, _o("Title"), layer.title)
    _corners(element, _o("WGS84BoundingBox"), layer.bbox_lonlat, north_first=False)
    _sub(element, _o("Identifier"), layer.name)
    native = transform_bounds(GEOGRAPHIC_EPSG, layer.epsg, layer.bbox_lonlat)  # the cached transformer
    _corners(element, _o("BoundingBox"), native, _axis_first_north(layer.epsg), {"crs": _urn(layer.epsg)})
    style = _sub(element, _w("Style"), attributes={"isDefault": "true"})
    _sub(style, _o("Title"), get_style(layer.name).title)
    _sub(style, _o("Identifier"), DEFAULT)
    _sub(element, _w("Format"), "image/png")
    for tms_id in tms_ids:
        link = _sub(element, _w("TileMatrixSetLink"))
        _sub(link, _w("TileMatrixSet"), tms_id)
        _limits(_sub(link, _w("TileMatrixSetLimits")), tms_id, layer.bbox_lonlat)
    template = base + REST_TILE.format(layer=quote(layer.name, safe=""))
    _sub(element, _w("ResourceURL"), attributes={"format": "image/png", "resourceType": "tile", "template": template})


def _limits(parent: ET.Element, tms_id: str, bbox_lonlat: tuple[float, float, float, float]) -> None:
    """The rows and columns of each level that hold the layer (clients skip requests outside them)."""
    tms = get_tms(tms_id)
    left, bottom, right, top = transform_bounds(GEOGRAPHIC_EPSG, tms_epsg(tms_id), bbox_lonlat)
    for matrix in tms.tileMatrices:
        z = int(matrix.id)
        origin_x, _, _, origin_y = tms.xy_bounds(0, 0, z)
        span_x, span_y = matrix.cellSize * matrix.tileWidth, matrix.cellSize * matrix.tileHeight

        def clamp(value: float, size: int) -> int:
            return min(max(int(math.floor(value)), 0), size - 1)

        limit = _sub(parent, _w("TileMatrixLimits"))
        _sub(limit, _w("TileMatrix"), matrix.id)
        _sub(limit, _w("MinTileRow"), str(clamp((origin_y - top) / span_y, matrix.matrixHeight)))
        _sub(limit, _w("MaxTileRow"), str(clamp((origin_y - bottom) / span_y, matrix.matrixHeight)))
        _sub(limit, _w("MinTileCol"), str(clamp((left - origin_x) / span_x, matrix.matrixWidth)))
        _sub(limit, _w("MaxTileCol"), str(clamp((right - origin_x) / span_x, matrix.matrixWidth)))


def _tile_matrix_set(contents: ET.Element, tms_id: str) -> None:
    tms = get_tms(tms_id)
    element = _sub(contents, _w("TileMatrixSet"))
    _sub(element, _o("Title"), tms.title or tms_id)
    _sub(element, _o("Identifier"), tms_id)
    _sub(element, _o("SupportedCRS"), _urn(tms_epsg(tms_id)))
    if tms_id == WEB_MERCATOR:
        _sub(element, _w("WellKnownScaleSet"), GOOGLE_MAPS_COMPATIBLE)
    for matrix in tms.tileMatrices:
        item = _sub(element, _w("TileMatrix"))
        _sub(item, _o("Identifier"), matrix.id)
        _sub(item, _w("ScaleDenominator"), _number(matrix.scaleDenominator))
        # pointOfOrigin is already in the CRS's axis order (orderedAxes), as TopLeftCorner must be.
        _sub(item, _w("TopLeftCorner"), " ".join(_number(v) for v in matrix.pointOfOrigin))
        for tag, value in (("TileWidth", matrix.tileWidth), ("TileHeight", matrix.tileHeight),
                           ("MatrixWidth", matrix.matrixWidth), ("MatrixHeight", matrix.matrixHeight)):
            _sub(item, _w(tag), str(value))
