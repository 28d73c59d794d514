"""Who may write a layer (G1, P9): clearance, 行政区划 scope, and no level lowered by an upload.

A write — a new version by import, or a change of level (定密/解密, :mod:`onemap.security.classification`)
— is decided on the layer as it stands and as it will stand, in this order:

1. the writer must be able to see the layer: clearance ≥ its current level within the edition, the
   catalog permission on it and, for a region-limited account, a 行政区划 field (as for reads,
   :func:`onemap.api.ogc.access.region_scope`). Otherwise the layer is "not found", the very answer a
   missing layer gets elsewhere: its existence, level and size stay undisclosed;
2. the permission for the write (``layer:import``, ``layer:classify``) on the layer;
3. an import keeps or raises the level, never lowers it: lowering is a decision of its own, by a role
   the policy names (``data/policy.csv``), with a reason, audited;
4. clearance ≥ the level the layer will have;
5. a region-limited account writes only a layer lying wholly in its region: every feature of the current
   version and of the new data carries a code inside it, since a write replaces the whole layer.

Every write to a layer's features or level comes through here: the importer (``POST /api/imports`` and
``onemap import``) and :mod:`onemap.security.classification`. Nothing else writes a layer: the store has
no delete, and QC's ``--fix`` writes a corrected copy, never the stored layer.

``writer`` None is the local console (``onemap import``), whose operator already holds the store and
the records; rule 3 holds for it too. The version each layer was checked at goes to ``Store.commit``
(``expected``): a layer changed meanwhile (say, raised to 秘密) is not overwritten on the old decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from onemap.errors import NotFoundError
from onemap.security.clearance import can_read_layer
from onemap.security.errors import PermissionDeniedError
from onemap.security.roles import load_policy, require
from onemap.security.settings import SecuritySettings, resolve_settings
from onemap.security.users import User
from onemap.standards.codes import region_fields, security_rank
from onemap.store import CatalogEntry, LayerBatch, LayerMeta, Store

IMPORT, CLASSIFY = "layer:import", "layer:classify"


@dataclass(frozen=True)
class LayerWrite:
    """One layer a write changes: its name, the level it will have, and its new features.

    ``frame`` is the new data (for its 行政区划 codes); None when the write keeps the current features
    (a change of level), so that only the current version's codes are checked.
    """

    name: str
    level: str
    action: str = IMPORT
    frame: pd.DataFrame | None = None


def not_found(name: str, why: str) -> NotFoundError:
    """The answer for a layer the writer may not see: word for word the one for a missing layer."""
    return NotFoundError(f"图层不存在:{name}", why)


def classifying_roles(settings: SecuritySettings | None = None) -> list[str]:
    """The roles the policy lets decide a layer's level (定密/解密), in policy order."""
    policy = load_policy(tuple(resolve_settings(settings).extra_policy))
    return list(dict.fromkeys(rule.role for rule in policy if rule.action == CLASSIFY))


def region_field(columns) -> str | None:
    """The 行政区划 field of a layer or of new data, by the preference of ``region_fields``."""
    return next((field for field in region_fields() if field in columns), None)


def sees_layer(store: Store, entry: CatalogEntry, writer: User | None,
               settings: SecuritySettings | None = None) -> bool:
    """Whether ``writer`` may see the layer at all (the console sees every layer)."""
    if writer is None:
        return True
    if not can_read_layer(writer, entry.meta, action="catalog:read", settings=settings):
        return False
    return not writer.region_code or region_field(store.columns(entry.meta.name)) is not None


def writable_layers(store: Store, writer: User | None,
                    settings: SecuritySettings | None = None) -> dict[str, LayerMeta]:
    """The metadata of the layers ``writer`` may see: an import never consults a hidden layer's."""
    return {e.meta.name: e.meta for e in store.catalog() if sees_layer(store, e, writer, settings)}


def authorize_import(store: Store, batches: list[LayerBatch], *, writer: User | None,
                     settings: SecuritySettings | None = None) -> dict[str, int]:
    """Check the writer may store every batch; the version each layer was checked at (0: a new layer)."""
    writes = [LayerWrite(b.meta.name, b.meta.security_level, IMPORT, b.frame) for b in batches]
    return {w.name: authorize_write(store, w, writer=writer, settings=settings) for w in writes}


def authorize_write(store: Store, write: LayerWrite, *, writer: User | None,
                    settings: SecuritySettings | None = None) -> int:
    """Raise unless ``writer`` may make ``write``; the layer's current version (0 when it is new)."""
    entry = next((e for e in store.catalog() if e.meta.name == write.name), None)
    who = writer.username if writer else "console"
    if entry is None and write.action != IMPORT:  # only an import creates a layer; else as for a hidden one
        raise not_found(write.name, f"{who}: no layer {write.name}")
    if entry is not None and not sees_layer(store, entry, writer, settings):
        raise not_found(write.name, f"{who} may not see {write.name}")
    if writer is not None:
        require(writer, write.action, write.name, settings=settings)
    if entry is not None and write.action == IMPORT:
        _keeps_level(entry.meta, write.level, settings)
    if writer is not None:
        _cleared(writer, write)
        if writer.region_code:
            _inside_region(store, entry, write, writer.region_code)
    return entry.current.version if entry is not None else 0


def _keeps_level(meta: LayerMeta, level: str, settings: SecuritySettings | None) -> None:
    if security_rank(level) < security_rank(meta.security_level):
        roles = "、".join(classifying_roles(settings)) or "安全管理员"
        raise PermissionDeniedError(
            f"导入不能降低图层 {meta.name} 的数据安全等级(当前为“{meta.security_level}”,导入指定“{level}”);"
            f"降密、解密须由{roles}通过“数据定密/解密”单独办理",
            f"import would lower {meta.name} from {meta.security_level} to {level}")


def _cleared(writer: User, write: LayerWrite) -> None:
    if security_rank(writer.clearance) < security_rank(write.level):
        raise PermissionDeniedError(
            f"本账号密级为“{writer.clearance}”,不能写入“{write.level}”等级的数据(图层 {write.name})",
            f"{writer.username} ({writer.clearance}) may not write {write.name} at {write.level}")


def _inside_region(store: Store, entry: CatalogEntry | None, write: LayerWrite, prefix: str) -> None:
    """A region-limited writer: the current features and the new ones all inside ``prefix``."""
    if entry is not None:
        field = region_field(store.columns(write.name))  # present: sees_layer checked it
        codes = store.select(write.name, [field], version=entry.current.version)[field]
        if not _all_inside(codes, prefix):
            raise PermissionDeniedError(
                f"图层 {write.name} 含有本账号行政区划({prefix})以外的要素,不能整体替换或变更其密级",
                f"{write.name} has features outside {prefix}")
    if write.frame is None:
        return
    field = region_field(write.frame.columns)
    if field is None:
        raise PermissionDeniedError(
            f"导入数据没有行政区划代码字段({'、'.join(region_fields())}),"
            f"本账号限于行政区划 {prefix},不能导入图层 {write.name}",
            f"{write.name}: new data has no region field for a writer limited to {prefix}")
    if not _all_inside(write.frame[field], prefix):
        raise PermissionDeniedError(
            f"导入数据含有本账号行政区划({prefix})以外的要素(字段 {field}),不能导入图层 {write.name}",
            f"{write.name}: new data outside {prefix}")


def _all_inside(codes: pd.Series, prefix: str) -> bool:
    """Every code starts with ``prefix`` (a missing code is not inside: it cannot be shown to be)."""
    text = codes.astype("string").str.strip()
    return bool(text.str.startswith(prefix).fillna(False).all())
