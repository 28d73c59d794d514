"""The account as the rest of the system sees it: :class:`User`, and reading accounts from the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Row, select

from onemap.errors import NotFoundError
from onemap.records.tables import grants, user_roles, users


@dataclass(frozen=True)
class User:
    """A signed-in (or listed) account: identity, roles, region and clearance.

    ``region_code`` is the 行政区划代码 prefix the account is limited to ('' = the whole country);
    ``clearance`` is the highest data security level it may read (公开/内部/秘密/机密);
    ``grants`` are per-account permissions beyond the roles, as ``(action, object)`` pairs.
    """

    id: int
    username: str
    roles: tuple[str, ...]
    region_code: str = ""
    clearance: str = "内部"
    display_name: str = ""
    active: bool = True
    grants: tuple[tuple[str, str], ...] = ()
    totp_enabled: bool = False
    locked_until: datetime | None = field(default=None, compare=False)
    password_changed_at: datetime | None = field(default=None, compare=False)
    last_login_at: datetime | None = field(default=None, compare=False)

    def has_role(self, role: str) -> bool:
        """Whether the account holds ``role``."""
        return role in self.roles


def find_row(conn: Connection, username: str) -> Row | None:
    """The ``users`` row of ``username`` (case-sensitive), or None."""
    return conn.execute(select(users).where(users.c.username == username)).first()


def user_from_row(conn: Connection, row: Row) -> User:
    """A :class:`User` from its ``users`` row plus its roles and grants."""
    roles = conn.execute(select(user_roles.c.role).where(user_roles.c.user_id == row.id)
                         .order_by(user_roles.c.role)).scalars()
    granted = conn.execute(select(grants.c.action, grants.c.object).where(grants.c.user_id == row.id)
                           .order_by(grants.c.action, grants.c.object))
    return User(id=row.id, username=row.username, roles=tuple(roles), region_code=row.region_code,
                clearance=row.clearance, display_name=row.display_name, active=row.active,
                grants=tuple((g.action, g.object) for g in granted), totp_enabled=row.totp_enabled,
                locked_until=row.locked_until, password_changed_at=row.password_changed_at,
                last_login_at=row.last_login_at)


def get_user(conn: Connection, username: str) -> User:
    """The account ``username``; NotFoundError if there is none."""
    row = find_row(conn, username)
    if row is None:
        raise NotFoundError(f"账号不存在:{username}", f"no user {username}")
    return user_from_row(conn, row)


def get_user_by_id(conn: Connection, user_id: int) -> User:
    """The account with primary key ``user_id``; NotFoundError if there is none."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFoundError(f"账号不存在:#{user_id}", f"no user id {user_id}")
    return user_from_row(conn, row)


def list_users(conn: Connection) -> list[User]:
    """Every account, by username."""
    rows = conn.execute(select(users).order_by(users.c.username)).all()
    return [user_from_row(conn, row) for row in rows]
