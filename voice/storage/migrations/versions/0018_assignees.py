"""assignees: a user's own e-mail address (told of what is assigned to them), a notification's single
recipient (an e-mail to that assignee, not the channel's list), an index on voicemails.assignee (the inbox's
"mine" and the reassignment sweep), and at most one default routing rule, kept by the database

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("notifications", sa.Column("recipient", sa.String(length=254), nullable=True))
    op.create_index("ix_voicemails_assignee", "voicemails", ["assignee"], unique=False)
    # Written before the index could stop it, a second default (two loads at once) stays an ordinary rule:
    # the first made is kept as the default, as routing tried them (by position, then id).
    keep = sa.text(
        "UPDATE routing_rules SET is_default = :no WHERE is_default = :yes AND id <> "
        "(SELECT id FROM routing_rules WHERE is_default = :yes ORDER BY position, id LIMIT 1)"
    )
    op.get_bind().execute(keep, {"yes": True, "no": False})
    # A partial unique index: any number of ordinary rules, one default. Two writers (two `voice routing
    # load` at once) cannot both add one; the loser gets an IntegrityError, reported as a conflict.
    op.create_index(
        "uq_routing_rules_one_default",
        "routing_rules",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index("uq_routing_rules_one_default", table_name="routing_rules")
    op.drop_index("ix_voicemails_assignee", table_name="voicemails")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("recipient")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email")
