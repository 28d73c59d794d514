"""Alembic environment of the records database.

``onemap.records.open_records`` runs the migrations programmatically on its own connection. A DBA can
also run them by hand: ``alembic -c onemap/records/alembic.ini -x url=postgresql://… upgrade head``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from onemap.records.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _run_from_url() -> None:
    from onemap.records.database import _create_schema, _engine, parse_records_url

    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("records URL missing: pass -x url=sqlite:///… or postgresql://…")
    parsed = parse_records_url(url)
    if parsed.is_postgresql:
        _create_schema(parsed)
    engine = _engine(parsed, set_role=False)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: the audit triggers depend on the dialect")
connection = context.config.attributes.get("connection")
if connection is None:
    _run_from_url()
else:
    _run(connection)
