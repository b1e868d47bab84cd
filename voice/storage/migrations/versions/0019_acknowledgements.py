"""acknowledgements: per team settings (off by default), templates, one message per voicemail at most (an
outbox row with its lease) and the opt-out list (a hash of the number, per sender)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ack_settings",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("account_sid", sa.String(length=64), nullable=True),
        sa.Column("repeat_hours", sa.Float(), nullable=False),
        sa.Column("max_wait_hours", sa.Float(), nullable=False),
        sa.Column("allowed_from", sa.String(length=5), nullable=False),
        sa.Column("allowed_until", sa.String(length=5), nullable=False),
        sa.Column("business_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "ack_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("hours", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "intent", "language", "hours", name="uq_ack_templates_match"),
    )
    op.create_index("ix_ack_templates_team_id", "ack_templates", ["team_id"], unique=False)
    op.create_table(
        "ack_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("voicemail_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("to_number", sa.String(length=40), nullable=True),
        sa.Column("number_hash", sa.String(length=64), nullable=True),
        sa.Column("sender", sa.String(length=64), nullable=True),
        sa.Column("account_sid", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["voicemail_id"], ["voicemails.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_sid"),
        sa.UniqueConstraint("voicemail_id", name="uq_ack_messages_voicemail"),
    )
    op.create_index("ix_ack_messages_due", "ack_messages", ["status", "next_attempt_at"], unique=False)
    op.create_index(
        "ix_ack_messages_recent", "ack_messages", ["team_id", "number_hash", "created_at"], unique=False
    )
    op.create_table(
        "ack_opt_outs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number_hash", "sender", name="uq_ack_opt_outs"),
    )


def downgrade() -> None:
    op.drop_table("ack_opt_outs")
    op.drop_index("ix_ack_messages_recent", table_name="ack_messages")
    op.drop_index("ix_ack_messages_due", table_name="ack_messages")
    op.drop_table("ack_messages")
    op.drop_index("ix_ack_templates_team_id", table_name="ack_templates")
    op.drop_table("ack_templates")
    op.drop_table("ack_settings")
