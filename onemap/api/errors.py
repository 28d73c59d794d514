"""One table from domain errors to HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from onemap import errors
from onemap.security import errors as security_errors

log = logging.getLogger("onemap.api")

STATUS = {
    security_errors.AuthenticationError: 401,
    security_errors.PermissionDeniedError: 403,
    security_errors.ConfigurationError: 500,
    errors.NotFoundError: 404,
    errors.RateLimitedError: 429,
    errors.UnsafeInputError: 400,
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


def install(app: FastAPI) -> None:
    """Answer every domain error with its status and the Chinese message."""

    @app.exception_handler(errors.OnemapError)
    async def _handle(_request: Request, error: errors.OnemapError) -> JSONResponse:
        log.warning("%s: %s", type(error).__name__, error.log)
        return JSONResponse({"error": type(error).__name__, "message": error.message_zh},
                            status_code=status_for(error))
