"""privacy: audit_events, voicemails.audio_deleted_at, an index for pending voicemails per key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(150), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("voicemail_id", sa.String(32)),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_voicemail_id", "audit_events", ["voicemail_id"])
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audio_deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_voicemails_key_status", ["api_key_id", "status"])


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_index("ix_voicemails_key_status")
        batch_op.drop_column("audio_deleted_at")
    op.drop_index("ix_audit_events_voicemail_id", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
