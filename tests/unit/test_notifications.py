"""Notifications with real parts: an SMTP server (aiosmtpd, STARTTLS and AUTH required) receives the e-mail;
local HTTP receivers take the Slack blocks, the Teams card and the signed webhook; a receiver that answers
500 then 200 gets the message once; a digest channel gets one message listing several voicemails while an
urgent one goes at once. On SQLite and PostgreSQL (the `sm` fixture)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from tests.support.http_servers import WebhookReceiver, receive_webhooks
from tests.support.mail import PASSWORD, USER, MailServer, smtp_server
from tests.support.seed import seed_voicemail, with_audio

TEXT = "Hi, this is Jane Doe from Acme, my card 4111 1111 1111 1111 was charged twice, call me back."


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from voice.core.config import Settings

    return Settings(
        data_dir=tmp_path,
        public_url="https://voice.example.com/",
        notifications={"backoff_s": 0.0, "max_attempts": 3, "timeout_s": 5.0},
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with receive_webhooks() as r:
        yield r


@pytest.fixture
def run() -> str:
    """A path of this test's own on the shared receiver, so its requests are told apart."""
    return uuid.uuid4().hex


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[MailServer]:
    with smtp_server(tmp_path) as server:
        yield server


def _voicemail(session: Session, urgency: str = "high", mailbox: str = "accounts", text: str = TEXT) -> str:
    from voice.storage.models import Summary, Voicemail

    vm_id = seed_voicemail(
        session, mailbox=mailbox, from_number="+1 415 555 0100", text=text, intent="billing"
    )
    vm = session.get(Voicemail, vm_id)
    assert vm is not None and vm.current_revision is not None
    summary = session.scalar(select(Summary).where(Summary.revision_id == vm.current_revision_id))
    assert summary is not None
    summary.caller_name, summary.urgency, summary.callback_number = "Jane Doe", urgency, "(415) 555-0199"
    summary.text = "Charged twice for invoice 1234; wants a refund."
    session.flush()
    return vm_id


def _drain(sm: sessionmaker[Session], settings: Any, rounds: int = 20) -> list[Any]:
    """What a NotificationSender's pool does, one claim at a time until nothing is due."""
    from voice.integrations import notifications

    results = []
    for _ in range(rounds):
        claimed = notifications.claim_due(sm, settings)
        if claimed is None:
            break
        results.append(notifications.deliver_one(sm, claimed, settings))
    return results


def _world(session: Session) -> None:
    from voice.storage import teams

    teams.create_team(session, "billing", ["accounts"])


def _email_channel(session: Session, mail: MailServer, **kw: Any) -> None:
    from voice.storage import channels

    settings = {"host": mail.host, "port": mail.port, "username": USER, "sender": "voice@example.com"}
    settings |= {"to": ["billing@example.com", "lead@example.com"], "ca_file": str(mail.ca_file)}
    channels.add(session, None, "mail-billing", "email", settings, {"password": PASSWORD}, **kw)


def test_the_email_arrives_over_starttls_with_auth_and_says_what_an_agent_needs(
    sm: sessionmaker[Session], settings: Any, mail: MailServer
) -> None:
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification, NotificationAttempt, Team

    with sm() as session:
        _world(session)
        _email_channel(session, mail)
        vm_id = _voicemail(session)
        assert len(outbox.enqueue(session, vm_id, ["mail-billing", "unknown"], "high")) == 1
        assert outbox.enqueue(session, vm_id, ["mail-billing"], "high") == []  # told once per event
        session.commit()
    [result] = _drain(sm, settings)
    assert result.ok and result.status_code == 250
    [received] = mail.received
    assert mail.envelopes == [("voice@example.com", ["billing@example.com", "lead@example.com"])]
    assert received["Subject"] == "Voicemail from Jane Doe for billing"
    assert (
        received["From"] == "voice@example.com" and received["To"] == "billing@example.com, lead@example.com"
    )
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Jane Doe: Charged twice for invoice 1234; wants a refund." in text
    assert "Call back: +14155550199" in text and "Urgency: high" in text and "Team: billing" in text
    assert "<a href='tel:+14155550199'>+14155550199</a>" in html
    assert f"https://voice.example.com/voicemails/{vm_id}" in text and f"/voicemails/{vm_id}'" in html
    assert "Transcript" not in text and "from Acme" not in text + html  # no transcript by default
    assert "4111" not in text + html and not list(received.iter_attachments())
    with sm() as session:
        row = session.scalars(select(Notification)).one()
        assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)
        assert session.scalars(select(NotificationAttempt.status_code)).all() == [250]

        # The team allows transcripts and audio: both go, the transcript masked where redaction applies.
        team = session.scalars(select(Team)).one()
        team.notify_transcript = team.notify_audio = True
        other = _voicemail(session, mailbox="accounts")
        folder = with_audio(session, settings, other)
        outbox.enqueue(session, other, ["mail-billing"], "normal")
        session.commit()
    settings.redaction.mailboxes["accounts"] = True
    assert [r.ok for r in _drain(sm, settings)] == [True]
    second = mail.received[-1]
    body = second.get_body(("plain",)).get_content()
    assert "Transcript: Hi, this is Jane Doe from Acme, my card" in body
    assert "4111 1111 1111 1111" not in body and "1111" in body  # masked, last digits kept
    [audio] = list(second.iter_attachments())
    assert audio.get_filename() == f"voicemail-{other}.wav"
    assert audio.get_content() == (folder / "normalised.wav").read_bytes()


def test_smtp_refusals_are_retried_and_the_attempts_recorded(
    sm: sessionmaker[Session], settings: Any, mail: MailServer
) -> None:
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification, NotificationAttempt

    mail.refuse = 1
    with sm() as session:
        _world(session)
        _email_channel(session, mail)
        outbox.enqueue(session, _voicemail(session), ["mail-billing"], "high")
        session.commit()
    assert [r.ok for r in _drain(sm, settings)] == [False, True]
    assert len(mail.received) == 1
    with sm() as session:
        codes = session.scalars(
            select(NotificationAttempt.status_code).order_by(NotificationAttempt.id)
        ).all()
        assert codes == [451, 250]
        assert session.scalars(select(Notification.status)).one() == "sent"


def test_slack_teams_and_webhook_get_their_own_formats(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver, run: str
) -> None:
    from voice.storage import channels
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification

    with sm() as session:
        _world(session)
        channels.add(session, None, "slack", "slack", {}, {"url": f"{receiver.url}/slack/{run}"})
        channels.add(session, None, "teams", "teams", {}, {"url": f"{receiver.url}/teams/{run}"})
        hook = channels.add(session, None, "hook", "webhook", {"url": f"{receiver.url}/hook/{run}"}, {})
        assert hook.new_secret and hook.new_secret.startswith("whsec_") and hook.secrets_set == ["secret"]
        vm_id = _voicemail(session, urgency="urgent")
        outbox.enqueue(session, vm_id, ["slack", "teams", "hook"], "urgent")
        session.commit()
    assert [r.ok for r in _drain(sm, settings)] == [True, True, True]
    got = {r.path.split("/")[1]: r for r in receiver.received if r.path.endswith(run)}
    slack = json.loads(got["slack"].body)
    assert slack["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Urgent voicemail from Jane Doe for billing", "emoji": False},
    }
    assert slack["blocks"][1]["text"]["text"] == "*Jane Doe*: Charged twice for invoice 1234; wants a refund."
    fields = [f["text"] for f in slack["blocks"][2]["fields"]]
    assert fields[:4] == [
        "*Caller*\nJane Doe",
        "*Call back*\n<tel:+14155550199|+14155550199>",
        "*Urgency*\nurgent",
        "*Team*\nbilling",
    ]
    assert slack["blocks"][3]["elements"][0]["url"] == f"https://voice.example.com/voicemails/{vm_id}"
    assert "4111" not in got["slack"].body.decode()
    card = json.loads(got["teams"].body)
    assert card["type"] == "message"
    [attachment] = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert content["type"] == "AdaptiveCard" and content["actions"][0]["type"] == "Action.OpenUrl"
    facts = {f["title"]: f["value"] for f in content["body"][2]["facts"]}
    assert facts["Call back"] == "[+14155550199](tel:+14155550199)" and facts["Team"] == "billing"
    hook_body = got["hook"].body
    headers = {k.lower(): v for k, v in got["hook"].headers.items()}
    payload = Webhook(hook.new_secret).verify(hook_body, headers)  # raises when the signature is wrong
    assert payload["type"] == "voicemail.notification"
    [item] = payload["data"]["voicemails"]
    assert (item["id"], item["callback_tel"], item["transcript"]) == (vm_id, "tel:+14155550199", None)
    with sm() as session:
        ids = set(session.scalars(select(Notification.id)))
        assert headers["webhook-id"] in ids


def test_a_receiver_that_fails_once_gets_the_message_once_and_a_dead_one_gives_up(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver, run: str
) -> None:
    from voice.storage import channels
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification, NotificationAttempt

    flaky = f"/fail-1/{run}"
    with sm() as session:
        channels.add(session, None, "flaky", "slack", {}, {"url": receiver.url + flaky})
        channels.add(session, None, "gone", "teams", {}, {"url": "http://127.0.0.1:9/nothing-listens"})
        vm_id = _voicemail(session)
        outbox.enqueue(session, vm_id, ["flaky", "gone"], "high")
        session.commit()
    _drain(sm, settings)
    hits = [r for r in receiver.received if r.path == flaky]
    assert len(hits) == 2  # 500, then 200: one message received
    with sm() as session:
        rows = {n.channel_id: n for n in session.scalars(select(Notification))}
        by_name = {c.name: c.id for c in channels_rows(session)}
        assert rows[by_name["flaky"]].status == "sent" and rows[by_name["flaky"]].attempts == 2
        dead = rows[by_name["gone"]]
        assert dead.status == "failed" and dead.attempts == 3
        assert dead.last_error is not None and dead.last_error.startswith(
            "gave up after 3 attempt(s): ConnectError"
        )
        codes = session.scalars(
            select(NotificationAttempt.status_code).where(
                NotificationAttempt.notification_id == rows[by_name["flaky"]].id
            )
        ).all()
        assert list(codes) == [500, 200]


def channels_rows(session: Session) -> list[Any]:
    from voice.storage.models import NotificationChannel

    return list(session.scalars(select(NotificationChannel)))


def test_a_digest_lists_what_arrived_and_urgent_ones_go_at_once(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver, run: str
) -> None:
    from voice.storage import channels
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification, NotificationChannel, as_utc, utcnow

    path = f"/digest/{run}"
    with sm() as session:
        _world(session)
        channels.add(session, None, "digest", "slack", {}, {"url": receiver.url + path}, digest_minutes=30)
        calm = [_voicemail(session, urgency="normal") for _ in range(3)]
        urgent = _voicemail(session, urgency="urgent")
        for vm_id in calm:
            outbox.enqueue(session, vm_id, ["digest"], "normal")
        outbox.enqueue(session, urgent, ["digest"], "urgent")
        session.commit()
    results = _drain(sm, settings)
    assert [r.ok for r in results] == [True, True]
    bodies = [json.loads(r.body) for r in receiver.received if r.path == path]
    titles = sorted(b["blocks"][0]["text"]["text"] for b in bodies)
    assert titles == ["3 new voicemails for billing", "Urgent voicemail from Jane Doe for billing"]
    digest = next(b for b in bodies if b["blocks"][0]["text"]["text"].startswith("3"))
    links = [b["elements"][0]["url"] for b in digest["blocks"] if b["type"] == "actions"]
    assert sorted(links) == sorted(f"https://voice.example.com/voicemails/{v}" for v in calm)
    with sm() as session:
        statuses = sorted(session.scalars(select(Notification.status)))
        assert statuses == ["digested", "digested", "sent", "sent"]
        channel = session.scalars(select(NotificationChannel)).one()
        assert channel.last_digest_at is not None
        # One more calm voicemail waits for the next digest, 30 minutes after this one.
        later = _voicemail(session, urgency="low")
        [row] = outbox.enqueue(session, later, ["digest"], "low")
        assert row.next_attempt_at is not None
        assert as_utc(row.next_attempt_at) - as_utc(channel.last_digest_at) == timedelta(minutes=30)
        assert as_utc(row.next_attempt_at) > utcnow()
        session.commit()
    assert _drain(sm, settings) == []


def _unhandled(session: Session, vm_id: str) -> None:
    """As the pipeline leaves a voicemail, before anyone acts on it (routing runs on such)."""
    from voice.storage.models import Voicemail

    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.agent_state, vm.assignee = "new", None
    session.flush()


def test_routing_writes_the_rows_in_its_transaction_and_a_deleted_channel_falls_back(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver, run: str
) -> None:
    from voice.routing import route
    from voice.storage import channels
    from voice.storage.models import Notification
    from voice.usecases import routing

    rules = """
rules:
  - name: invoices
    when: {intent: billing}
    then: {team: billing, notify: [hook-billing]}
  - name: default
    default: true
    then: {team: support}
"""
    with sm() as session:
        _world(session)
        from voice.storage import teams, users

        teams.create_team(session, "support", ["helpdesk"])
        for name, team in (("alice", "billing"), ("sam", "support")):  # a team nobody is in is no destination
            users.create_user(session, name, "correct horse battery", "agent")
            teams.add_member(session, team, username=name)
        channels.add(session, None, "hook-billing", "webhook", {"url": f"{receiver.url}/routed/{run}"}, {})
        routing.load_yaml(session, rules)
        first = _voicemail(session)
        _unhandled(session, first)
        session.commit()
    with sm() as session:
        decision = route.after_processing(session, first)
        assert decision is not None and decision.notify == ("hook-billing",)
        assert decision.text == "routed to billing by rule 'invoices' (intent=billing); notify hook-billing"
        assert session.scalars(select(Notification.status)).all() == ["pending"]  # not committed yet
        session.rollback()  # a routing transaction that fails leaves no notification behind
    with sm() as session:
        assert session.scalars(select(Notification)).all() == []
        route.after_processing(session, first)
        session.commit()
    assert [r.ok for r in _drain(sm, settings)] == [True]
    assert len([r for r in receiver.received if r.path == f"/routed/{run}"]) == 1

    with sm() as session:
        channels.delete(session, "hook-billing")
        second = _voicemail(session)
        _unhandled(session, second)
        decision = route.after_processing(session, second)
        session.commit()
        assert decision is not None and decision.team == "support" and decision.fell_back
        assert decision.text == (
            "rule 'invoices' cannot be applied: no notification channel 'hook-billing'; "
            "routed to support by default rule 'default'"
        )
        assert session.scalars(select(Notification)).all() == []  # its rows went with the channel


def test_a_reassignment_skips_the_digest_and_says_who_has_it_now(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver, run: str
) -> None:
    from voice.storage import channels
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification

    path = f"/reassigned/{run}"
    with sm() as session:
        _world(session)
        hook = channels.add(
            session, None, "hook", "webhook", {"url": receiver.url + path}, {}, digest_minutes=60
        )
        vm_id = _voicemail(session, urgency="normal")  # assigned to dana by the seed
        [row] = outbox.enqueue(session, vm_id, ["hook"], "normal", event="voicemail.reassigned.1")
        assert row.digest is False
        session.commit()
    assert [r.ok for r in _drain(sm, settings)] == [True]
    [got] = [r for r in receiver.received if r.path == path]
    payload = Webhook(hook.new_secret).verify(got.body, {k.lower(): v for k, v in got.headers.items()})
    assert payload["data"]["event"] == "voicemail.reassigned.1"
    assert payload["data"]["title"] == "Reassigned to dana: voicemail from Jane Doe"
    with sm() as session:
        assert session.scalars(select(Notification.status)).all() == ["sent"]
