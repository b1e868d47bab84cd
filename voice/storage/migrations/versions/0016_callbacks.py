"""callbacks: callback_attempts (who called a voicemail's caller back, how, and how it went), and on
voicemails the first attempt's time and the reassignments for want of one; team members can be a lead

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("voicemail_id", sa.String(length=32), nullable=False),
        sa.Column("who", sa.String(length=150), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["voicemail_id"], ["voicemails.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("voicemail_id", "source", "external_id", name="uq_callback_attempts_external"),
    )
    op.create_index("ix_callback_attempts_voicemail_id", "callback_attempts", ["voicemail_id"], unique=False)
    op.create_index(
        "ix_callback_attempts_source_external", "callback_attempts", ["source", "external_id"], unique=False
    )
    # Plain ADD COLUMN (no batch copy of voicemails: a copy's DROP TABLE would cascade on SQLite, see 0015).
    op.add_column("voicemails", sa.Column("first_callback_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("voicemails", sa.Column("escalations", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("voicemails", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("team_members", sa.Column("lead", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): no copy of the tables.
    op.drop_column("team_members", "lead")
    op.drop_column("voicemails", "escalated_at")
    op.drop_column("voicemails", "escalations")
    op.drop_column("voicemails", "first_callback_at")
    op.drop_index("ix_callback_attempts_source_external", table_name="callback_attempts")
    op.drop_index("ix_callback_attempts_voicemail_id", table_name="callback_attempts")
    op.drop_table("callback_attempts")
