"""Data security levels (数据安全属性) × user clearance × edition ceiling (P9, G1).

A user reads data of a level when their clearance is at least that level AND the edition may hold
it at all: the internet edition (互联网版) never stores or serves anything above 公开, whatever a
user's clearance says (``data/editions.csv``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onemap.errors import InputError, NotFoundError
from onemap.security.roles import can, require
from onemap.security.settings import SecuritySettings, edition_info, resolve_settings
from onemap.security.users import User
from onemap.standards.codes import security_rank
from onemap.standards.registry import get_table

if TYPE_CHECKING:  # the store pulls in geopandas; only the two attributes name and security_level are used
    from onemap.store.base import LayerMeta


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
