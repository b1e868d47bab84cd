"""isolation: call records and duplicate detection scoped to the API key that owns them

call_records.owner (the posting key's id, "" without one) and a unique (owner, source, external_id) instead
of (source, external_id); call_records.started_at_offset_min; voicemails.dedupe_key prefixed with the key.
A call record that voicemails of several keys shared is split: one record per key, each with its own
voicemails (fields and metadata copied, as each key already saw them).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:40:00
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COPY = "external_id, source, from_number, to_number, mailbox, started_at, duration_s, metadata, created_at"


def _split_shared_calls() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT call_id, COALESCE(api_key_id, '') AS k, MIN(created_at) AS first FROM voicemails "
            "GROUP BY call_id, COALESCE(api_key_id, '') ORDER BY call_id, first"
        )
    ).fetchall()
    seen: set[str] = set()
    for call_id, key, _first in rows:
        if call_id not in seen:  # the key of the call's first voicemail keeps the record
            seen.add(call_id)
            bind.execute(
                sa.text("UPDATE call_records SET owner = :k WHERE id = :c"), {"k": key, "c": call_id}
            )
            continue
        copy = uuid.uuid4().hex
        bind.execute(
            sa.text(
                f"INSERT INTO call_records (id, owner, {_COPY}) SELECT :new, :k, {_COPY} "
                "FROM call_records WHERE id = :c"
            ),
            {"new": copy, "k": key, "c": call_id},
        )
        bind.execute(
            sa.text(
                "UPDATE voicemails SET call_id = :new WHERE call_id = :c AND COALESCE(api_key_id, '') = :k"
            ),
            {"new": copy, "c": call_id, "k": key},
        )


def _no_cascade_on_sqlite() -> None:
    """SQLite: batch mode recreates call_records (copy, DROP, rename), and a DROP TABLE with foreign keys on
    runs ON DELETE CASCADE: every voicemail would go with the old table. Off for this connection (the
    migration's own, disposed afterwards); refuse to go on if SQLite ignored it (inside a transaction)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0010 needs SQLite's foreign keys off to recreate call_records without cascading")


def upgrade() -> None:
    _no_cascade_on_sqlite()
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("started_at_offset_min", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_call_records_source_external", type_="unique")
    _split_shared_calls()
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_call_records_owner_source_external", ["owner", "source", "external_id"]
        )
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.alter_column("dedupe_key", existing_type=sa.String(460), type_=sa.String(500))
    op.execute(
        "UPDATE voicemails SET dedupe_key = COALESCE(api_key_id, '') || '|' || dedupe_key "
        "WHERE dedupe_key IS NOT NULL"
    )


def downgrade() -> None:
    _no_cascade_on_sqlite()
    bind = op.get_bind()
    # Back to one record per (source, external_id) and a global dedupe key: the oldest record and the
    # oldest voicemail of each group keep them (as 0002 merged duplicates).
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_call_records_owner_source_external", type_="unique")
    dupes = bind.execute(
        sa.text(
            "SELECT source, external_id FROM call_records WHERE external_id IS NOT NULL "
            "GROUP BY source, external_id HAVING COUNT(*) > 1"
        )
    ).fetchall()
    for source, external_id in dupes:
        ids = [
            r[0]
            for r in bind.execute(
                sa.text(
                    "SELECT id FROM call_records WHERE source = :s AND external_id = :e "
                    "ORDER BY created_at, id"
                ),
                {"s": source, "e": external_id},
            )
        ]
        for other in ids[1:]:
            bind.execute(
                sa.text("UPDATE voicemails SET call_id = :keep WHERE call_id = :other"),
                {"keep": ids[0], "other": other},
            )
            bind.execute(sa.text("DELETE FROM call_records WHERE id = :other"), {"other": other})
    # Strip the key part ("<key id>|" or "|") from the dedupe key; later repeats of a stripped key lose it.
    rows = bind.execute(
        sa.text("SELECT id, dedupe_key FROM voicemails WHERE dedupe_key IS NOT NULL ORDER BY created_at, id")
    ).fetchall()
    taken: set[str] = set()
    for vm_id, key in rows:
        plain = key.split("|", 1)[1][:460] if "|" in key else key[:460]
        value = None if plain in taken else plain
        taken.add(plain)
        bind.execute(sa.text("UPDATE voicemails SET dedupe_key = :v WHERE id = :i"), {"v": value, "i": vm_id})
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.alter_column("dedupe_key", existing_type=sa.String(500), type_=sa.String(460))
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_call_records_source_external", ["source", "external_id"])
        batch_op.drop_column("started_at_offset_min")
        batch_op.drop_column("owner")
