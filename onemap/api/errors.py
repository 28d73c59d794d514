"""One table from domain errors to HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where or '请求'}:{item.get('msg', '')}")
    return "请求参数不合法:" + ";".join(parts)


def install(app: FastAPI) -> None:
    """Answer every domain error with its status and the Chinese message, request errors likewise."""

    @app.exception_handler(errors.OnemapError)
    async def _handle(_request: Request, error: errors.OnemapError) -> JSONResponse:
        log.warning("%s: %s", type(error).__name__, error.log)
        return problem(type(error).__name__, error.message_zh, status_for(error))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        log.info("request validation: %s", error.errors()[:3])
        return problem("InputError", _validation_message(error), 422)
