"""The WMTS 1.0.0 Capabilities: well-formed, CRS axis order right, readable by OWSLib."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from onemap.services.tiles import wmts_capabilities

NS = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1",
      "xlink": "http://www.w3.org/1999/xlink"}
LAYERS = [("DLTB", "地类图斑 <2023> & 更新", 4527, (116.9, 30.6, 117.1, 30.8)),
          ("STBHHX", "生态保护红线", 4490, (116.5, 30.2, 117.5, 31.2))]
TMS = ["WebMercatorQuad", "CGCS2000Quad", "GK3Zone39Quad"]


@pytest.fixture(scope="module")
def xml() -> str:
    return wmts_capabilities("https://onemap.example/api/", LAYERS, TMS)


def matrix_set(root: ET.Element, tms_id: str) -> ET.Element:
    return next(s for s in root.iterfind("w:Contents/w:TileMatrixSet", NS)
                if s.findtext("ows:Identifier", namespaces=NS) == tms_id)


def test_capabilities_are_well_formed_and_escape_titles(xml: str) -> None:
    root = ET.fromstring(xml)
    assert root.tag == "{http://www.opengis.net/wmts/1.0}Capabilities" and root.get("version") == "1.0.0"
    titles = [layer.findtext("ows:Title", namespaces=NS) for layer in root.iterfind("w:Contents/w:Layer", NS)]
    assert titles == ["地类图斑 <2023> & 更新", "生态保护红线"]
    assert "&lt;2023&gt; &amp;" in xml


def test_cgcs2000quad_is_written_in_latitude_longitude_order(xml: str) -> None:
    tms = matrix_set(ET.fromstring(xml), "CGCS2000Quad")
    assert tms.findtext("ows:SupportedCRS", namespaces=NS) == "urn:ogc:def:crs:EPSG::4490"
    first = tms.find("w:TileMatrix", NS)
    assert first.findtext("ows:Identifier", namespaces=NS) == "1"
    assert first.findtext("w:TopLeftCorner", namespaces=NS) == "90 -180"
    assert float(first.findtext("w:ScaleDenominator", namespaces=NS)) == pytest.approx(279541132.014359)
    assert (first.findtext("w:MatrixWidth", namespaces=NS), first.findtext("w:MatrixHeight", namespaces=NS)) == (
        "2", "1")
    assert len(tms.findall("w:TileMatrix", NS)) == 20


def test_gk_and_web_mercator_sets(xml: str) -> None:
    root = ET.fromstring(xml)
    gk = matrix_set(root, "GK3Zone39Quad")
    assert gk.findtext("ows:SupportedCRS", namespaces=NS) == "urn:ogc:def:crs:EPSG::4527"
    assert gk.find("w:TileMatrix", NS).findtext("w:TopLeftCorner", namespaces=NS) == "10485760 38451424"
    mercator = matrix_set(root, "WebMercatorQuad")
    assert mercator.findtext("w:WellKnownScaleSet", namespaces=NS) == "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
    corner = mercator.find("w:TileMatrix", NS).findtext("w:TopLeftCorner", namespaces=NS)
    assert [float(v) for v in corner.split()] == pytest.approx([-20037508.3427892, 20037508.3427892])


def test_layers_offer_rest_and_kvp_with_limits(xml: str) -> None:
    root = ET.fromstring(xml)
    layer = root.find("w:Contents/w:Layer", NS)
    template = layer.find("w:ResourceURL", NS).get("template")
    assert template == ("https://onemap.example/api/wmts/1.0.0/DLTB/{Style}/{TileMatrixSet}/{TileMatrix}/"
                        "{TileRow}/{TileCol}.png")
    native = layer.find("ows:BoundingBox", NS)
    assert native.get("crs") == "urn:ogc:def:crs:EPSG::4527"
    northing, easting = (float(v) for v in native.findtext("ows:LowerCorner", namespaces=NS).split())
    assert 3_300_000 < northing < 3_500_000 and 39_400_000 < easting < 39_600_000  # X (north) first
    encodings = {v.text for v in root.iterfind(".//ows:Operation[@name='GetTile']//ows:Value", NS)}
    assert encodings == {"KVP", "RESTful"}
    links = layer.findall("w:TileMatrixSetLink", NS)
    assert [link.findtext("w:TileMatrixSet", namespaces=NS) for link in links] == TMS
    level10 = next(limit for limit in links[1].iterfind("w:TileMatrixSetLimits/w:TileMatrixLimits", NS)
                   if limit.findtext("w:TileMatrix", namespaces=NS) == "10")
    assert level10.findtext("w:MinTileCol", namespaces=NS) == "844"  # 天地图 c level 10 column of 117°E


def test_owslib_reads_the_capabilities(xml: str) -> None:
    wmts = pytest.importorskip("owslib.wmts")
    service = wmts.WebMapTileService(url=None, xml=xml.encode())
    assert set(service.contents) == {"DLTB", "STBHHX"}
    assert set(service.tilematrixsets) == set(TMS)
    cgcs = service.tilematrixsets["CGCS2000Quad"]
    assert cgcs.crs == "urn:ogc:def:crs:EPSG::4490"
    assert cgcs.tilematrix["1"].topleftcorner == (90.0, -180.0)
    assert service.contents["DLTB"].boundingBoxWGS84 == (116.9, 30.6, 117.1, 30.8)
    assert {m["type"] for m in service.getOperationByName("GetTile").methods} == {"Get"}
