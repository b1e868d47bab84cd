"""The dashboard on a month of a busy team (docs/dashboard.md): seeds 20,000 voicemails over 30 days for team
support (8 agents; with triage cards, callbacks and their outcomes, spam, no speech, repeat callers) and 1,000
for team billing into a fresh database, then times, in process, the analytics use case, GET /v1/analytics
(admin key) and the dashboard page (admin signed in), and prints the figures.

    python -m bench.analytics                      # a fresh SQLite file in a temporary directory
    python -m bench.analytics --database-url postgresql+psycopg://...   # an empty PostgreSQL database
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BUSY = 20_000
OTHER = 1_000
DAYS = 30
AGENTS = [f"agent{i}" for i in range(1, 9)]
PASSWORD = "bench password 123"
OUTCOMES = ["reached"] * 5 + ["left_message"] * 2 + ["no_answer"] * 2 + ["wrong_number"] + [None]


def _rows(rng: random.Random, n: int, mailbox: str, start: datetime) -> tuple[list[dict], ...]:
    from voice.storage.models import new_id
    from voice.triage.model import INTENTS

    calls, vms, revs, sums, attempts = [], [], [], [], []
    for _ in range(n):
        # Mostly office hours on weekdays, some at night and at weekends.
        day = rng.randrange(DAYS)
        hour = rng.choice(range(8, 18)) if rng.random() < 0.85 else rng.randrange(24)
        at = start + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        call_id, vm_id, rev_id = new_id(), new_id(), new_id()
        number = f"+1212{rng.randrange(n * 6 // 10):07d}"  # a pool smaller than the calls: repeat callers
        calls.append({"id": call_id, "from_number": number, "mailbox": mailbox, "created_at": at})
        status = "no_speech" if rng.random() < 0.04 else "done"
        first = at + timedelta(seconds=rng.lognormvariate(8.5, 1.0)) if rng.random() < 0.6 else None
        handled = first is not None and rng.random() < 0.7
        vms.append({
            "id": vm_id, "call_id": call_id, "status": status, "created_at": at, "updated_at": at,
            "current_revision_id": rev_id, "first_callback_at": first,
            "agent_state": "handled" if handled else "new", "assignee": rng.choice(AGENTS),
        })  # fmt: skip
        revs.append({"id": rev_id, "voicemail_id": vm_id, "number": 1, "engine": "bench", "model": "none"})
        spam = rng.random() < 0.05
        intent = "spam_robocall" if spam else rng.choice(INTENTS)
        sums.append(
            {
                "revision_id": rev_id,
                "text": "a voicemail",
                "intent": intent,
                "flags": ["spam"] if spam else [],
            }
        )
        if first is not None:
            for k in range(rng.choice((1, 1, 1, 2))):
                attempts.append({
                    "voicemail_id": vm_id, "who": rng.choice(AGENTS), "source": "agent",
                    "started_at": first + timedelta(hours=k), "outcome": rng.choice(OUTCOMES),
                })  # fmt: skip
    return calls, vms, revs, sums, attempts


def first_day() -> datetime:
    return datetime.combine(datetime.now(UTC).date() - timedelta(days=DAYS), datetime.min.time(), UTC)


def seed(url: str, seed_: int = 21) -> None:
    from sqlalchemy import insert

    from voice.storage import db, keys, teams, users
    from voice.storage.models import CallbackAttempt, CallRecord, Summary, TranscriptRevision, Voicemail

    db.upgrade(url)
    engine = db.make_engine(url)
    sm = db.make_sessionmaker(engine)
    rng = random.Random(seed_)
    start = first_day()
    with sm() as session:
        users.create_user(session, "boss", PASSWORD, "admin")
        for name in AGENTS:
            users.create_user(session, name, PASSWORD, "agent")
        teams.create_team(session, "support", ["support"], callback_hours=4)
        teams.create_team(session, "billing", ["billing"], callback_hours=8)
        for name in AGENTS:
            teams.add_member(session, "support", username=name)
        for mailbox, n in (("support", BUSY), ("billing", OTHER)):
            tables = (CallRecord, Voicemail, TranscriptRevision, Summary, CallbackAttempt)
            for model, rows in zip(tables, _rows(rng, n, mailbox, start), strict=True):
                for i in range(0, len(rows), 5000):
                    session.execute(insert(model), rows[i : i + 5000])
        session.commit()
        keys_made = keys.create_key(session, "bench-admin", "admin")
        session.commit()
    engine.dispose()
    Path(tempfile.gettempdir(), "voice-bench-analytics.key").write_text(keys_made.key)


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    fn()  # warm: the first call pays for imports and the database's cold pages
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh SQLite file")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from api.main import create_app
    from voice.core.config import Settings
    from voice.storage import access
    from voice.usecases.analytics import Filter, analytics

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database_url, worker={"enabled": False})
        t0 = time.perf_counter()
        seed(settings.db_url)
        kind = settings.db_url.split(":")[0]
        print(
            f"seeded {BUSY} + {OTHER} voicemails, {DAYS} days, in {time.perf_counter() - t0:.1f} s ({kind})"
        )
        key = Path(tempfile.gettempdir(), "voice-bench-analytics.key").read_text()
        since = first_day().date()
        f = Filter(since=since, until=since + timedelta(days=DAYS - 1), team="support")
        q = f"since={f.since}&until={f.until}"
        app = create_app(settings)
        logging.disable(logging.INFO)  # not a line per request
        with TestClient(app) as client:
            sm = client.app.state.sessionmaker  # type: ignore[attr-defined]

            def use_case() -> Any:
                with sm() as session:
                    return analytics(session, f, access.EVERYTHING, settings.sla)

            median, worst, a = _time(use_case, args.repeat)
            print(f"analytics(team=support): median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")
            h = {"Authorization": f"Bearer {key}"}
            median, worst, _ = _time(
                lambda: client.get(f"/v1/analytics?team=support&{q}", headers=h), args.repeat
            )
            print(f"GET /v1/analytics?team=support: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            form = {"username": "boss", "password": PASSWORD, "next": "/", "csrf_token": token.group(1)}
            client.post("/login", data=form, follow_redirects=False)
            median, worst, page = _time(lambda: client.get(f"/dashboard?team=support&{q}"), args.repeat)
            assert page.status_code == 200, page.status_code
            print(f"GET /dashboard?team=support: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms "
                  f"({len(page.content) // 1024} KB)")  # fmt: skip
            median, worst, _ = _time(lambda: client.get(f"/dashboard?{q}"), args.repeat)
            print(f"GET /dashboard (every team): median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")
    print(f"figures ({a.since} to {a.until}, {a.timezone}): {a.total} voicemails; "
          f"called back {a.called_back}, median {a.callback_median_s:.0f} s, p90 {a.callback_p90_s:.0f} s; "
          f"within the deadline {a.deadline_met}/{a.deadline_due} ({(a.within_deadline or 0) * 100:.1f}%); "
          f"spam {a.spam}, no speech {a.no_speech}; repeat callers {a.repeat_callers} "
          f"({a.repeat_voicemails} voicemails); callbacks by {len(a.callbacks_by_agent)} agents, "
          f"{sum(x.attempts for x in a.callbacks_by_agent)} attempts")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
