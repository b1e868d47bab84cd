"""Full-text search on both stores: SQLite FTS5 and PostgreSQL tsvector with a GIN index."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from voice.storage import search
from voice.storage.inbox import VoicemailFilter, list_voicemails
from voice.storage.models import Summary, TranscriptRevision, Voicemail
from voice.storage.voicemails import CallInfo, create_voicemail, delete_voicemail

TEXTS = {
    "en": ("Hi, this is Maria Lopez calling about invoice 4471.", "Maria Lopez has a billing question."),
    "es": ("El técnico nunca vino, llamo para quejarme.", "Queja del servicio."),
    "zh": ("你好，我的快递还没有到，请回电话。", "快递没有到"),
    "ar": ("مرحبا، أريد حجز موعد للأسبوع القادم", "حجز موعد"),
}


def _add(session: Session, lang: str) -> str:
    body, summary = TEXTS[lang]
    vm = session.get(
        Voicemail, create_voicemail(session, CallInfo(), audio_url="https://example.com/a.wav").id
    )
    rev = TranscriptRevision(voicemail_id=vm.id, number=1, engine="e", model="m", language=lang, text=body)
    session.add(rev)
    session.flush()
    session.add(Summary(revision_id=rev.id, text=summary))
    vm.current_revision_id = rev.id
    vm.status = "done"
    session.flush()
    search.reindex(session, vm.id)
    return vm.id


def test_search_finds_words_in_every_script(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        ids = {lang: _add(session, lang) for lang in TEXTS}
        session.commit()
        cases = {
            "invoice 4471": "en",
            "mari": "en",
            "quejarme": "es",
            "快递": "zh",
            "没有到": "zh",
            "موعد": "ar",
        }
        for query, lang in cases.items():
            found, _ = list_voicemails(session, VoicemailFilter(q=query))
            assert [vm.id for vm in found] == [ids[lang]], query
            passage = search.snippets(session, query, [ids[lang]])[ids[lang]]
            assert search.START in passage and search.STOP in passage, passage
        for query in ("nothing here", '"; DROP TABLE voicemails; --', "4471 quejarme"):
            assert list_voicemails(session, VoicemailFilter(q=query))[0] == [], query
        # Reprocessing replaces the indexed text; deleting removes it.
        rev = session.scalar(select(TranscriptRevision).where(TranscriptRevision.voicemail_id == ids["en"]))
        assert rev is not None
        rev.text = "Completely different words now."
        session.flush()
        search.reindex(session, ids["en"])
        assert list_voicemails(session, VoicemailFilter(q="invoice"))[0] == []
        delete_voicemail(session, session.get(Voicemail, ids["es"]))
        session.commit()
        assert list_voicemails(session, VoicemailFilter(q="quejarme"))[0] == []
        if session.get_bind().dialect.name == "postgresql":
            index = session.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_voicemail_search_tsv'")
            ).scalar()
            assert index and "USING gin (tsv)" in index
