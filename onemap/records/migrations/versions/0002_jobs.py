"""Jobs of OGC API Processes: status, progress, inputs and outputs of each execution.

Revision ID: 0002_jobs
Revises: 0001_initial
Create Date: 2026-11-24

A job row outlives the server process: the job runner re-queues rows left ``accepted`` or ``running``
when it starts (see onemap.services.processes.runner).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_jobs"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_PG_GRANTS = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onemap_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO onemap_app;
  END IF;
END $$
"""


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the jobs table (and grant it to the application role on PostgreSQL)."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("process", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("outputs", sa.Text),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("created", _timestamp(), nullable=False),
        sa.Column("started", _timestamp()),
        sa.Column("finished", _timestamp()),
        sa.Column("updated", _timestamp(), nullable=False),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_owner", "jobs", ["owner"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Drop the jobs table."""
    op.drop_table("jobs")
