"""ingest: API keys, idempotency and dedupe, agent state, completion webhooks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _merge_duplicate_calls() -> None:
    """Before (source, external_id) becomes unique: move voicemails of duplicate call records to the
    oldest record of that call and drop the rest, so existing data survives the upgrade."""
    bind = op.get_bind()
    dupes = bind.execute(
        sa.text(
            "SELECT source, external_id FROM call_records WHERE external_id IS NOT NULL "
            "GROUP BY source, external_id HAVING COUNT(*) > 1"
        )
    ).fetchall()
    for source, external_id in dupes:
        ids = [
            row[0]
            for row in bind.execute(
                sa.text(
                    "SELECT id FROM call_records WHERE source = :s AND external_id = :e "
                    "ORDER BY created_at, id"
                ),
                {"s": source, "e": external_id},
            )
        ]
        keep, drop = ids[0], ids[1:]
        for other in drop:
            bind.execute(
                sa.text("UPDATE voicemails SET call_id = :keep WHERE call_id = :other"),
                {"keep": keep, "other": other},
            )
            bind.execute(sa.text("DELETE FROM call_records WHERE id = :other"), {"other": other})


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("prefix", sa.String(length=24), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )

    _merge_duplicate_calls()
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_call_records_source_external", ["source", "external_id"])

    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("recording_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=460), nullable=True))
        batch_op.add_column(sa.Column("fetch_auth", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("callback_url", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("agent_state", sa.String(length=20), nullable=False, server_default="new")
        )
        batch_op.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_voicemails_api_key_id"), ["api_key_id"], unique=False)
        batch_op.create_unique_constraint("uq_voicemails_dedupe_key", ["dedupe_key"])
        batch_op.create_unique_constraint("uq_voicemails_idempotency", ["api_key_id", "idempotency_key"])
        batch_op.create_foreign_key(
            "fk_voicemails_api_key_id", "api_keys", ["api_key_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("voicemail_id", sa.String(length=32), nullable=False),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["voicemail_id"], ["voicemails.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_voicemail_id"), ["voicemail_id"], unique=False
        )

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_attempts_delivery_id"), ["delivery_id"], unique=False)


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_constraint("fk_voicemails_api_key_id", type_="foreignkey")
        batch_op.drop_constraint("uq_voicemails_idempotency", type_="unique")
        batch_op.drop_constraint("uq_voicemails_dedupe_key", type_="unique")
        batch_op.drop_index(batch_op.f("ix_voicemails_api_key_id"))
        for column in (
            "assignee",
            "agent_state",
            "callback_url",
            "fetch_auth",
            "dedupe_key",
            "recording_id",
            "request_hash",
            "idempotency_key",
            "api_key_id",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_call_records_source_external", type_="unique")
    op.drop_table("api_keys")
