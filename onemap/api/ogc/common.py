"""OGC API Common: landing page, conformance, links."""

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from onemap.api.auth import current_user
from onemap.api.ogc import html
from onemap.api.ogc.parameters import known_parameters
from onemap.security import User

router = APIRouter(prefix="/ogc", tags=["OGC API"], dependencies=[Depends(known_parameters)])
JSON = "application/json"
GEOJSON = "application/geo+json"

MAX_VERSION = 2**31 - 1  # layer version numbers are 32-bit integers in both stores
FormatDep = Annotated[Literal["json", "html"] | None, Query(description=html.FORMAT_DESCRIPTION)]

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    # No oas30 class: the OpenAPI document is 3.1 (FastAPI's), declared as such in the service-desc link.
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
]


def url(request: Request, path: str, **query: str) -> str:
    """An absolute URL on this server (links must be absolute for GDAL and QGIS)."""
    base = str(request.base_url).rstrip("/")
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{base}{path}" + (f"?{tail}" if tail else "")


def link(href: str, rel: str, media: str = JSON, title: str = "") -> dict:
    """One link object."""
    return {"href": href, "rel": rel, "type": media, "title": title}


@router.get("", summary="OGC API 首页", responses=html.HTML_RESPONSE)
def landing(request: Request, user: Annotated[User, Depends(current_user)], f: FormatDep = None
            ) -> Response:
    body = {
        "title": "国土空间规划“一张图” OGC API",
        "description": "要素(Features)、瓦片(Tiles)、目录(Records)服务;坐标系 CGCS2000。",
        "links": [
            link(url(request, "/ogc"), "self", title="本页"),
            link(url(request, "/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.1",
                 "接口定义"),
            link(url(request, "/docs"), "service-doc", "text/html", "接口文档"),
            link(url(request, "/ogc/conformance"), "conformance", title="符合性声明"),
            link(url(request, "/ogc/collections"), "data", title="数据集合"),
            link(url(request, "/ogc/tileMatrixSets"), "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                 title="瓦片矩阵集"),
            link(url(request, "/ogc/wmts/1.0.0/WMTSCapabilities.xml"), "alternate", "application/xml", "WMTS"),
            link(url(request, "/ogc/wfs?SERVICE=WFS&REQUEST=GetCapabilities"), "alternate", "application/xml",
                 "WFS 2.0.0"),
            link(url(request, "/ogc/processes"), "http://www.opengis.net/def/rel/ogc/1.0/processes",
                 title="处理服务"),
        ],
    }
    return html.respond(request, f, body, "landing.html", title=body["title"])


@router.get("/conformance", summary="符合性声明", responses=html.HTML_RESPONSE)
def conformance(request: Request, f: FormatDep = None) -> Response:
    body = {"conformsTo": CONFORMANCE, "links": [link(url(request, "/ogc/conformance"), "self", title="符合性声明")]}
    return html.respond(request, f, body, "conformance.html", title="符合性声明")


class FastJSONResponse(JSONResponse):
    """JSON encoded by orjson (several times faster than the standard library on feature collections).

    Not-a-number values become ``null`` (the standard encoder would write invalid JSON or fail).
    """

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
