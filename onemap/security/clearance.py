"""Data security levels (数据安全属性) × user clearance × edition ceiling (P9, G1).

A user reads data of a level when their clearance is at least that level AND the edition may hold
it at all: the internet edition (互联网版) never stores or serves anything above 公开, whatever a
user's clearance says (``data/editions.csv``).

Every version of a layer carries its own level (a layer declassified in v2 still holds a 秘密 v1).
A read of a version is decided by :func:`readable_version` on BOTH the layer as it stands (current
level, permission) and that version's own level; every path that takes ``version``/``as_of`` (items,
exports, tiles, WMTS, statistics, processes, maps, catalog history) asks it, and the catalog shows only
the versions :func:`readable_history` keeps. A refused version is answered with the very words of a
version that does not exist. A requester with ``tiles:read`` but without ``layer:read`` gets tiles with
geometry and only the attributes ``data/tile_public_attributes.csv`` declares public
(:func:`tile_attributes`).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from onemap.errors import InputError, NotFoundError
from onemap.security.roles import can, require
from onemap.security.settings import DATA, SecuritySettings, edition_info, resolve_settings
from onemap.security.users import User
from onemap.standards.codes import security_rank
from onemap.standards.registry import get_table

if TYPE_CHECKING:  # the store pulls in geopandas; only the two attributes name and security_level are used
    from onemap.store.base import CatalogEntry, LayerMeta, VersionInfo


def ceiling(settings: SecuritySettings | None = None) -> str:
    """The highest security level the configured edition may store and serve."""
    return edition_info(resolve_settings(settings)).ceiling


def visible(user: User, level: str, *, settings: SecuritySettings | None = None) -> bool:
    """Whether ``user`` may see data of security ``level`` in this edition."""
    rank = security_rank(level)
    return (user.active and security_rank(user.clearance) >= rank
            and rank <= security_rank(ceiling(settings)))


def visible_levels(user: User, *, settings: SecuritySettings | None = None) -> list[str]:
    """The security levels ``user`` may see, lowest first (for SQL ``IN`` filters)."""
    levels = sorted(get_table("security_levels").frame["code"], key=security_rank)
    return [level for level in levels if visible(user, level, settings=settings)]


def region_filter(user: User) -> str:
    """The 行政区划代码 prefix the user's reads are limited to ('' = the whole country)."""
    return user.region_code


def assert_storable(level: str, settings: SecuritySettings | None = None) -> None:
    """Refuse data above the edition's ceiling (an internet edition holds nothing above 公开)."""
    info = edition_info(resolve_settings(settings))
    if security_rank(level) > security_rank(info.ceiling):
        raise InputError(f"{info.name_zh}({info.network_zh})只能存储和提供“{info.ceiling}”及以下等级的数据,"
                         f"“{level}”数据不得进入本系统",
                         f"level {level} above ceiling {info.ceiling} of edition {info.edition}")


def can_read_layer(user: User, meta: LayerMeta, *, action: str = "layer:read",
                   settings: SecuritySettings | None = None) -> bool:
    """Whether ``user`` may do ``action`` on the layer: level visible and permission (role or grant)."""
    return visible(user, meta.security_level, settings=settings) and can(user, action, meta.name, settings=settings)


def require_layer(user: User, meta: LayerMeta, *, action: str = "layer:read",
                  settings: SecuritySettings | None = None) -> None:
    """Raise unless ``user`` may do ``action`` on the layer.

    A layer above the user's clearance is reported as not found (its existence is not disclosed);
    a visible layer without the permission raises PermissionDeniedError.
    """
    if not visible(user, meta.security_level, settings=settings):
        raise NotFoundError(f"图层不存在:{meta.name}",
                            f"{user.username} may not see {meta.name} ({meta.security_level})")
    require(user, action, meta.name, settings=settings)


def can_read_version(user: User, meta: LayerMeta, info: VersionInfo, *, action: str = "layer:read",
                     settings: SecuritySettings | None = None) -> bool:
    """Whether ``user`` may do ``action`` on one version: the layer as it stands and the version's own level."""
    return (can_read_layer(user, meta, action=action, settings=settings)
            and visible(user, info.security_level, settings=settings))


def readable_version(user: User, entry: CatalogEntry, version: int | None = None,
                     as_of: date | datetime | None = None, *, action: str = "layer:read",
                     settings: SecuritySettings | None = None) -> VersionInfo:
    """The version a read asks for (explicit, as of a date, or current) if ``user`` may ``action`` it.

    The layer is checked as :func:`require_layer` does; a version above the user's clearance raises the
    NotFoundError of a version that does not exist (same message), so its existence is not disclosed.
    """
    from onemap.store.base import pick_version  # the store pulls in geopandas

    require_layer(user, entry.meta, action=action, settings=settings)
    number = pick_version(entry, version, as_of)
    info = next(v for v in entry.history if v.version == number)
    if visible(user, info.security_level, settings=settings):
        return info
    name, log = entry.meta.name, f"{user.username} may not see {entry.meta.name} v{number} ({info.security_level})"
    if version is not None:
        raise NotFoundError(f"图层 {name} 没有版本 {version}", log)
    if as_of is not None:
        raise NotFoundError(f"图层 {name} 在 {as_of} 之前没有版本", log)
    raise NotFoundError(f"图层不存在:{name}", log)


def readable_history(user: User, entry: CatalogEntry, *,
                     settings: SecuritySettings | None = None) -> list[VersionInfo]:
    """The versions of a layer whose metadata ``user`` may see (their own level visible), oldest first."""
    return [v for v in entry.history if visible(user, v.security_level, settings=settings)]


def sees_layer_totals(user: User) -> bool:
    """Whether ``user`` may see a layer's whole-layer figures (feature counts, extents).

    A region-limited account reads only its region's features: the county-wide count and extent of a
    layer are not its to see (whatever the region, the totals are not computed per scope).
    """
    return not user.region_code


@lru_cache
def _public_attributes() -> tuple[tuple[str, str], ...]:
    path = DATA / "tile_public_attributes.csv"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return tuple((row["layer"].strip().upper(), row["attribute"].strip()) for row in csv.DictReader(handle))
    except (OSError, KeyError) as exc:
        from onemap.errors import StandardsError

        raise StandardsError(f"瓦片公开属性数据文件读取失败:{path}({exc})", f"cannot read {path}: {exc}") from exc


def public_tile_attributes(layer: str) -> list[str]:
    """The attributes ``data/tile_public_attributes.csv`` declares public for styling ``layer``.

    A row names a layer, or a layer family by its prefix (``DLTB`` also covers ``DLTB_2023``).
    """
    name = layer.upper()
    return list(dict.fromkeys(attribute for prefix, attribute in _public_attributes()
                              if name == prefix or name.startswith(prefix + "_")))


def tile_attributes(user: User, meta: LayerMeta, *, settings: SecuritySettings | None = None) -> list[str] | None:
    """The attributes a tile for ``user`` may carry: None (all) with ``layer:read`` on the layer, else the
    layer's public styling attributes (maybe none: geometry only). Access to the tile itself is
    :func:`readable_version` with ``tiles:read``."""
    if can(user, "layer:read", meta.name, settings=settings):
        return None
    return public_tile_attributes(meta.name)
