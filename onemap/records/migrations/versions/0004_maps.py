"""专题图: map templates and the task log of map runs.

Revision ID: 0004_maps
Revises: 0002_jobs
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_maps"
down_revision = "0003_projects"
branch_labels = None
depends_on = None

_PG_GRANTS = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onemap_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON map_templates, map_runs TO onemap_app;
    GRANT USAGE, SELECT ON SEQUENCE map_templates_id_seq TO onemap_app;
  END IF;
END $$
"""


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the template and run tables (and grant them to the application role on PostgreSQL)."""
    op.create_table(
        "map_templates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created", _timestamp(), nullable=False),
        sa.Column("updated", _timestamp(), nullable=False),
    )
    op.create_index("ix_map_templates_owner", "map_templates", ["owner"])
    op.create_table(
        "map_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("map_templates.id", ondelete="SET NULL")),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("created", _timestamp(), nullable=False),
        sa.Column("finished", _timestamp()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("region", sa.String(19), nullable=False, server_default=""),
        sa.Column("versions", sa.Text, nullable=False, server_default="{}"),
        sa.Column("as_of", sa.String(10)),
        sa.Column("job_id", sa.String(36)),
        sa.Column("rerun_of", sa.String(36)),
        sa.Column("outputs", sa.Text),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_map_runs_owner", "map_runs", ["owner"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Drop the map tables."""
    op.drop_table("map_runs")
    op.drop_table("map_templates")
