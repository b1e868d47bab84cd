"""The one priority module: the triage score, the overdue boost, and the waiting-time ageing the inbox
shows and sorts by (in Python, and the same in SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Boolean, DateTime, Float, create_engine, literal, select

from voice.storage.models import Voicemail
from voice.triage.priority import (
    inbox_priority,
    inbox_priority_sql,
    priority_of,
    raise_overdue,
    shown_priority,
    with_overdue_boost,
)

NOW = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def test_the_triage_score() -> None:
    assert priority_of("normal", "support", 0, "neutral") == 26.0
    assert priority_of("urgent", "complaint", 5, "negative") == 60.0 + 10.0 + 15.0 + 5.0  # 3 calls at most
    assert priority_of("low", "no_message", 0, "neutral") == 5.0


def test_overdue_raises_the_stored_priority_once_and_a_new_triage_keeps_it() -> None:
    assert raise_overdue(20.0, 30.0) == 50.0
    assert with_overdue_boost(26.0, True, 30.0) == 56.0
    assert with_overdue_boost(26.0, False, 30.0) == 26.0
    assert with_overdue_boost(None, True, 30.0) is None
    assert str(raise_overdue(Voicemail.priority, 30.0)) == "voicemails.priority + :priority_1"


@pytest.mark.parametrize(
    ("waited", "expected"),
    [
        (timedelta(0), 26.0),
        (timedelta(hours=5, minutes=30), 31.5),
        (timedelta(hours=24), 50.0),
        (timedelta(days=3), 50.0),  # at most 24 points
        (-timedelta(hours=2), 26.0),  # a clock ahead of ours never lowers it
    ],
)
def test_waiting_adds_a_point_an_hour_up_to_24(waited: timedelta, expected: float) -> None:
    assert inbox_priority(26.0, NOW - waited, False, NOW) == expected
    assert shown_priority(inbox_priority(26.0, NOW - waited, False, NOW), False) == expected


def test_handled_voicemails_stop_ageing_and_untriaged_ones_have_none() -> None:
    assert inbox_priority(26.0, NOW - timedelta(hours=10), True, NOW) == 26.0
    assert inbox_priority(None, NOW - timedelta(hours=10), False, NOW) is None
    assert shown_priority(None, False) is None
    # SQLite gives back naive UTC times
    naive = (NOW - timedelta(hours=2)).replace(tzinfo=None)
    assert inbox_priority(26.0, naive, False, NOW) == 28.0


def test_shown_is_rounded_while_ageing_and_rounding_keeps_the_order() -> None:
    assert shown_priority(26.0 + 1 / 3, False) == 26.3
    assert shown_priority(26.123, True) == 26.123  # handled: the stored value as it is
    ages = [timedelta(seconds=s) for s in range(0, 90_000, 97)]
    values = sorted((inbox_priority(26.0, NOW - a, False, NOW) or 0.0 for a in ages), reverse=True)
    shown = [shown_priority(v, False) or 0.0 for v in values]
    assert shown == sorted(shown, reverse=True)


def test_ties_older_waits_longer_and_ranks_higher() -> None:
    older = inbox_priority(30.0, NOW - timedelta(hours=3), False, NOW)
    newer = inbox_priority(30.0, NOW - timedelta(hours=1), False, NOW)
    assert older is not None and newer is not None and older > newer
    # 2 points of triage are made up by 2 hours of waiting: equal
    assert inbox_priority(28.0, NOW - timedelta(hours=3), False, NOW) == newer == 31.0


@pytest.mark.parametrize(
    ("stored", "waited", "handled"),
    [
        (26.0, timedelta(0), False),
        (26.0, timedelta(hours=5, minutes=30), False),
        (46.0, timedelta(hours=23, minutes=59, seconds=59), False),
        (46.0, timedelta(days=2), False),
        (46.0, -timedelta(hours=1), False),
        (56.0, timedelta(hours=7), True),
        (None, timedelta(hours=7), False),
    ],
)
def test_the_sql_expression_is_the_python_function(
    stored: float | None, waited: timedelta, handled: bool
) -> None:
    """On SQLite here; the list test runs it on PostgreSQL too."""
    created = NOW - waited
    expr = inbox_priority_sql(
        literal(stored, Float()),
        literal(created.replace(tzinfo=None), DateTime()),  # stored as SQLite stores it
        literal(handled, Boolean()),
        NOW,
    )
    with create_engine("sqlite://").connect() as conn:
        got = conn.execute(select(expr)).scalar()
    want = inbox_priority(stored, created, handled, NOW)
    assert got == pytest.approx(want, abs=1e-6) if want is not None else got is None
    assert shown_priority(got, handled) == shown_priority(want, handled)
