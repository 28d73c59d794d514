"""Personal access tokens (access_tokens) for desktop clients that sign in with Basic.

Revision ID: 0008_access_tokens
Revises: 0007_audit_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_access_tokens"
down_revision = "0007_audit_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create access_tokens (hash, owner, name, scope, created, expires, last used, revoked)."""
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False, server_default="read"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_access_tokens_user_id", "access_tokens", ["user_id"])


def downgrade() -> None:
    """Drop access_tokens (every token stops working)."""
    op.drop_index("ix_access_tokens_user_id", "access_tokens")
    op.drop_table("access_tokens")
