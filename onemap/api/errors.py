"""One table from domain errors to HTTP status codes; framework errors (body parsing, unknown routes,
numbers too large for the database) answered in Chinese too."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from onemap import errors
from onemap.security import errors as security_errors
from onemap.store.names import LayerNameError

log = logging.getLogger("onemap.api")

STATUS = {
    security_errors.AuthenticationError: 401,
    security_errors.PermissionDeniedError: 403,
    security_errors.ConfigurationError: 500,
    errors.NotFoundError: 404,
    errors.RateLimitedError: 429,
    errors.UnsafeInputError: 400,
    LayerNameError: 400,
    errors.CRSError: 422,
    errors.InputError: 422,
    errors.ConflictError: 409,
    errors.StandardsError: 500,
    errors.StoreError: 503,
}


def status_for(error: errors.OnemapError) -> int:
    """The HTTP status of a domain error (most specific class first)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(kind: str, message_zh: str, status: int) -> JSONResponse:
    """An error body that is both OGC API exception JSON (type, title, status, detail) and ours."""
    body = {"type": f"urn:onemap:error:{kind}", "title": message_zh, "status": status, "detail": message_zh,
            "error": kind, "message": message_zh}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class BodyTooLarge(Exception):  # noqa: N818 - a signal between the body cap and the handler, not an error
    """Raised from the request body stream once more than ``limit`` bytes arrived."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


def too_large(limit: int) -> JSONResponse:
    """The 413 answer of the body cap."""
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return problem("InputError", f"请求体过大(上限 {size}),已拒绝", 413)


# Framework answers (FastAPI/Starlette HTTPException) by status, in Chinese.
_HTTP_ZH = {400: "请求无法解析", 401: "未登录或登录已失效", 403: "没有权限", 404: "请求的地址不存在",
            405: "不支持此请求方法", 406: "不支持请求的返回格式", 413: "请求体过大,已拒绝", 415: "不支持的请求体类型",
            422: "请求参数不合法", 429: "请求过于频繁,请稍后再试"}


def _has_chinese(text: object) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _http_problem(error: StarletteHTTPException) -> JSONResponse:
    cause = error.__cause__
    if isinstance(cause, BodyTooLarge):  # FastAPI reads the body and re-raises any error as "400 parsing the body"
        return too_large(cause.limit)
    if isinstance(cause, RecursionError):
        return problem("InputError", "请求体 JSON 嵌套层数过深,已拒绝", 400)
    if error.status_code == 400 and cause is not None:
        return problem("InputError", "请求体无法解析(应为合法的 JSON 或表单)", 400)
    message = error.detail if _has_chinese(error.detail) else _HTTP_ZH.get(error.status_code, "请求无法处理")
    response = problem("HTTPError", message, error.status_code)
    response.headers.update(error.headers or {})
    return response


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where or '请求'}:{item.get('msg', '')}")
    return "请求参数不合法:" + ";".join(parts)


def _ogc_status(request: Request, status: int) -> int:
    """OGC API Features/Tiles/Records routes answer an invalid parameter with 400
    (/req/core/query-param-invalid), not 422; the processes keep 422 for an invalid execute body."""
    path = request.url.path
    ogc = path.startswith("/ogc") and not path.startswith("/ogc/processes")
    return 400 if status == 422 and ogc else status


def install(app: FastAPI) -> None:
    """Answer every domain error with its status and the Chinese message, request errors likewise."""

    @app.exception_handler(errors.OnemapError)
    async def _handle(request: Request, error: errors.OnemapError) -> JSONResponse:
        log.warning("%s: %s", type(error).__name__, error.log)
        response = problem(type(error).__name__, error.message_zh, _ogc_status(request, status_for(error)))
        if response.status_code == 401 and request.url.path.startswith("/ogc"):
            response.headers["WWW-Authenticate"] = 'Basic realm="onemap"'  # desktop clients prompt for it
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        log.info("http %s: %s (%r)", error.status_code, error.detail, error.__cause__)
        return _http_problem(error)

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, error: OverflowError) -> JSONResponse:
        # A number in a path or query beyond the database's 64-bit integers (SQLite raises OverflowError).
        log.warning("overflow: %s", error)
        return problem("InputError", "数值参数超出范围(整数须在 0–9223372036854775807 之间)", 400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        log.info("request validation: %s", error.errors()[:3])
        return problem("InputError", _validation_message(error), _ogc_status(request, 422))
