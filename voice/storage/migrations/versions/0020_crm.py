"""crm: connectors (Zendesk, HubSpot) scoped to a team or mailbox, an outbox row per voicemail, connector and
event, and the ids each voicemail has in each CRM

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 17:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _ids() -> list[Any]:
    return [
        sa.Column("voicemail_id", sa.String(length=32), nullable=False),
        sa.Column("connector_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["connector_id"], ["crm_connectors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voicemail_id"], ["voicemails.id"], ondelete="CASCADE"),
    ]


def upgrade() -> None:
    op.create_table(
        "crm_connectors",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=60), nullable=True),
        sa.Column("mailbox", sa.String(length=100), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "crm_syncs",
        sa.Column("id", sa.String(length=40), nullable=False),
        *_ids(),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("instance", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        # A retry or a second writer never makes a second ticket: one row per event instance.
        sa.UniqueConstraint("voicemail_id", "connector_id", "event", "instance", name="uq_crm_syncs_event"),
    )
    op.create_index("ix_crm_syncs_connector_id", "crm_syncs", ["connector_id"], unique=False)
    op.create_index("ix_crm_syncs_due", "crm_syncs", ["status", "next_attempt_at"], unique=False)
    op.create_index("ix_crm_syncs_voicemail_id", "crm_syncs", ["voicemail_id"], unique=False)
    op.create_table(
        "crm_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_ids(),
        sa.Column("ticket_id", sa.String(length=40), nullable=True),
        sa.Column("requester_id", sa.String(length=40), nullable=True),
        sa.Column("contact_id", sa.String(length=40), nullable=True),
        sa.Column("call_id", sa.String(length=40), nullable=True),
        sa.Column("task_id", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("voicemail_id", "connector_id", name="uq_crm_links_voicemail"),
    )
    op.create_index("ix_crm_links_connector_id", "crm_links", ["connector_id"], unique=False)
    op.create_index("ix_crm_links_voicemail_id", "crm_links", ["voicemail_id"], unique=False)


def downgrade() -> None:
    op.drop_table("crm_links")
    op.drop_table("crm_syncs")
    op.drop_table("crm_connectors")
