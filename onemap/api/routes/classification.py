"""数据定密/解密 over HTTP: ``POST /api/layers/{name}/classification`` with the new level and the reason.

Thin shell over :mod:`onemap.security.classification`; the decision is audited (``layer:classify``),
refused ones too. A layer the caller may not see answers 404, word for word as a missing one.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, writable_store
from onemap.errors import OnemapError
from onemap.security import User, audit
from onemap.security.classification import MAX_REASON, classify
from onemap.security.write_access import CLASSIFY
from onemap.store import Store

router = APIRouter(prefix="/api/layers", tags=["数据资源目录"])


class ClassificationIn(BaseModel):
    """The level a layer is to have, and why (定密/解密依据)."""

    level: str = Field(max_length=16)
    reason: str = Field(max_length=MAX_REASON * 4)  # bounded here, checked in Chinese by the domain


@router.post("/{name}/classification", summary="数据定密/解密:变更图层的数据安全等级(须说明理由,记入审计日志)")
def classify_layer(
    name: str,
    body: ClassificationIn,
    request: Request,
    user: Annotated[User, Depends(current_user)],
    store: Annotated[Store, Depends(writable_store)],
) -> dict[str, str | int]:
    ctx, ip = context(request), client_ip(request)
    try:
        decision = classify(store, name, level=body.level, reason=body.reason, actor=user, settings=ctx.security)
    except OnemapError as error:
        with ctx.records.begin() as conn:
            audit.record(conn, user=user, ip=ip, action=CLASSIFY, object=name[:200], result="failure",
                         detail={"level": body.level, "reason": error.log[:500]})
        raise
    with ctx.records.begin() as conn:
        audit.record(conn, user=user, ip=ip, action=CLASSIFY, object=name, result="success", detail=decision.record())
    return decision.record()
