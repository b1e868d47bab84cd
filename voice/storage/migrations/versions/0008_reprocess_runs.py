"""batch reprocessing: reprocess_runs, reprocess_items, transcript_revisions.run_id

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reprocess_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("engine", sa.String(40)),
        sa.Column("model", sa.String(100)),
        sa.Column("summariser", sa.String(20)),
        sa.Column("rate_per_min", sa.Float()),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("executor", sa.String(10), nullable=False),
        sa.Column("selected", sa.Integer(), nullable=False),
        sa.Column("audio_s", sa.Float(), nullable=False),
        sa.Column("next_release_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "reprocess_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("reprocess_runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "voicemail_id", sa.String(32), sa.ForeignKey("voicemails.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("audio_s", sa.Float(), nullable=False),
        sa.Column("revision_id", sa.String(32)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
        sa.Column("queued_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("run_id", "voicemail_id", name="uq_reprocess_items_run_voicemail"),
    )
    op.create_index("ix_reprocess_items_run_state", "reprocess_items", ["run_id", "state"])
    op.create_index("ix_reprocess_items_voicemail_id", "reprocess_items", ["voicemail_id"])
    with op.batch_alter_table("transcript_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.String(32), nullable=True))
        batch_op.create_index("ix_transcript_revisions_run_id", ["run_id"])
        batch_op.create_foreign_key(
            "fk_transcript_revisions_run_id", "reprocess_runs", ["run_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("transcript_revisions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_transcript_revisions_run_id", type_="foreignkey")
        batch_op.drop_index("ix_transcript_revisions_run_id")
        batch_op.drop_column("run_id")
    op.drop_index("ix_reprocess_items_voicemail_id", table_name="reprocess_items")
    op.drop_index("ix_reprocess_items_run_state", table_name="reprocess_items")
    op.drop_table("reprocess_items")
    op.drop_table("reprocess_runs")
