"""acknowledgements per mailbox: a mailbox's override of its team's settings (switched on or off, sender,
channel, account, repeat window; a column left null follows the team)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ack_mailbox_settings",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("mailbox", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("sender", sa.String(length=64), nullable=True),
        sa.Column("account_sid", sa.String(length=64), nullable=True),
        sa.Column("repeat_hours", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "mailbox"),
    )


def downgrade() -> None:
    op.drop_table("ack_mailbox_settings")
