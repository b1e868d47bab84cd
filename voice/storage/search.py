"""Full-text search over voicemails' current transcript and summary.

SQLite: an FTS5 table. PostgreSQL: a generated tsvector ('simple' configuration, no stemming, so the
same for every language) with a GIN index. The index holds what is stored, so with redaction on it holds
only masked text. Matches are highlighted between private-use characters that callers turn into markup
after escaping the text, so a transcript can never inject HTML.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import String, TextClause, column, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

from voice.storage.models import Summary, TranscriptRevision, Voicemail

START, STOP = "\ue000", "\ue001"
# Chinese, Japanese and Korean are written without spaces: each character is indexed as a word and a
# query's run of them is searched as a phrase ("快递" -> "快 递").
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_CHAR = re.compile(f"([{_CJK}])")
# For putting the text back together: CJK letters and CJK/full-width punctuation.
_CJK_TEXT = re.compile(f"[{_CJK}\u3000-\u303f\uff00-\uffef]")


def _spaced(text: str) -> str:
    return " ".join(_CJK_CHAR.sub(r" \1 ", text).split())


def _unspaced(text: str) -> str:
    """Drop the spaces _spaced put between CJK characters (looking past highlight markers)."""

    def side(i: int, step: int) -> bool:
        while 0 <= i < len(text) and text[i] in (START, STOP):
            i += step
        return 0 <= i < len(text) and bool(_CJK_TEXT.match(text[i]))

    return "".join(
        "" if ch == " " and side(i - 1, -1) and side(i + 1, 1) else ch for i, ch in enumerate(text)
    )


def _words(query: str) -> list[str]:
    return re.findall(r"\w+", query, flags=re.U)[:12]


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def reindex(session: Session, vm_id: str) -> None:
    """Put the voicemail's current transcript and summary into the index (in the caller's transaction)."""
    row = session.execute(
        select(TranscriptRevision.text, Summary.text)
        .select_from(Voicemail)
        .join(TranscriptRevision, TranscriptRevision.id == Voicemail.current_revision_id)
        .outerjoin(Summary, Summary.revision_id == TranscriptRevision.id)
        .where(Voicemail.id == vm_id)
    ).first()
    session.execute(text("DELETE FROM voicemail_search WHERE voicemail_id = :id"), {"id": vm_id})
    if row is not None:
        body = _spaced(f"{row[0] or ''} {row[1] or ''}".strip())
        session.execute(
            text("INSERT INTO voicemail_search (voicemail_id, body) VALUES (:id, :body)"),
            {"id": vm_id, "body": body},
        )


def remove(session: Session, vm_id: str) -> None:
    session.execute(text("DELETE FROM voicemail_search WHERE voicemail_id = :id"), {"id": vm_id})


def _query(session: Session, words: list[str]) -> str:
    postgres = _postgres(session)
    terms = []
    for i, word in enumerate(words):
        chars = _spaced(word).split()
        last = i == len(words) - 1 and len(chars) == 1
        if postgres:
            terms.append(" <-> ".join(c.lower() for c in chars) + (":*" if last else ""))
        else:
            # Quoted so FTS5 syntax stays out; the last word as a prefix: "mari" finds "Maria".
            terms.append(f'"{" ".join(chars)}"' + ("*" if last else ""))
    return (" & " if postgres else " ").join(terms)


def matching(session: Session, query: str) -> TextualSelect | None:
    """The ids of voicemails whose text has every word of ``query``; None when it has no words."""
    words = _words(query)
    if not words:
        return None
    clause: TextClause
    if _postgres(session):
        clause = text("SELECT voicemail_id FROM voicemail_search WHERE tsv @@ to_tsquery('simple', :q)")
    else:
        clause = text("SELECT voicemail_id FROM voicemail_search WHERE voicemail_search MATCH :q")
    return clause.bindparams(q=_query(session, words)).columns(column("voicemail_id", String))


def snippets(session: Session, query: str, ids: list[str]) -> dict[str, str]:
    """For each id, a short passage around the match with the matched words between START and STOP."""
    words = _words(query)
    if not words or not ids:
        return {}
    out: dict[str, str] = {}
    ts_query = _query(session, words)
    if _postgres(session):
        rows = session.execute(
            text(
                "SELECT voicemail_id, ts_headline('simple', body, to_tsquery('simple', :q), "
                "'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=30, MinWords=12') "
                "FROM voicemail_search WHERE voicemail_id = ANY(:ids)"
            ),
            {"q": ts_query, "ids": ids},
        )
    else:
        rows = session.execute(
            text(
                "SELECT voicemail_id, snippet(voicemail_search, 1, :start, :stop, '…', 24) "
                "FROM voicemail_search WHERE voicemail_search MATCH :q "
                "AND voicemail_id IN (SELECT value FROM json_each(:ids))"
            ),
            {"q": ts_query, "start": START, "stop": STOP, "ids": json.dumps(ids)},
        )
    for vm_id, passage in rows:
        out[str(vm_id)] = _unspaced(str(passage))
    return out
