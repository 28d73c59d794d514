"""Open the application records database and bring its schema to the newest migration.

Two backends share one schema: SQLite (``sqlite:///…/records.sqlite``, the embedded default of a
node) and PostgreSQL (``postgresql://user@host/db?schema=NAME&role=onemap_app``, production).
On PostgreSQL ``schema`` (default ``onemap``) is created if missing and used as the search path, and
``role`` makes every pooled connection ``SET ROLE`` to the application role after the migrations ran
as the login user (see :mod:`onemap.records.migrations.versions.0001_initial`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from onemap.config import Settings
from onemap.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
APP_ROLE = "onemap_app"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class RecordsURL:
    """A parsed records URL: the SQLAlchemy URL plus the PostgreSQL schema and role (if any)."""

    sqlalchemy_url: str
    schema: str | None = None
    role: str | None = None

    @property
    def is_postgresql(self) -> bool:
        """Whether the URL names a PostgreSQL database."""
        return self.schema is not None


def default_records_url(settings: Settings) -> str:
    """The embedded records database of a node: ``<data_dir>/records.sqlite``."""
    return f"sqlite:///{(settings.data_dir / 'records.sqlite').resolve()}"


def parse_records_url(url: str) -> RecordsURL:
    """Normalise ``url``: ``postgresql://`` becomes the psycopg dialect; ``schema``/``role`` are split off."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return RecordsURL(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise StoreError(f"不支持的业务记录库地址“{url}”,应为 sqlite:///… 或 postgresql://…",
                         f"unsupported records URL scheme in {url}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = dict(query)
    schema = options.get("schema") or "onemap"
    role = options.get("role") or None
    for name in filter(None, (schema, role)):
        if not _IDENTIFIER.match(name):
            raise StoreError(f"业务记录库地址中的名称不合法:“{name}”(只允许小写字母、数字和下划线)",
                             f"bad identifier {name!r} in records URL")
    rest = urlencode([(k, v) for k, v in query if k not in ("schema", "role")])
    return RecordsURL(urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, rest, "")), schema, role)


def open_records(url: str) -> Engine:
    """An engine on the records database at ``url``, migrated to the newest schema version."""
    parsed = parse_records_url(url)
    if not parsed.is_postgresql:
        _ensure_sqlite_folder(parsed.sqlalchemy_url)
    try:
        if parsed.is_postgresql:
            _create_schema(parsed)
        owner = _engine(parsed, set_role=False)
        try:
            with owner.begin() as conn:
                migrate(conn)
        finally:
            owner.dispose()
        engine = _engine(parsed, set_role=True)
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise StoreError(f"无法打开业务记录库:{detail}", f"cannot open records database {url}: {detail}") from exc
    return engine


def migrate(conn, revision: str = "head") -> None:
    """Run the alembic migrations on an open connection (inside the caller's transaction)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def _ensure_sqlite_folder(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _create_schema(parsed: RecordsURL) -> None:
    engine = create_engine(parsed.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{parsed.schema}"'))
    finally:
        engine.dispose()


def _engine(parsed: RecordsURL, *, set_role: bool) -> Engine:
    """An engine whose connections use the schema (PostgreSQL) or enforce foreign keys (SQLite)."""
    if not parsed.is_postgresql:
        engine = create_engine(parsed.sqlalchemy_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA busy_timeout = 30000")
            # WAL: readers never wait for the writer, and a commit is an append, not a journal rewrite.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()
            dbapi_connection.isolation_level = None  # transactions are begun below, not by pysqlite

        # Every transaction takes SQLite's write lock first (BEGIN IMMEDIATE): concurrent requests then
        # queue instead of reading the same audit-chain head or deadlocking on a lock upgrade.
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(parsed.sqlalchemy_url, pool_pre_ping=True)
    statements = [f'SET search_path TO "{parsed.schema}"']
    if set_role and parsed.role:
        statements.append(f'SET ROLE "{parsed.role}"')

    @event.listens_for(engine, "connect")
    def _postgresql_session(dbapi_connection, _record) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        dbapi_connection.autocommit = autocommit

    return engine
