"""监测预警: monitoring_messages, monitoring_patches, dead_letters, warnings, warning_events.

Revision ID: 0009_monitoring
Revises: 0008_access_tokens
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_monitoring"
down_revision = "0008_access_tokens"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the monitoring tables (messages once by id, patches, dead letters, warnings and their events)."""
    op.create_table(
        "monitoring_messages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False, server_default=""),
        sa.Column("received_at", TZ, nullable=False),
    )
    op.create_index("ix_monitoring_messages_received_at", "monitoring_messages", ["received_at"])
    op.create_table(
        "monitoring_patches",
        sa.Column("id", sa.String(64), sa.ForeignKey("monitoring_messages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("observed_at", sa.Date, nullable=False),
        sa.Column("before", sa.String(16), nullable=False),
        sa.Column("after", sa.String(16), nullable=False),
        sa.Column("classification", sa.String(8), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("region", sa.String(12), nullable=False, server_default=""),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("geometry", sa.Text, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
    )
    op.create_index("ix_monitoring_patches_observed_at", "monitoring_patches", ["observed_at"])
    op.create_index("ix_monitoring_patches_region", "monitoring_patches", ["region"])
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False, server_default=""),
        sa.Column("message_id", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_dead_letters_at", "dead_letters", ["at"])
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("level", sa.String(4), nullable=False),
        sa.Column("region", sa.String(12), nullable=False, server_default=""),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("security_level", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("rule", "subject_kind", "subject_id", name="uq_warnings_subject"),
    )
    for column in ("rule", "level", "region", "state", "created_at"):
        op.create_index(f"ix_warnings_{column}", "warnings", [column])
    op.create_table(
        "warning_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(8), nullable=False),
        sa.Column("to_state", sa.String(8), nullable=False),
        sa.Column("opinion", sa.Text, nullable=False, server_default=""),
        sa.Column("attachment", sa.String(255), nullable=False, server_default=""),
    )
    op.create_index("ix_warning_events_warning_id", "warning_events", ["warning_id"])


def downgrade() -> None:
    """Drop the monitoring tables (every patch, dead letter and warning is lost)."""
    for table in ("warning_events", "warnings", "dead_letters", "monitoring_patches", "monitoring_messages"):
        op.drop_table(table)
