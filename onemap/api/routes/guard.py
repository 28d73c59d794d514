"""A permission check that leaves a trace: a refused change is audited (result ``denied``) before the 403."""

from __future__ import annotations

from fastapi import Request

from onemap.api.context import client_ip, context
from onemap.security import PermissionDeniedError, User, audit
from onemap.security.roles import require


def require_audited(request: Request, user: User, permission: str, *, action: str, obj: str,
                    region: str | None = None) -> None:
    """``permission`` (in ``region``), or a denied audit row for ``action`` on ``obj`` and PermissionDeniedError."""
    ctx = context(request)
    try:
        require(user, permission, region=region, settings=ctx.security)
    except PermissionDeniedError:
        with ctx.records.begin() as conn:
            audit.record(conn, user=user, ip=client_ip(request), action=action, object=obj, result="denied",
                         detail={"region": region} if region else None)
        raise
