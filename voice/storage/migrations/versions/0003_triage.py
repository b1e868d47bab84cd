"""triage fields per summary, revision fingerprint, voicemail priority

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _summary_columns() -> list[sa.Column[Any]]:
    """Fresh Column objects each time (a Column belongs to one table once added)."""
    return [
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("callback_time_text", sa.String(length=200), nullable=True),
        sa.Column("callback_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("intent_confidence", sa.Float(), nullable=True),
        sa.Column("urgency", sa.String(length=10), nullable=True),
        sa.Column("urgency_reasons", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("sentiment", sa.String(length=10), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("priority", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        for column in _summary_columns():
            batch_op.add_column(column)
        batch_op.create_index(batch_op.f("ix_summaries_intent"), ["intent"], unique=False)
        batch_op.create_index(batch_op.f("ix_summaries_urgency"), ["urgency"], unique=False)
    with op.batch_alter_table("transcript_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_transcript_revisions_fingerprint"), ["fingerprint"], unique=False
        )
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_voicemails_priority"), ["priority"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voicemails_priority"))
        batch_op.drop_column("priority")
    with op.batch_alter_table("transcript_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_revisions_fingerprint"))
        batch_op.drop_column("fingerprint")
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summaries_urgency"))
        batch_op.drop_index(batch_op.f("ix_summaries_intent"))
        for column in reversed(_summary_columns()):
            batch_op.drop_column(column.name)
