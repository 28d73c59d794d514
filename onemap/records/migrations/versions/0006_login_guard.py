"""Login guard: sign-in rate limits and failed sign-ins per account and client address, shared by workers.

Revision ID: 0006_login_guard
Revises: 0005_documents
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_login_guard"
down_revision = "0005_documents"
branch_labels = None
depends_on = None

_PG_GRANTS = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onemap_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON login_rate, login_failures TO onemap_app;
  END IF;
END $$
"""


def upgrade() -> None:
    """Create the rate-limit counters and the per-account-and-address failure counters."""
    op.create_table(
        "login_rate",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
    )
    op.create_index("ix_login_rate_window_start", "login_rate", ["window_start"])
    op.create_table(
        "login_failures",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("ip", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Drop the login guard tables."""
    op.drop_table("login_failures")
    op.drop_table("login_rate")
