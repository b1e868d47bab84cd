"""The opt-out list (ack_opt_outs): who must not be messaged, from which sender, kept as SHA-256 of the
E.164 number so that erasing a caller can keep them on it without keeping the number.

A sender is written as acknowledgements name it (ack_settings.sender): "+442079460000", "MG..." or
"whatsapp:+442079460000"; ``*`` is every sender (erasure). Written with INSERT ... ON CONFLICT DO NOTHING
(PostgreSQL and SQLite), so a STOP sent twice, or two at once, is one row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from voice.storage.ack_models import AckOptOut

_TABLE = cast(Table, AckOptOut.__table__)
EVERY_SENDER = AckOptOut.EVERY_SENDER


def number_hash(e164: str) -> str:
    """SHA-256 (hex) of the number in E.164, the only form of it the list keeps."""
    return hashlib.sha256(e164.strip().encode()).hexdigest()


def add(session: Session, e164: str, senders: Iterable[str], source: str) -> int:
    """Put the number on the list for each sender (``*``: all); not committed. Returns rows added."""
    conn = session.connection()
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert_(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id)
    hashed, added = number_hash(e164), 0
    for sender in dict.fromkeys(senders):
        row = conn.execute(stmt, {"number_hash": hashed, "sender": sender[:64], "source": source}).first()
        added += row is not None
    return added


def remove(session: Session, e164: str, senders: Iterable[str]) -> int:
    """Take the number off the list for these senders (START); not committed. An erasure's ``*`` entry
    stays: the caller asked to be forgotten, and only erasing that entry by hand undoes it."""
    result = session.execute(
        delete(AckOptOut).where(
            AckOptOut.number_hash == number_hash(e164),
            AckOptOut.sender.in_([s for s in senders if s != EVERY_SENDER]),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def is_opted_out(session: Session, e164: str, sender: str) -> bool:
    """Whether the number must not be messaged from ``sender``."""
    found = session.scalar(
        select(AckOptOut.id)
        .where(AckOptOut.number_hash == number_hash(e164), AckOptOut.sender.in_([sender, EVERY_SENDER]))
        .limit(1)
    )
    return found is not None
