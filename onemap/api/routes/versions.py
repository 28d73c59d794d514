"""图层版本 over HTTP: the version history of a layer and the difference between two versions."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc.access import listed_layer, readable_layer_version
from onemap.catalog import entry_record, shown_entry
from onemap.security import User
from onemap.store import Store
from onemap.store.versions import version_diff

router = APIRouter(prefix="/api/layers", tags=["图层版本"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
Version = Annotated[int, Query(ge=1, le=10**9)]


@router.get("/{name}/versions", summary="图层的版本历史")
def versions(name: str, request: Request, user: UserDep, store: StoreDep) -> list[dict[str, Any]]:
    entry = listed_layer(request, store, user, name)
    return entry_record(shown_entry(entry, user, context(request).security))["versions"]


@router.get("/{name}/diff", summary="两个版本之间新增、变更、删除的要素(按要素标识)")
def diff(name: str, v1: Version, v2: Version, request: Request, user: UserDep, store: StoreDep) -> dict[str, Any]:
    for version in (v1, v2):  # each version is decided on its own level (a 秘密 v1 stays hidden behind a 公开 v3)
        readable_layer_version(request, store, user, name, "layer:read", version)
    return version_diff(store, name, v1, v2)
