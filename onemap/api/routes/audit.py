"""审计日志: only the 审计管理员 reads it or checks its hash chain."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context
from onemap.security import User, audit
from onemap.security.roles import require

router = APIRouter(prefix="/api/audit", tags=["审计日志"])
UserDep = Annotated[User, Depends(current_user)]


@router.get("", summary="查看审计日志(仅审计管理员)")
def read_log(request: Request, user: UserDep, since: datetime | None = None, until: datetime | None = None,
             username: str | None = None, action: str | None = None,
             obj: Annotated[str | None, Query(alias="object", max_length=200, description="对象包含此文字")] = None,
             limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[dict]:
    with context(request).records.begin() as conn:
        rows = audit.read(conn, reader=user, since=since, until=until, user=username, action=action, limit=limit,
                          obj=obj)
    return [{"id": r.id, "at": r.at.isoformat(), "username": r.username, "ip": r.ip, "action": r.action,
             "object": r.object, "result": r.result, "detail": r.detail} for r in rows]


@router.get("/verify", summary="校验审计日志哈希链并签检查点(仅审计管理员)")
def verify_log(request: Request, user: UserDep) -> dict:
    ctx = context(request)
    require(user, "audit:verify", settings=ctx.security)
    with ctx.records.begin() as conn:
        result = audit.verify_and_checkpoint(conn, by=user, ip=client_ip(request))
    return {"ok": result.ok, "reason": result.reason, "message": result.message, "count": result.count,
            "first_bad_id": result.first_bad_id, "last_id": result.last_id, "last_hash": result.last_hash}
