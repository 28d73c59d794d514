"""Who may read which layer, and which of its features: clearance, permission, 行政区划 scope."""

from dataclasses import dataclass

from fastapi import Request

from onemap.api.context import client_ip, context
from onemap.catalog import visible_entry
from onemap.errors import NotFoundError
from onemap.security import User
from onemap.standards.codes import region_fields, security_rank
from onemap.store import CatalogEntry, Store


@dataclass(frozen=True)
class Scope:
    """The features a region-limited reader may see: ``field`` starts with ``prefix``."""

    field: str
    prefix: str


def region_scope(user: User, store: Store, entry: CatalogEntry) -> Scope | None:
    """The reader's scope on this layer; a layer without a region field is hidden from limited readers."""
    if not user.region_code:
        return None
    columns = store.columns(entry.meta.name)
    for field in region_fields():
        if field in columns:
            return Scope(field, user.region_code)
    raise NotFoundError(f"图层不存在:{entry.meta.name}", f"{entry.meta.name} has no region field for a scoped reader")


def readable_layer(request: Request, store: Store, user: User, name: str, action: str) -> CatalogEntry:
    """The layer's entry if ``user`` may ``action`` it (404 otherwise); reads of non-public layers are audited."""
    ctx = context(request)
    entry = visible_entry(store, name, user, ctx.security, action=action)
    if security_rank(entry.meta.security_level) > 0:  # reads of non-public data are audited (aggregated)
        ctx.reads.record(user=user, ip=client_ip(request), action=action, object=name,
                         detail={"level": entry.meta.security_level, "path": request.url.path[:200]})
    return entry
