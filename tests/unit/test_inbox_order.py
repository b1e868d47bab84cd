"""The inbox sorts by what it shows: the priority order is the order of the priorities the page and the API
show (waiting time included), page after page, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.views import current_priority
from voice.storage.inbox import VoicemailFilter
from voice.storage.models import Voicemail, utcnow
from voice.storage.voicemails import CallInfo, create_voicemail
from voice.triage.priority import inbox_priority
from voice.usecases.listing import list_voicemails

# (stored priority, hours waiting, agent state): the first two are the case that differed before: 26 waiting
# 20 h shows 46.0 and must come before 30 that just arrived, though the stored 26 < 30.
CASES = [
    (26.0, 20.0, "new"),
    (30.0, 0.0, "new"),
    (30.0, 0.5, "new"),
    (40.0, 3.0, "in_progress"),
    (43.0, 0.0, "new"),  # equal to 40 waiting 3 h: the one waiting longest first
    (60.0, 30.0, "handled"),  # handled: no waiting time
    (20.0, 48.0, "new"),  # at most 24 points
    (56.0, 6.0, "new"),  # raised when it went overdue
    (None, 1.0, "new"),  # failed or still processing: last
]


def test_the_priority_order_is_the_order_shown(sm: sessionmaker[Session]) -> None:
    now = utcnow()
    with sm() as session:
        for stored, hours, state in CASES:
            vm_id = create_voicemail(session, CallInfo(), audio_url="https://x.example/a").id
            vm = session.get(Voicemail, vm_id)
            assert vm is not None
            vm.status = "done" if stored is not None else "failed"
            vm.priority, vm.agent_state = stored, state
            vm.created_at = now - timedelta(hours=hours)
        session.commit()

    f = VoicemailFilter(sort="priority")
    shown: list[tuple[float | None, str]] = []
    cursor = None
    later = now
    with sm() as session:
        while True:  # pages of 2; each later page is read an hour later and still continues the same order
            items, cursor = list_voicemails(session, f, 2, cursor, now=later)
            shown += [(current_priority(vm), vm.id) for vm in items]
            for vm in items:
                python = inbox_priority(vm.priority, vm.created_at, vm.agent_state == "handled", now)
                assert vm.inbox_priority == (python if python is None else pytest.approx(python))
            later += timedelta(hours=1)
            if cursor is None:
                break
        assert len({vm_id for _, vm_id in shown}) == len(CASES)
        values = [p if p is not None else -1.0 for p, _ in shown]
        assert values == sorted(values, reverse=True), shown
        assert values[:2] == [56.0 + 6.0, 60.0] and values[-1] == -1.0
        # Among equals (43 now, 40 after 3 h) the one waiting longest comes first.
        equal = [vm_id for p, vm_id in shown if p == 43.0]
        assert len(equal) == 2
        assert session.get(Voicemail, equal[0]).priority == 40.0  # type: ignore[union-attr]

        # The newest order shows the same values (the API list).
        items, _ = list_voicemails(session, replace(f, sort="newest"), 50, None, now=now)
        assert sorted(current_priority(vm) or -1.0 for vm in items) == sorted(values)
