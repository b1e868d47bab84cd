"""routing: ordered routing rules, named caller lists, and on voicemails the team they were routed to, their
tags, the priority points routing added and the last decision; team members can be marked unavailable

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _no_cascade_on_sqlite() -> None:
    """SQLite: batch mode recreates voicemails (copy, DROP, rename), and a DROP TABLE with foreign keys on
    runs ON DELETE CASCADE: every revision and event would go with the old table (as in 0013)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0015 needs SQLite's foreign keys off to recreate voicemails without cascading")


def upgrade() -> None:
    _no_cascade_on_sqlite()
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("continues", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_routing_rules_position", "routing_rules", ["position"], unique=False)
    op.create_table(
        "caller_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "caller_list_numbers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["caller_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("list_id", "number", name="uq_caller_list_numbers"),
    )
    op.create_index("ix_caller_list_numbers_list_id", "caller_list_numbers", ["list_id"], unique=False)
    op.create_index("ix_caller_list_numbers_number", "caller_list_numbers", ["number"], unique=False)
    # Members present today stay available: routing may assign to them as soon as rules exist.
    op.add_column(
        "team_members", sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("team_members", sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("routing_points", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("routing", sa.JSON(), nullable=True))
        batch_op.create_index("ix_voicemails_team_id", ["team_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_voicemails_team_id", "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    _no_cascade_on_sqlite()
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_constraint("fk_voicemails_team_id", type_="foreignkey")
        batch_op.drop_index("ix_voicemails_team_id")
        batch_op.drop_column("routing")
        batch_op.drop_column("routing_points")
        batch_op.drop_column("tags")
        batch_op.drop_column("team_id")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("available")
    op.drop_table("caller_list_numbers")
    op.drop_table("caller_lists")
    op.drop_table("routing_rules")
