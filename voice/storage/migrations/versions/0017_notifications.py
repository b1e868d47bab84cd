"""notifications: channels (e-mail, Slack, Microsoft Teams, webhook), an outbox row per voicemail, channel and
event with a row per attempt, and on teams what their notifications may carry (transcript, audio; off)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _no_cascade_on_sqlite() -> None:
    """SQLite: batch mode recreates teams to drop columns (copy, DROP, rename), and a DROP TABLE with foreign
    keys on runs ON DELETE CASCADE: every membership and mailbox would go with the old table (as in 0015)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0017 needs SQLite's foreign keys off to recreate teams without cascading")


def upgrade() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("digest_minutes", sa.Integer(), nullable=True),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("voicemail_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("digest_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["notification_channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voicemail_id"], ["voicemails.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("voicemail_id", "channel_id", "event", name="uq_notifications_event"),
    )
    op.create_index("ix_notifications_channel_id", "notifications", ["channel_id"], unique=False)
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"], unique=False)
    op.create_index("ix_notifications_voicemail_id", "notifications", ["voicemail_id"], unique=False)
    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notification_attempts_notification_id", "notification_attempts", ["notification_id"], unique=False
    )
    # Existing teams send neither transcripts nor audio: voicemails are personal data.
    op.add_column(
        "teams", sa.Column("notify_transcript", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("teams", sa.Column("notify_audio", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    _no_cascade_on_sqlite()
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("notify_audio")
        batch_op.drop_column("notify_transcript")
    op.drop_table("notification_attempts")
    op.drop_table("notifications")
    op.drop_table("notification_channels")
