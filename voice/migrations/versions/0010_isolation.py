"""isolation: call records and duplicate detection scoped to the API key that owns them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:40:00
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
