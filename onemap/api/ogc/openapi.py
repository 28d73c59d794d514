"""The OpenAPI document as clients read it: ``servers``, the statuses and media types the OGC routes really send.

FastAPI writes OpenAPI 3.1 (declared as such in the document and in the landing page's ``service-desc`` link).
On the OGC API Features/Tiles/Records routes an invalid parameter is a 400 (not FastAPI's 422), a layer the
caller may not read a 404, a missing right a 403, each as ``application/problem+json``; items answer GeoJSON
(``application/geo+json``), a web page, CSV or Excel; map tiles PNG.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

PROBLEM = "application/problem+json"
_PROBLEM_SCHEMA = {"type": "object", "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "error": {"type": "string"}, "message": {"type": "string"}}}
_ERRORS = {"400": "请求参数不合法(中文说明在 message/detail 中)", "401": "未登录或登录已失效",
           "403": "没有权限", "404": "图层或要素不存在,或当前用户无权读取"}
_ITEMS_TYPES = ("application/geo+json", "text/html", "text/csv",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _is_ogc(path: str) -> bool:
    return path.startswith("/ogc") and not path.startswith("/ogc/processes")


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}}


def _media(types: tuple[str, ...], schema: dict | None = None) -> dict:
    return {media: {"schema": schema or ({"type": "string"} if media.startswith("text/") else {"type": "object"})}
            for media in types}


def refine(document: dict) -> dict:
    """``document`` with servers and the OGC routes' real statuses and media types (changed in place)."""
    document.setdefault("servers", [{"url": "/", "description": "本服务(与文档同源)"}])
    for path, operations in document.get("paths", {}).items():
        if not _is_ogc(path):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, description in _ERRORS.items():
                responses.setdefault(status, _problem(description))
            ok = responses.setdefault("200", {"description": "成功"})
            if path.endswith("/items") or path.endswith("/items/{key}"):
                ok["content"] = _media(_ITEMS_TYPES if path.endswith("/items") else _ITEMS_TYPES[:2])
            elif path.endswith("/queryables"):
                ok["content"] = _media(("application/schema+json",))
            elif "{z}" in path or "/wmts" in path:
                content = ok.setdefault("content", {})
                content.setdefault("image/png", {"schema": {"type": "string", "format": "binary"}})
                if "{z}" in path:
                    content.setdefault("application/vnd.mapbox-vector-tile",
                                       {"schema": {"type": "string", "format": "binary"}})
                    responses.setdefault("204", {"description": "空瓦片(范围内无要素)"})
    return document


def install(app: FastAPI) -> None:
    """Serve the refined document at ``/openapi.json`` (built once, like FastAPI's)."""
    build: Callable[[], dict] = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = refine(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
