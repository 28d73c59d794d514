"""规划成果文档: documents (plan text, drawings, indicator tables) attached to catalog entries.

Revision ID: 0005_documents
Revises: 0004_maps
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_documents"
down_revision = "0004_maps"
branch_labels = None
depends_on = None

_PG_GRANTS = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onemap_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO onemap_app;
  END IF;
END $$
"""


def upgrade() -> None:
    """Create the documents table (and grant it to the application role on PostgreSQL)."""
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("layer", sa.String(128), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_documents_layer", "documents", ["layer"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Drop the documents table."""
    op.drop_table("documents")
