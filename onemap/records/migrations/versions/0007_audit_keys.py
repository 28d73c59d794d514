"""Signed checkpoints of the keyed audit chain (audit_checkpoints), append-only like audit_log.

Revision ID: 0007_audit_keys
Revises: 0005_documents
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_audit_keys"
down_revision = "0006_login_guard"
branch_labels = None
depends_on = None

TABLE = "audit_checkpoints"
_PG_GRANTS = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onemap_app') THEN
    GRANT SELECT, INSERT ON audit_checkpoints TO onemap_app;
    GRANT USAGE, SELECT ON SEQUENCE audit_checkpoints_id_seq TO onemap_app;
  END IF;
END $$
"""


def upgrade() -> None:
    """Create audit_checkpoints, refuse UPDATE/DELETE (TRUNCATE) on it, grant SELECT/INSERT to the app role."""
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_id", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("keyed_from", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # onemap_append_only() comes from 0001_initial.
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION onemap_append_only()")
        op.execute(f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION onemap_append_only()")
        op.execute(_PG_GRANTS)
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused'); END")


def downgrade() -> None:
    """Drop audit_checkpoints (the keyed rows stay in audit_log; without checkpoints only anchors catch truncation)."""
    op.drop_table(TABLE)
