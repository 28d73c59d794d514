"""指标管理: indicator values, targets and edited formulas, each change a new row (history).

Revision ID: 0010_indicators
Revises: 0009_monitoring
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_indicators"
down_revision = "0009_monitoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create indicator_values, indicator_targets and indicator_formulas."""
    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("region", sa.String(19), nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("value", sa.Float(53), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("formula_version", sa.Integer),
        sa.Column("provenance", sa.Text, nullable=False, server_default="{}"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_indicator_values_key", "indicator_values", ["code", "region", "period"])
    op.create_table(
        "indicator_targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("region", sa.String(19), nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("value", sa.Float(53), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False, server_default=""),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_indicator_targets_key", "indicator_targets", ["code", "region", "period"])
    op.create_table(
        "indicator_formulas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("formula", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", "version", name="uq_indicator_formulas_code_version"),
    )
    op.create_index("ix_indicator_formulas_code", "indicator_formulas", ["code"])


def downgrade() -> None:
    """Drop the three indicator tables (every recorded value and edited formula is lost)."""
    op.drop_index("ix_indicator_formulas_code", "indicator_formulas")
    op.drop_table("indicator_formulas")
    op.drop_index("ix_indicator_targets_key", "indicator_targets")
    op.drop_table("indicator_targets")
    op.drop_index("ix_indicator_values_key", "indicator_values")
    op.drop_table("indicator_values")
