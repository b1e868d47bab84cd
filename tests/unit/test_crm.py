"""CRM connectors with real parts: local Zendesk and HubSpot servers speaking their documented APIs (paths,
authentication, JSON bodies, error bodies and codes), HubSpot driven through hubspot-api-client, and the
outbox sent the way `voice serve`'s pool sends it, on SQLite and PostgreSQL (the `sm` fixture). A receiver
that fails twice still gets one ticket and one call log; handling adds one comment; a 400 is not retried; a
ticket made by an attempt that died before its id was stored is found, not made again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.hubspot_server import TOKEN as HUBSPOT_TOKEN
from tests.support.hubspot_server import HubSpotServer, hubspot_server
from tests.support.json_server import DROP
from tests.support.seed import seed_voicemail
from tests.support.zendesk_server import EMAIL, TOKEN, ZendeskServer, zendesk_server

TEXT = "Hi, this is Jane Doe from Acme, invoice 4471 was charged twice, please call me back."
SUMMARY = "Charged twice for invoice 4471; wants a refund."
TICKETS = r"/api/v2/tickets\.json"


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from voice.core.config import Settings

    return Settings(
        data_dir=tmp_path,
        public_url="https://voice.example.com/",
        crm={"backoff_s": 0.0, "max_attempts": 5, "timeout_s": 5.0},
    )


@pytest.fixture
def zendesk() -> Iterator[ZendeskServer]:
    with zendesk_server() as server:
        yield server


@pytest.fixture
def hubspot() -> Iterator[HubSpotServer]:
    with hubspot_server() as server:
        yield server


def _voicemail(session: Session, assignee: str | None = "carol") -> str:
    """A billing voicemail of mailbox accounts (team billing), routed: its CRM syncs are written."""
    from voice.routing import route
    from voice.storage.models import Summary, Voicemail

    vm_id = seed_voicemail(
        session, mailbox="accounts", from_number="+1 415 555 0100", text=TEXT, intent="billing"
    )
    vm = session.get(Voicemail, vm_id)
    assert vm is not None and vm.current_revision is not None
    vm.agent_state, vm.assignee = "new", assignee
    summary = session.scalar(select(Summary).where(Summary.revision_id == vm.current_revision_id))
    assert summary is not None
    summary.caller_name, summary.urgency, summary.callback_number = "Jane Doe", "high", "(415) 555-0199"
    summary.text = SUMMARY
    session.flush()
    route.after_processing(session, vm_id)  # the pipeline's end: no rules, so not routed; synced all the same
    return vm_id


def _world(session: Session) -> None:
    from voice.storage import teams, users

    teams.create_team(session, "billing", ["accounts"])
    users.create_user(session, "carol", "a long password 123", "agent", email="carol@example.com")


def _zendesk(session: Session, server: ZendeskServer, **settings: Any) -> None:
    from voice.storage import crm

    config = {"base_url": server.url, "email": EMAIL} | settings
    crm.add(session, None, "zd", "zendesk", config, {"api_token": TOKEN}, team="billing")


def _hubspot(session: Session, server: HubSpotServer) -> None:
    from voice.storage import crm

    config = {"base_url": server.url, "create_contacts": True}
    crm.add(session, None, "hs", "hubspot", config, {"token": HUBSPOT_TOKEN}, mailbox="accounts")


def _drain(sm: sessionmaker[Session], settings: Any, rounds: int = 30) -> list[Any]:
    """What the CrmSender's pool does, one claim at a time until nothing is due."""
    from voice.integrations import crm

    results = []
    for _ in range(rounds):
        claimed = crm.claim_due(sm, settings)
        if claimed is None:
            break
        results.append(crm.deliver_one(sm, claimed, settings))
    return results


def _rows(sm: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    from voice.storage.models import CrmSync

    with sm() as session:
        rows = session.execute(
            select(CrmSync.event, CrmSync.status, CrmSync.attempts).order_by(CrmSync.created_at)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _synced_after_two_500s(sm: sessionmaker[Session], settings: Any, connect: Any, category: str) -> str:
    """A voicemail for the connector ``connect`` adds, sent by the third attempt: the CRM answers 500 twice
    (its error body, ``category``, in the recorded error)."""
    with sm() as session:
        _world(session)
        connect(session)
        vm_id = _voicemail(session)
        session.commit()
    results = _drain(sm, settings)
    assert [r is True for r in results] == [False, False, True]
    assert "HTTP 500" in str(results[0]) and category in str(results[0])
    assert _rows(sm) == [("created", "sent", 3)]
    return vm_id


def test_zendesk_one_ticket_after_two_500s_with_the_fields_specified_and_one_comment_when_handled(
    sm: sessionmaker[Session], settings: Any, zendesk: ZendeskServer
) -> None:
    from voice.storage import agents
    from voice.storage.models import CrmLink, Voicemail

    zendesk.fail("POST", TICKETS, 500, 500)
    vm_id = _synced_after_two_500s(sm, settings, lambda s: _zendesk(s, zendesk), "InternalServerError")
    assert len(zendesk.calls("POST", TICKETS)) == 3
    [ticket] = zendesk.tickets.values()
    assert ticket["subject"] == SUMMARY and ticket["priority"] == "high"
    assert ticket["external_id"] == vm_id
    assert set(ticket["tags"]) == {"voicemail", "intent_billing", "team_billing"}
    first = ticket["comments"][0]
    assert first["public"] is False
    assert first["body"].startswith(f"{SUMMARY}\nCall back: +14155550199\nCaller: Jane Doe")
    assert f"https://voice.example.com/voicemails/{vm_id}" in first["body"]
    assert "Transcript" not in first["body"] and "Acme" not in first["body"]  # minimisation: summary
    assert "Recording" not in first["body"]
    [user] = zendesk.users.values()
    assert (user["phone"], user["name"]) == ("+14155550100", "Jane Doe")
    assert ticket["requester_id"] == user["id"]
    [search] = zendesk.calls("GET", r"/api/v2/search\.json")  # looked for once; made once
    assert search.query["query"] == "type:user phone:+14155550100"
    with sm() as session:
        link = session.scalars(select(CrmLink)).one()
        assert (link.ticket_id, link.requester_id) == (str(ticket["id"]), str(user["id"]))

        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        agents.set_agent_state(session, vm, "carol", state="handled")
        agents.set_agent_state(session, vm, "carol", state="handled")  # no change: nothing more
        session.commit()
    assert _drain(sm, settings) == [True]
    assert len(ticket["comments"]) == 2 and ticket["comments"][1]["body"].startswith(
        "Handled in Voice by carol"
    )
    assert len(zendesk.calls("PUT", rf"/api/v2/tickets/{ticket['id']}\.json")) == 1
    assert len(zendesk.tickets) == 1 and _rows(sm)[-1] == ("handled", "sent", 1)


def test_zendesk_a_400_fails_at_once_with_the_answer_and_a_known_caller_is_not_made_again(
    sm: sessionmaker[Session], settings: Any, zendesk: ZendeskServer
) -> None:
    from voice.storage.models import CrmSync

    zendesk.users[7] = {"id": 7, "name": "Jane", "phone": "+14155550100"}
    zendesk.fail("POST", TICKETS, 400)
    with sm() as session:
        _world(session)
        _zendesk(session, zendesk)
        _voicemail(session)
        session.commit()
    [result] = _drain(sm, settings)
    assert result.permanent and result.status_code == 400
    assert _rows(sm) == [("created", "failed", 1)]
    with sm() as session:
        error = session.scalars(select(CrmSync.last_error)).one()
    assert error is not None and "HTTP 400" in error and "InvalidRequest" in error
    assert len(zendesk.calls("POST", TICKETS)) == 1 and not zendesk.tickets
    assert not zendesk.calls("POST", r"/api/v2/users/create_or_update\.json")  # found by phone


def test_zendesk_a_ticket_made_by_an_attempt_that_died_before_storing_its_id_is_not_made_again(
    sm: sessionmaker[Session], settings: Any, zendesk: ZendeskServer
) -> None:
    from voice.integrations import crm
    from voice.integrations import zendesk as zd
    from voice.jobs import claiming
    from voice.jobs.kinds import crm_kind
    from voice.storage.models import CrmLink, utcnow

    with sm() as session:
        _world(session)
        _zendesk(session, zendesk)
        vm_id = _voicemail(session)
        session.commit()

    class Died(BaseException):
        """The process stops here: the ticket exists in Zendesk, its id is not in Voice."""

    def dying(event: Any) -> None:
        def save(**ids: Any) -> None:
            if "ticket_id" in ids:
                raise Died
            event.save(**ids)

        zd.send(type(event)(**{**event.__dict__, "save": save}))

    # The first attempt: the row is claimed, the ticket posted, and the process dies before storing its id.
    claimed = crm.claim_due(sm, settings)
    assert claimed is not None
    sender = crm.SENDERS["zendesk"]
    crm.SENDERS["zendesk"] = dying
    try:
        with pytest.raises(Died):
            crm.deliver_one(sm, claimed, settings)
    finally:
        crm.SENDERS["zendesk"] = sender
    assert len(zendesk.tickets) == 1
    # Its lease runs out; another process claims it again.
    later = utcnow() + timedelta(seconds=settings.crm.lease_s + 1)
    again = claiming.claim_next(sm, crm_kind(settings.crm), "other-process", settings.crm.lease_s, now=later)
    assert again is not None and again.attempts == 2
    assert crm.deliver_one(sm, again, settings) is True
    assert len(zendesk.tickets) == 1 and len(zendesk.calls("POST", TICKETS)) == 1
    [ticket_id] = zendesk.tickets
    [lookup] = zendesk.calls("GET", TICKETS)
    assert lookup.query == {"external_id": vm_id}
    with sm() as session:
        assert session.scalars(select(CrmLink.ticket_id)).one() == str(ticket_id)
    assert _rows(sm) == [("created", "sent", 2)]

    # And an answer lost on the way back (the ticket is made, the connection drops) is the same case.
    with sm() as session:
        _voicemail(session)
        session.commit()
    zendesk.fail("POST", TICKETS, DROP)
    results = _drain(sm, settings)
    assert results[-1] is True and "RemoteProtocolError" in str(results[0])
    assert len(zendesk.tickets) == 2 and len(zendesk.calls("POST", TICKETS)) == 2


def test_hubspot_one_contact_call_and_task_through_the_official_client_after_two_500s(
    sm: sessionmaker[Session], settings: Any, hubspot: HubSpotServer
) -> None:
    from voice.storage import agents
    from voice.storage.models import CrmLink, Voicemail

    owner = hubspot.add_owner("carol@example.com")
    hubspot.fail("POST", r"/crm/v3/objects/calls", 500, 500)
    vm_id = _synced_after_two_500s(sm, settings, lambda s: _hubspot(s, hubspot), "INTERNAL_ERROR")
    assert all(r.headers["authorization"] == f"Bearer {HUBSPOT_TOKEN}" for r in hubspot.requests)
    assert "hubspot-api-client-python" in hubspot.requests[0].headers["user-agent"]
    [contact] = hubspot.of("contacts")
    assert contact["properties"] == {"phone": "+14155550100", "firstname": "Jane", "lastname": "Doe"}
    [call] = hubspot.of("calls")
    props = call["properties"]
    assert props["hs_call_title"] == f"Voicemail {vm_id}" and props["hs_call_direction"] == "INBOUND"
    assert props["hs_call_disposition"] == "b2cf5968-551e-4856-9783-52b3da59a7d0"  # Left voicemail
    assert props["hs_call_body"].startswith(f"{SUMMARY}\nCall back: +14155550199")
    assert "hs_call_recording_url" not in props
    assert call["associations"] == [
        {
            "to": {"id": contact["id"]},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 194}],
        }
    ]
    [task] = hubspot.of("tasks")
    assert task["properties"]["hubspot_owner_id"] == owner
    assert (
        task["properties"]["hs_task_priority"] == "HIGH"
        and task["associations"][0]["to"]["id"] == contact["id"]
    )
    assert len(hubspot.calls("POST", r"/crm/v3/objects/contacts")) == 1  # made once, in the first attempt
    with sm() as session:
        link = session.scalars(select(CrmLink)).one()
        assert (link.contact_id, link.call_id, link.task_id) == (contact["id"], call["id"], task["id"])
        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        agents.set_agent_state(session, vm, "carol", state="handled")
        session.commit()
    assert _drain(sm, settings) == [True]
    [note] = hubspot.of("notes")
    assert note["properties"]["hs_note_body"].startswith("Handled in Voice by carol")
    assert [(a["to"]["id"], a["types"][0]["associationTypeId"]) for a in note["associations"]] == [
        (contact["id"], 202)  # on the contact's timeline: HubSpot defines no note-to-call type
    ]
    assert len(hubspot.of("calls")) == 1 and len(hubspot.of("contacts")) == 1


def test_hubspot_a_400_fails_at_once_and_no_contact_is_made_unless_the_connector_says_so(
    sm: sessionmaker[Session], settings: Any, hubspot: HubSpotServer
) -> None:
    from voice.storage import crm
    from voice.storage.models import CrmSync

    hubspot.fail("POST", r"/crm/v3/objects/calls", 400)
    with sm() as session:
        _world(session)
        crm.add(session, None, "hs", "hubspot", {"base_url": hubspot.url}, {"token": HUBSPOT_TOKEN})
        _voicemail(session, assignee=None)
        session.commit()
    [result] = _drain(sm, settings)
    assert result.permanent and result.status_code == 400
    with sm() as session:
        error = session.scalars(select(CrmSync.last_error)).one()
    assert error is not None and "VALIDATION_ERROR" in error
    assert _rows(sm) == [("created", "failed", 1)]
    assert not hubspot.of("contacts") and not hubspot.of("calls")


def test_minimisation_lets_the_transcript_and_recording_link_through_and_erasure_lists_what_was_sent(
    sm: sessionmaker[Session], settings: Any, zendesk: ZendeskServer
) -> None:
    from tests.support.seed import with_audio
    from voice.storage import crm
    from voice.usecases import erasure

    with sm() as session:
        _world(session)
        _zendesk(session, zendesk, minimisation="recording_link")
        vm_id = _voicemail(session)
        with_audio(session, settings, vm_id)
        session.commit()
    assert _drain(sm, settings) == [True]
    [ticket] = zendesk.tickets.values()
    body = ticket["comments"][0]["body"]
    assert f"Transcript: {TEXT}" in body
    assert f"Recording: https://voice.example.com/voicemails/{vm_id}/audio" in body
    with sm() as session:
        crm.enqueue_retranscribed(session, vm_id, 42)
        crm.enqueue_retranscribed(session, vm_id, 42)  # once per revision
        session.commit()
    assert _drain(sm, settings) == [True]
    assert ticket["comments"][1]["body"].startswith(f"Re-transcribed in Voice. New summary: {SUMMARY}")

    report = erasure.erase_caller(sm, settings, "+1 415 555 0100", "test")
    assert report.voicemails == [vm_id]
    ids = {"ticket_id": str(ticket["id"]), "requester_id": str(ticket["requester_id"])}
    assert report.sent_to_crm == [{"connector": "zd", "kind": "zendesk", "ids": ids, "voicemail": vm_id}]
    assert len(zendesk.tickets) == 1  # deleting in Voice does not delete in the CRM


def test_hubspot_a_call_logged_by_an_attempt_whose_answer_was_lost_is_found_by_its_title(
    sm: sessionmaker[Session], settings: Any, hubspot: HubSpotServer
) -> None:
    hubspot.fail("POST", r"/crm/v3/objects/calls", DROP)
    with sm() as session:
        _world(session)
        _hubspot(session, hubspot)
        vm_id = _voicemail(session, assignee=None)
        session.commit()
    results = _drain(sm, settings)
    assert results[-1] is True and len(results) == 2 and "HubSpot log call" in str(results[0])
    [call] = hubspot.of("calls")
    assert call["properties"]["hs_call_title"] == f"Voicemail {vm_id}"
    assert len(hubspot.calls("POST", r"/crm/v3/objects/calls")) == 1
    assert len(hubspot.calls("POST", r"/crm/v3/objects/calls/search")) == 1
    assert len(hubspot.of("contacts")) == 1 and not hubspot.of("tasks")


def test_rekey_seals_connector_tokens_under_the_new_key_and_the_connector_still_signs_in(
    sm: sessionmaker[Session], tmp_path: Path, zendesk: ZendeskServer
) -> None:
    import base64
    import os

    from voice.core.config import Settings
    from voice.integrations import crm as sender
    from voice.storage import channels, crm, vault
    from voice.storage.models import CrmConnector

    a, b = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    with sm() as session:
        config = {"base_url": zendesk.url, "email": EMAIL}
        crm.add(session, vault.Keyring(vault.parse_key(a)), "zd", "zendesk", config, {"api_token": TOKEN})
        session.commit()
    rotating = vault.Keyring(vault.parse_key(b), [vault.parse_key(a)])
    with sm() as session:
        done = channels.reseal_all(session, rotating, CrmConnector)
        session.commit()
    assert (done.resealed, done.current, done.unreadable) == (1, 0, ())
    only_b = Settings(data_dir=tmp_path, storage={"encryption_key": b})
    with sm() as session:
        sealed = session.scalars(select(CrmConnector.secrets)).one()
        assert sealed is not None and sealed.startswith("aesgcm:api_token:") and TOKEN not in sealed
        assert sender.check(session, only_b, "zd").startswith("signed in to")
        with pytest.raises(vault.VaultError):
            crm.opened(crm.find(session, "zd"), vault.Keyring(vault.parse_key(a)))


def test_zendesk_a_requester_whose_answer_was_lost_is_not_made_twice_while_search_lags(
    sm: sessionmaker[Session], settings: Any, zendesk: ZendeskServer
) -> None:
    """Zendesk's search does not see a new user for minutes: after a lost answer the retry's search finds
    nobody, and create_or_update's match on the external id is what keeps it to one user."""
    zendesk.search_lags = True
    zendesk.fail("POST", r"/api/v2/users/create_or_update\.json", DROP)
    with sm() as session:
        _world(session)
        _zendesk(session, zendesk)
        vm_id = _voicemail(session)
        session.commit()
    results = _drain(sm, settings)
    assert results[-1] is True and "RemoteProtocolError" in str(results[0])
    [user] = zendesk.users.values()
    assert user["external_id"] == f"voice-voicemail:{vm_id}" and user["phone"] == "+14155550100"
    assert [t["requester_id"] for t in zendesk.tickets.values()] == [user["id"]]
    assert len(zendesk.calls("POST", r"/api/v2/users/create_or_update\.json")) == 2
    zendesk.unindexed.clear()  # the index caught up: the caller's next voicemail finds them by phone
    with sm() as session:
        _voicemail(session)
        session.commit()
    assert _drain(sm, settings) == [True] and len(zendesk.users) == 1
    assert [t["requester_id"] for t in zendesk.tickets.values()] == [user["id"], user["id"]]


def test_hubspot_without_a_contact_a_later_event_is_a_line_on_the_call_once(
    sm: sessionmaker[Session], settings: Any, hubspot: HubSpotServer
) -> None:
    from voice.storage import agents, crm
    from voice.storage.models import Voicemail

    with sm() as session:
        _world(session)
        crm.add(session, None, "hs", "hubspot", {"base_url": hubspot.url}, {"token": HUBSPOT_TOKEN})
        vm_id = _voicemail(session, assignee=None)
        session.commit()
    assert _drain(sm, settings) == [True]
    [call] = hubspot.of("calls")
    assert not hubspot.of("contacts") and call["associations"] == []
    first = call["properties"]["hs_call_body"]
    hubspot.fail("PATCH", rf"/crm/v3/objects/calls/{call['id']}", DROP)  # the answer to the update is lost
    with sm() as session:
        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        agents.set_agent_state(session, vm, "carol", state="handled")
        session.commit()
    results = _drain(sm, settings)
    assert results[-1] is True and len(results) == 2
    body = call["properties"]["hs_call_body"]
    link = f"https://voice.example.com/voicemails/{vm_id}"
    assert re.fullmatch(re.escape(f"{first}\n\nHandled in Voice. {link} (Voice event ") + r"\w{12}\)", body)
    assert not hubspot.of("notes") and len(hubspot.calls("PATCH", r"/crm/v3/objects/calls/\d+")) == 1
