"""The dashboard's figures (voice/usecases/analytics.py) on a seeded set, on SQLite and PostgreSQL, against
values worked out by hand below (not by the code under test):

200 voicemails over 14 days from Monday 2026-11-02 (UTC): 140 to billing's mailbox `accounts` (4 h deadline),
10 a day at 09:00, 09:30 ... 13:30; 60 to support's `helpdesk` (no deadline: the settings' 4 h), at 10:15.
- billing i < 20 were first called back (i + 1) * 15 min after arrival: 900, 1800 ... 18000 s. Median of
  20 values: (9000 + 9900) / 2 = 9450 s; 90th percentile: rank 0.9 * 19 = 17.1 between 16200 and 17100:
  16290 s. Within 4 h (14400 s): the first 16.
- billing 20..29 handled without a callback and never overdue (met); 30..34 handled after going overdue.
- billing 100, 104 ... 136 (10) have no speech: not due. So billing: 130 due, 16 + 10 = 26 met.
- support: 60 done, none called back nor handled: 60 due, 0 met.
- spam: billing i % 7 == 0 (20); intent billing for i % 7 == 1 (20), the rest other (100); support intent
  support (60).
- repeat callers: billing i < 30 call from 10 numbers, 3 times each; support i < 5 from one number.
- callbacks: alice on even i < 20 (i % 4 == 0 reached, == 2 left a message), then again on 0..3 (wrong
  number): 5 + 5 + 4 = 14; bob on odd i < 20 (i % 4 == 1 no answer, == 3 pending): 5 + 5 = 10; sam on
  support's first 3 (reached).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.analytics_seed import NOW, seed_dashboard_set


@pytest.fixture
def seeded(sm: sessionmaker[Session]) -> sessionmaker[Session]:
    with sm() as session:
        seed_dashboard_set(session)
    return sm


def _run(sm: sessionmaker[Session], viewer: str | None, **kw: object):  # type: ignore[no-untyped-def]
    from voice.core.config import SlaSettings
    from voice.storage import access
    from voice.storage.models import User
    from voice.usecases.analytics import Filter, analytics

    f = Filter(**{"since": date(2026, 11, 2), "until": date(2026, 11, 15), **kw})  # type: ignore[arg-type]
    with sm() as session:
        scope = access.EVERYTHING
        if viewer:
            user = session.scalar(select(User).where(User.username == viewer))
            assert user is not None
            scope = access.for_user(session, user)
        return analytics(session, f, scope, SlaSettings(), now=NOW)


def test_figures_match_the_hand_computed_ones(seeded: sessionmaker[Session]) -> None:
    a = _run(seeded, None)
    assert a.total == 200
    assert [c.count for c in a.per_day] == [15] * 4 + [14] * 10
    assert a.per_day[0].key == "2026-11-02" and a.per_day[-1].key == "2026-11-15"
    # Each weekday twice in 14 days; billing 2 an hour from 09 to 13 UTC, support 5 or 4 a day at 10:15.
    assert a.per_hour_of_week[0][9] == 4 and a.per_hour_of_week[0][10] == 4 + 5 + 4
    assert a.per_hour_of_week[6][10] == 4 + 4 + 4 and a.per_hour_of_week[0][14] == 0
    assert sum(map(sum, a.per_hour_of_week)) == 200
    assert {c.key: c.count for c in a.by_team} == {"billing": 140, "support": 60}
    assert [(c.key, c.count) for c in a.by_intent] == [
        ("other", 100), ("support", 60), ("billing", 20), ("spam_robocall", 20)
    ]  # fmt: skip
    assert a.called_back == 20
    assert a.callback_median_s == pytest.approx(9450, abs=0.01)
    assert a.callback_p90_s == pytest.approx(16290, abs=0.01)
    assert (a.deadline_due, a.deadline_met) == (190, 26)
    assert (a.spam, a.no_speech) == (20, 10)
    assert a.spam_share == pytest.approx(0.1) and a.no_speech_share == pytest.approx(0.05)
    assert (a.repeat_callers, a.repeat_voicemails) == (11, 35)
    assert a.top_repeat_callers[0].number == "+12125559000" and a.top_repeat_callers[0].voicemails == 5
    agents = {x.agent: (x.attempts, x.outcomes) for x in a.callbacks_by_agent}
    assert agents["alice"][0] == 14 and agents["alice"][1]["reached"] == 5
    assert agents["alice"][1]["left_message"] == 5 and agents["alice"][1]["wrong_number"] == 4
    assert agents["bob"][0] == 10 and agents["bob"][1]["no_answer"] == 5 and agents["bob"][1]["pending"] == 5
    assert agents["sam"] == (
        3,
        {"reached": 3, "left_message": 0, "no_answer": 0, "wrong_number": 0, "pending": 0},
    )


def test_an_agent_counts_only_their_teams_voicemails(seeded: sessionmaker[Session]) -> None:
    a = _run(seeded, "alice")
    assert a.total == 140 and [c.count for c in a.per_day] == [10] * 14
    assert {c.key for c in a.by_team} == {"billing"} and "support" not in {c.key for c in a.by_intent}
    assert (a.deadline_due, a.deadline_met) == (130, 26) and a.within_deadline == pytest.approx(0.2)
    assert (a.repeat_callers, a.repeat_voicemails) == (10, 30)
    assert {x.agent for x in a.callbacks_by_agent} == {"alice", "bob"}
    # Asking for the other team's figures gives nothing, not support's numbers.
    assert _run(seeded, "alice", team="support").total == 0
    assert _run(seeded, "sam").total == 60


def test_filters_range_team_mailbox_and_time_zone(seeded: sessionmaker[Session]) -> None:
    from voice.usecases.analytics import AnalyticsError

    week2 = _run(seeded, None, since=date(2026, 11, 9))
    assert week2.total == 70 + 28 and len(week2.per_day) == 7
    assert _run(seeded, None, team="support").total == 60
    assert _run(seeded, None, mailbox="accounts").total == 140
    # New York is UTC-5 in November: billing's 09:00-13:30 UTC is 04:00-08:30 there, on the same days.
    ny = _run(seeded, None, team="billing", timezone="America/New_York")
    assert ny.timezone == "America/New_York" and ny.total == 140
    assert ny.per_hour_of_week[0][4] == 4 and ny.per_hour_of_week[0][9] == 0
    with pytest.raises(AnalyticsError):
        _run(seeded, None, team="nobody")
    with pytest.raises(AnalyticsError):
        _run(seeded, None, since=date(2026, 11, 20))
    with pytest.raises(AnalyticsError):
        _run(seeded, None, timezone="Mars/Olympus")
