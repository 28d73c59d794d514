"""Who may read which layer, and which of its versions and features: clearance, permission, 行政区划 scope.

The decisions are :mod:`onemap.security.clearance`'s; this module applies them to a request and audits
reads of non-public layers, refused ones too (aggregated, :mod:`onemap.security.read_audit`).
"""

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import Request

from onemap.api.context import client_ip, context
from onemap.catalog import visible_entry
from onemap.errors import NotFoundError
from onemap.security import PermissionDeniedError, User
from onemap.security.clearance import readable_version
from onemap.standards.codes import region_fields, security_rank
from onemap.store import CatalogEntry, Store, VersionInfo
from onemap.store.base import pick_version


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


def _note(request: Request, user: User, action: str, name: str, level: str, result: str, **detail) -> None:
    ctx = context(request)
    ctx.reads.record(user=user, ip=client_ip(request), action=action, object=name, result=result,
                     detail={"level": level, "path": request.url.path[:200], **detail})


def _refused(request: Request, store: Store, user: User, name: str, action: str) -> None:
    """Audit a refused read of an existing non-public layer (a missing layer leaves no row: nothing to protect)."""
    entry = next((e for e in store.catalog() if e.meta.name == name), None)
    if entry is not None and security_rank(entry.meta.security_level) > 0:
        _note(request, user, action, name, entry.meta.security_level, "denied")


def audit_refused_reads(request: Request, store: Store, user: User,
                        reads: list[tuple[str, int | None, date | None]], action: str = "layer:read") -> None:
    """After a process or map run was refused: a ``denied`` read row for each non-public layer or version among
    ``reads`` (layer, version, as_of) that ``user`` may not read, aggregated like the item and tile paths'."""
    security = context(request).security
    for name, version, as_of in reads:
        try:
            visible_entry(store, name, user, security, action=action)
        except (NotFoundError, PermissionDeniedError):
            _refused(request, store, user, name, action)
            continue
        entry = store.entry(name)
        try:
            readable_version(user, entry, version, as_of, action=action, settings=security)
        except NotFoundError:
            try:
                _refused_version(request, user, entry, version, as_of, action)
            except NotFoundError:
                continue  # a version that does not exist: nothing to protect


def readable_layer(request: Request, store: Store, user: User, name: str, action: str) -> CatalogEntry:
    """The layer's entry if ``user`` may ``action`` it (404 otherwise); reads of non-public layers are audited."""
    ctx = context(request)
    try:
        entry = visible_entry(store, name, user, ctx.security, action=action)
    except (NotFoundError, PermissionDeniedError):
        _refused(request, store, user, name, action)
        raise
    if security_rank(entry.meta.security_level) > 0:  # reads of non-public data are audited (aggregated)
        _note(request, user, action, name, entry.meta.security_level, "success")
    return entry


def listed_layer(request: Request, store: Store, user: User, name: str, action: str = "catalog:read"
                 ) -> CatalogEntry:
    """:func:`readable_layer` for what listings show (catalog, collection and version metadata): like
    :func:`onemap.catalog.listed_entries`, a layer without a 行政区划 field is missing (404) for a region-limited
    reader, who could open neither its features nor its tiles."""
    entry = readable_layer(request, store, user, name, action)
    region_scope(user, store, entry)
    return entry


def readable_layer_version(request: Request, store: Store, user: User, name: str, action: str,
                           version: int | None = None, as_of: date | datetime | None = None
                           ) -> tuple[CatalogEntry, VersionInfo]:
    """:func:`readable_layer` and the version asked for, decided on that version's own level (404 if not)."""
    entry = readable_layer(request, store, user, name, action)
    try:
        info = readable_version(user, entry, version, as_of, action=action, settings=context(request).security)
    except NotFoundError:
        _refused_version(request, user, entry, version, as_of, action)  # a missing version raises, unaudited
        raise
    return entry, info


def _refused_version(request: Request, user: User, entry: CatalogEntry, version: int | None,
                     as_of: date | datetime | None, action: str) -> None:
    """Audit a refused read of an existing version on that version's level (NotFoundError if it does not exist)."""
    number = pick_version(entry, version, as_of)
    level = next(v.security_level for v in entry.history if v.version == number)
    _note(request, user, action, entry.meta.name, level, "denied", version=number)
