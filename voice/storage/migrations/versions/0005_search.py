"""full-text search over transcripts and summaries: SQLite FTS5, or PostgreSQL tsvector with a GIN index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:30:00
"""

import sqlalchemy as sa
from alembic import op

from voice.storage.search import _spaced

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The current revision's text and summary of every voicemail (voice/storage/search.py keeps it up to date).
EXISTING = """
SELECT v.id, r.text, s.text
FROM voicemails v
JOIN transcript_revisions r ON r.id = v.current_revision_id
LEFT JOIN summaries s ON s.revision_id = r.id
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE voicemail_search ("
            " voicemail_id VARCHAR(32) PRIMARY KEY REFERENCES voicemails(id) ON DELETE CASCADE,"
            " body TEXT NOT NULL,"
            # 'simple': no stemming or stop words, the same for every language a voicemail may be in.
            " tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
        )
        op.execute("CREATE INDEX ix_voicemail_search_tsv ON voicemail_search USING GIN (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE voicemail_search USING fts5("
            "voicemail_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    bind = op.get_bind()
    for vm_id, text, summary in bind.execute(sa.text(EXISTING)).fetchall():
        body = _spaced(f"{text or ''} {summary or ''}".strip())
        bind.execute(
            sa.text("INSERT INTO voicemail_search (voicemail_id, body) VALUES (:id, :body)"),
            {"id": vm_id, "body": body},
        )


def downgrade() -> None:
    op.execute("DROP TABLE voicemail_search")
