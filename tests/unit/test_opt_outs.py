"""The opt-out list's storage on SQLite and PostgreSQL: per sender, SHA-256 of the number only, a STOP
written twice (or by two processes at once) is one row, START keeps an erasure's entry for every sender."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from voice.storage import opt_outs
from voice.storage.ack_models import AckOptOut

CALLER, WA, SMS = "+447700900123", "whatsapp:+442079460000", "+442079460000"


def test_opt_out_per_sender_and_back(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        assert opt_outs.add(session, CALLER, [WA, WA], AckOptOut.STOP) == 1
        assert opt_outs.add(session, CALLER, [WA], AckOptOut.STOP) == 0
        session.commit()
        assert opt_outs.is_opted_out(session, CALLER, WA)
        assert not opt_outs.is_opted_out(session, CALLER, SMS)
        assert not opt_outs.is_opted_out(session, "+447700900124", WA)
        stored = session.execute(text("SELECT number_hash, sender FROM ack_opt_outs")).all()
        assert stored == [(opt_outs.number_hash(CALLER), WA)] and CALLER not in str(stored)
        assert opt_outs.remove(session, CALLER, [WA]) == 1
        session.commit()
        assert not opt_outs.is_opted_out(session, CALLER, WA)

        opt_outs.add(session, CALLER, [opt_outs.EVERY_SENDER], AckOptOut.ERASURE)
        session.commit()
        assert opt_outs.is_opted_out(session, CALLER, WA) and opt_outs.is_opted_out(session, CALLER, "MG1")
        assert opt_outs.remove(session, CALLER, [WA, opt_outs.EVERY_SENDER]) == 0  # START keeps it
        session.commit()
        assert opt_outs.is_opted_out(session, CALLER, SMS)


def test_two_stops_at_once_are_one_row(sm: sessionmaker[Session]) -> None:
    barrier, errors = threading.Barrier(2), []

    def stop() -> None:
        try:
            with sm() as session:
                barrier.wait()
                opt_outs.add(session, CALLER, [SMS], AckOptOut.STOP)
                session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sm() as session:
        assert session.scalar(select(func.count()).select_from(AckOptOut)) == 1
