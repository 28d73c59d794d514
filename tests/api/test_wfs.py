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
