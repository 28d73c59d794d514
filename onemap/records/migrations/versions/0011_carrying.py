"""承载能力监测预警: evaluations per region and period (history), measures and their progress notes.

Revision ID: 0011_carrying
Revises: 0010_indicators
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_carrying"
down_revision = "0010_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create carrying_evaluations, carrying_measures and carrying_measure_notes."""
    op.create_table(
        "carrying_evaluations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run", sa.String(36), nullable=False),
        sa.Column("region", sa.String(19), nullable=False),
        sa.Column("region_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(8), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("definition_version", sa.String(32), nullable=False, server_default=""),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_carrying_evaluations_run", "carrying_evaluations", ["run"])
    op.create_index("ix_carrying_evaluations_key", "carrying_evaluations", ["region", "period"])
    op.create_table(
        "carrying_measures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(19), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("factor", sa.String(64), nullable=False, server_default=""),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_carrying_measures_region", "carrying_measures", ["region"])
    op.create_table(
        "carrying_measure_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("measure_id", sa.Integer, sa.ForeignKey("carrying_measures.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(8), nullable=False, server_default=""),
        sa.Column("to_status", sa.String(8), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_carrying_measure_notes_measure_id", "carrying_measure_notes", ["measure_id"])


def downgrade() -> None:
    """Drop the three 承载能力 tables (every evaluation and measure is lost)."""
    op.drop_index("ix_carrying_measure_notes_measure_id", "carrying_measure_notes")
    op.drop_table("carrying_measure_notes")
    op.drop_index("ix_carrying_measures_region", "carrying_measures")
    op.drop_table("carrying_measures")
    op.drop_index("ix_carrying_evaluations_key", "carrying_evaluations")
    op.drop_index("ix_carrying_evaluations_run", "carrying_evaluations")
    op.drop_table("carrying_evaluations")
