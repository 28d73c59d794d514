"""WFS 2.0.0: capabilities, schema and features read by OWSLib, access rule, OWS exceptions."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from tests.api.conftest import Api, with_dltb_reader

OWS = "{http://www.opengis.net/ows/1.1}"


@pytest.fixture
def reader(api: Api) -> Api:
    return with_dltb_reader(api, 12)


def test_capabilities_read_by_owslib(reader: Api) -> None:
    from owslib.wfs import WebFeatureService

    xml = reader.client.get("/ogc/wfs", params={"SERVICE": "WFS", "REQUEST": "GetCapabilities"})
    assert xml.status_code == 200, xml.text
    wfs = WebFeatureService(url=None, xml=xml.content, version="2.0.0")
    assert "onemap:DLTB" in wfs.contents
    assert "urn:ogc:def:crs:EPSG::4490" in str(wfs.contents["onemap:DLTB"].crsOptions[0])


def test_get_feature_json_and_gml(reader: Api) -> None:
    base = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": "onemap:DLTB"}
    geojson = reader.client.get("/ogc/wfs", params={**base, "OUTPUTFORMAT": "application/json"})
    assert geojson.status_code == 200, geojson.text
    assert len(json.loads(geojson.content)["features"]) == 12
    gml = reader.client.get("/ogc/wfs", params={**base, "COUNT": "5", "STARTINDEX": "10"})
    root = etree.fromstring(gml.content)
    assert root.get("numberReturned") == "2"
    assert root.find(".//{http://www.opengis.net/gml/3.2}posList") is not None
    hits = reader.client.get("/ogc/wfs", params={**base, "RESULTTYPE": "hits"})
    assert etree.fromstring(hits.content).get("numberReturned") == "0"
    schema = reader.client.get("/ogc/wfs", params={**base, "REQUEST": "DescribeFeatureType"})
    assert schema.status_code == 200 and b"DLBM" in schema.content


def test_errors_are_ows_exception_reports(reader: Api) -> None:
    missing = reader.client.get("/ogc/wfs", params={"REQUEST": "GetFeature", "TYPENAMES": "NOPE"})
    assert missing.status_code == 400
    assert etree.fromstring(missing.content).find(f"{OWS}Exception").get("exceptionCode") == "InvalidParameterValue"
    unknown = reader.client.get("/ogc/wfs", params={"REQUEST": "Transaction"})
    assert unknown.status_code == 400 and "不支持" in unknown.text


def test_secret_layer_invisible_to_anonymous(classified_api: Api) -> None:
    classified_api.add_layer("MIMI", "秘密")
    anonymous = classified_api.client
    caps = anonymous.get("/ogc/wfs", params={"REQUEST": "GetCapabilities"})
    assert "MIMI" not in caps.text
    hidden = anonymous.get("/ogc/wfs", params={"REQUEST": "GetFeature", "TYPENAMES": "MIMI"})
    missing = anonymous.get("/ogc/wfs", params={"REQUEST": "GetFeature", "TYPENAMES": "MIMI2"})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.text.replace("MIMI", "X") == missing.text.replace("MIMI2", "X")


def _fes(body: str) -> str:
    return f'<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2">{body}</fes:Filter>'


def _first_position(geometry: dict) -> list[float]:
    coords = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def test_fes_filter_gives_the_right_subset(reader: Api) -> None:
    base = {"REQUEST": "GetFeature", "TYPENAMES": "DLTB", "OUTPUTFORMAT": "application/json"}
    everything = json.loads(reader.client.get("/ogc/wfs", params=base).content)["features"]
    code = everything[0]["properties"]["DLBM"]
    equal = (f"<fes:PropertyIsEqualTo><fes:ValueReference>DLBM</fes:ValueReference>"
             f"<fes:Literal>{code}</fes:Literal></fes:PropertyIsEqualTo>")
    response = reader.client.get("/ogc/wfs", params={**base, "FILTER": _fes(equal)})
    assert response.status_code == 200, response.text
    got = json.loads(response.content)["features"]
    assert len(got) == sum(f["properties"]["DLBM"] == code for f in everything) >= 1
    lat, lon = _first_position(everything[0]["geometry"])  # EPSG:4490 output: lat,lon
    box = ('<fes:BBOX><fes:ValueReference>geometry</fes:ValueReference>'
           '<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4490">'
           f'<gml:lowerCorner>{lat - 0.5} {lon - 0.5}</gml:lowerCorner>'
           f'<gml:upperCorner>{lat + 0.5} {lon + 0.5}</gml:upperCorner>'
           '</gml:Envelope></fes:BBOX>')
    both = reader.client.get("/ogc/wfs", params={**base, "FILTER": _fes(f"<fes:And>{equal}{box}</fes:And>")})
    assert both.status_code == 200, both.text
    assert len(json.loads(both.content)["features"]) == len(got)
    far = box.replace(f"{lat - 0.5} ", f"{lat - 9} ").replace(f"{lat + 0.5} ", f"{lat - 8} ")
    outside = reader.client.get("/ogc/wfs", params={**base, "FILTER": _fes(far)})
    assert json.loads(outside.content)["features"] == []


def test_hostile_filter_refused(reader: Api) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + _fes("&b;")
    xxe = '<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _fes("&x;")
    for text in (bomb, xxe, "<not-xml"):
        response = reader.client.get("/ogc/wfs", params={"REQUEST": "GetFeature", "TYPENAMES": "DLTB", "FILTER": text})
        assert response.status_code == 400 and b"ExceptionReport" in response.content


def test_kvp_bbox_in_4490_is_lat_lon_and_resource_id(reader: Api) -> None:
    from pyproj import CRS

    assert [axis.abbrev for axis in CRS.from_epsg(4490).axis_info][:2] == ["Lat", "Lon"]
    base = {"REQUEST": "GetFeature", "TYPENAMES": "DLTB", "OUTPUTFORMAT": "application/json"}
    everything = json.loads(reader.client.get("/ogc/wfs", params=base).content)["features"]
    lat, lon = _first_position(everything[0]["geometry"])
    around = f"{lat - 0.5},{lon - 0.5},{lat + 0.5},{lon + 0.5},urn:ogc:def:crs:EPSG::4490"
    inside = reader.client.get("/ogc/wfs", params={**base, "BBOX": around})
    assert len(json.loads(inside.content)["features"]) == len(everything)
    swapped = f"{lon - 0.5},{lat - 0.5},{lon + 0.5},{lat + 0.5},urn:ogc:def:crs:EPSG::4490"
    wrong = reader.client.get("/ogc/wfs", params={**base, "BBOX": swapped})  # latitude ≈ 117: out of range
    assert wrong.status_code == 400 or json.loads(wrong.content)["features"] == [], wrong.text
    wanted = f"DLTB.{everything[1]['id']}"
    one = reader.client.get("/ogc/wfs", params={"REQUEST": "GetFeature", "RESOURCEID": wanted,
                                                "OUTPUTFORMAT": "application/json"})
    assert [f["id"] for f in json.loads(one.content)["features"]] == [everything[1]["id"]]
