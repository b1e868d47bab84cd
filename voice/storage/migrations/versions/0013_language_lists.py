"""voicemails.language_hint holds the languages a voicemail is expected in ("en,de"), not one code

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _no_cascade_on_sqlite() -> None:
    """SQLite: batch mode recreates voicemails (copy, DROP, rename), and a DROP TABLE with foreign keys on
    runs ON DELETE CASCADE: every revision and event would go with the old table. Off for this connection
    (the migration's own); refuse to go on if SQLite ignored it (inside a transaction)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0013 needs SQLite's foreign keys off to recreate voicemails without cascading")


def _hint_length(old: int, new: int) -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.alter_column(
            "language_hint",
            existing_type=sa.String(length=old),
            type_=sa.String(length=new),
            existing_nullable=True,
        )


def upgrade() -> None:
    # On PostgreSQL widening a varchar changes the catalogue only (no table rewrite).
    _no_cascade_on_sqlite()
    _hint_length(8, 64)


def downgrade() -> None:
    # The code before this revision reads the hint as one forced code: a list would fail the voicemail in
    # the engine, so a voicemail expected in several languages goes back to detection (no hint).
    _no_cascade_on_sqlite()  # first: on SQLite the UPDATE opens the transaction the PRAGMA cannot run in
    op.execute("UPDATE voicemails SET language_hint = NULL WHERE language_hint LIKE '%,%'")
    _hint_length(64, 8)
