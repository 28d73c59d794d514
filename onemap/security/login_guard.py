"""Sign-in limits kept in the records database, so every server process of a node shares them.

Two guards, both keyed by who is asking from where:

- **Rate limit** (``login_rate``): at most ``login_rate_attempts`` sign-in or password-change requests per
  client address in a fixed window of ``login_rate_seconds``. One atomic upsert per request (``INSERT … ON
  CONFLICT DO UPDATE … RETURNING``, on SQLite and PostgreSQL alike): two workers counting at once cannot both
  see the old count, which an in-memory limiter per process could not promise (10 × workers per minute).
- **Lockout** (``login_failures``): ``lockout_attempts`` failed passwords in a row for one account *from one
  address* lock that address out of that account for ``lockout_minutes`` (GB/T 22239-2019 8.1.4.1 b,
  登录失败处理). Locking per account and address means nobody can lock an administrator out by failing on
  purpose from elsewhere: the owner's own address still signs in. ``onemap user unlock`` (console) lifts
  every lock of an account at once.

Behind a reverse proxy the address is the one the ASGI server reports: configure the proxy headers there,
or every client shares the proxy's address (and the lockout becomes per account again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Insert, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from onemap.errors import RateLimitedError
from onemap.records.tables import login_failures, login_rate
from onemap.security import clock
from onemap.security.settings import SecuritySettings, resolve_settings

TOO_MANY = "登录尝试过于频繁,请稍后再试"


def _upsert(conn: Connection, table) -> Insert:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def check_rate(engine: Engine, ip: str, *, settings: SecuritySettings | None = None) -> None:
    """Count one sign-in request from ``ip``; RateLimitedError beyond the window's allowance."""
    config = resolve_settings(settings)
    now = clock.now()
    cutoff = now - timedelta(seconds=config.login_rate_seconds)
    with engine.begin() as conn:
        statement = _upsert(conn, login_rate).values(key=f"ip:{ip}"[:128], window_start=now, hits=1)
        expired = login_rate.c.window_start <= cutoff
        statement = statement.on_conflict_do_update(index_elements=[login_rate.c.key], set_={
            "hits": case((expired, 1), else_=login_rate.c.hits + 1),
            "window_start": case((expired, statement.excluded.window_start), else_=login_rate.c.window_start),
        }).returning(login_rate.c.hits)
        hits = conn.execute(statement).scalar_one()
        if hits == 1:  # a new window: forget the addresses that went quiet
            conn.execute(delete(login_rate).where(login_rate.c.window_start <= cutoff))
    if hits > config.login_rate_attempts:
        raise RateLimitedError(TOO_MANY, f"login rate limit for {ip or '-'} ({hits} in window)")


def locked_until(conn: Connection, username: str, ip: str) -> datetime | None:
    """Until when ``ip`` is locked out of ``username`` after failed sign-ins (None: not locked)."""
    until = conn.execute(select(login_failures.c.locked_until).where(
        login_failures.c.username == username, login_failures.c.ip == ip[:64])).scalar()
    return until if until is not None and until > clock.now() else None


def locked_addresses(conn: Connection, username: str) -> list[tuple[str, datetime]]:
    """The addresses locked out of ``username`` right now, with the end of each lock, by address."""
    rows = conn.execute(select(login_failures.c.ip, login_failures.c.locked_until).where(
        login_failures.c.username == username, login_failures.c.locked_until > clock.now())
        .order_by(login_failures.c.ip)).all()
    return [(row.ip, row.locked_until) for row in rows]


def count_failure(conn: Connection, username: str, ip: str, settings: SecuritySettings) -> tuple[int, datetime | None]:
    """One more failed password for ``username`` from ``ip``: the failures in a row, and the lock if it locked.

    Failures older than ``lockout_minutes`` are forgotten: the count is of failures in a row, not ever.
    """
    now = clock.now()
    stale = login_failures.c.last_at <= now - timedelta(minutes=settings.lockout_minutes)
    statement = _upsert(conn, login_failures).values(username=username, ip=ip[:64], failures=1, last_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[login_failures.c.username, login_failures.c.ip],
        set_={"failures": case((stale, 1), else_=login_failures.c.failures + 1), "last_at": now},
    ).returning(login_failures.c.failures)
    failures = conn.execute(statement).scalar_one()
    if failures < settings.lockout_attempts:
        return failures, None
    until = now + timedelta(minutes=settings.lockout_minutes)
    conn.execute(login_failures.update().where(login_failures.c.username == username,
                                               login_failures.c.ip == ip[:64])
                 .values(locked_until=until, failures=0))
    return failures, until


def forget(conn: Connection, username: str, ip: str | None = None) -> int:
    """Clear the failures and locks of ``username`` from ``ip`` (every address when None); rows removed."""
    query = delete(login_failures).where(login_failures.c.username == username)
    if ip is not None:
        query = query.where(login_failures.c.ip == ip[:64])
    return conn.execute(query).rowcount
