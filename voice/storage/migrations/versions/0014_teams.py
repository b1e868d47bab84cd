"""teams: teams own mailboxes, with a time zone, business hours and a callback deadline; their members
(web users or API keys) see only their teams' voicemails (voice/storage/access.py)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: an install without teams keeps today's access (agents see every voicemail).
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("business_hours", sa.String(length=200), nullable=True),
        sa.Column("callback_hours", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "team_mailboxes",
        sa.Column("mailbox", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mailbox"),
    )
    op.create_index("ix_team_mailboxes_team_id", "team_mailboxes", ["team_id"], unique=False)
    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "api_key_id", name="uq_team_members_key"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_team_members_user"),
    )
    op.create_index("ix_team_members_api_key_id", "team_members", ["api_key_id"], unique=False)
    op.create_index("ix_team_members_team_id", "team_members", ["team_id"], unique=False)
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("team_members")
    op.drop_table("team_mailboxes")
    op.drop_table("teams")
