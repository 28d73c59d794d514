"""项目合规性审查 records: projects, every review result, and their history (reviews and feedback).

Revision ID: 0003_projects
Revises: 0002_jobs
Create Date: 2026-11-24

Replaces the per-project files of the first version (``<data_dir>/projects/<id>/history.jsonl``); report
files stay on disk under the data folder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_projects"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None

_PG_GRANTS = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onemap_app') THEN
    GRANT SELECT, INSERT, UPDATE ON projects, project_results, project_events TO onemap_app;
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO onemap_app', current_schema());
  END IF;
END $$
"""


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the three tables (and grant them to the application role on PostgreSQL)."""
    op.create_table(
        "projects",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("region", sa.String(12), nullable=False, server_default=""),
        sa.Column("created", _timestamp(), nullable=False),
        sa.Column("updated", _timestamp(), nullable=False),
        sa.Column("latest_result_id", sa.Integer),
    )
    op.create_table(
        "project_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created", _timestamp(), nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("security_level", sa.String(8), nullable=False),
        sa.Column("store_version", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(36)),
        sa.Column("boundary", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("report_dir", sa.Text),
    )
    op.create_index("ix_project_results_project_id", "project_results", ["project_id"])
    op.create_table(
        "project_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("result", sa.String(64), nullable=False),
        sa.Column("event_date", sa.Date),
        sa.Column("document_number", sa.String(100), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("result_id", sa.Integer, sa.ForeignKey("project_results.id", ondelete="CASCADE")),
    )
    op.create_index("ix_project_events_project_id", "project_events", ["project_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("project_events")
    op.drop_table("project_results")
    op.drop_table("projects")
