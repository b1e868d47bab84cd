"""The admin API of a mailbox's acknowledgement settings (/v1/teams/{team}/acknowledgements/mailboxes/
{mailbox}) on the app in process (SQLite, no worker): the round trip, what is refused and why, 404 for a
mailbox the team does not own, 403 for others; and Twilio's inbound webhook bound to the account a mailbox's
own sender sends with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from twilio.request_validator import RequestValidator

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from voice.storage import opt_outs

SENDER, SALES_SENDER, CALLER = "+447700900000", "+447700900001", "+447700900123"
OTHER_SID, OTHER_TOKEN = "AC" + "c" * 32, "other-client-token"
TEAM = "/v1/teams/billing/acknowledgements"
SALES = f"{TEAM}/mailboxes/sales"
LINE = "+447700900002"  # a mailbox named by its number, as Twilio's callbacks name the number called


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    twilio = {
        "accounts": [
            {"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN},
            {"account_sid": OTHER_SID, "auth_token": OTHER_TOKEN},
        ],
        "public_url": "http://testserver",
    }
    settings = app_settings(tmp_path_factory.mktemp("ack-mailboxes") / "data", twilio=twilio)
    with local_server(settings) as server:
        for name, boxes in (("billing", ["billing", "sales", LINE]), ("support", ["support"])):
            made = server.client.post(
                "/v1/teams", json={"name": name, "mailboxes": boxes}, headers=server.headers()
            )
            assert made.status_code == 201, made.text
        on = {"enabled": True, "sender": SENDER, "account_sid": TWILIO_SID}
        assert server.client.put(TEAM, json=on, headers=server.headers()).status_code == 200
        yield server


def test_a_mailbox_is_switched_off_given_its_own_sender_shown_and_removed(app: LocalServer) -> None:
    h = app.headers()
    shown = app.client.get(SALES, headers=h)
    assert shown.status_code == 200, shown.text
    team_values = {"enabled": True, "channel": "sms", "sender": SENDER, "account_sid": TWILIO_SID}
    assert shown.json() == {
        "mailbox": "sales", "enabled": None, "channel": None, "sender": None, "account_sid": None,
        "repeat_hours": None, "effective": {**team_values, "repeat_hours": 24.0},
    }  # fmt: skip
    off = app.client.put(SALES, json={"enabled": False}, headers=h)
    assert off.status_code == 200, off.text
    assert (off.json()["enabled"], off.json()["effective"]["enabled"]) == (False, False)
    own = app.client.put(SALES, json={"sender": SALES_SENDER, "repeat_hours": 1}, headers=h)
    assert own.status_code == 200, own.text
    assert own.json()["enabled"] is False  # only the fields sent change
    assert own.json()["effective"] | {"enabled": None} == {
        "enabled": None, "channel": "sms", "sender": SALES_SENDER, "account_sid": TWILIO_SID,
        "repeat_hours": 1.0,
    }  # fmt: skip
    on = app.client.put(SALES, json={"enabled": None}, headers=h)  # null: the team's again
    assert on.status_code == 200 and on.json()["effective"]["enabled"] is True
    listed = app.client.get(TEAM, headers=h).json()["mailboxes"]
    assert [(m["mailbox"], m["enabled"], m["sender"], m["repeat_hours"]) for m in listed] == [
        ("sales", None, SALES_SENDER, 1.0)
    ]
    assert app.client.delete(SALES, headers=h).status_code == 204
    assert app.client.delete(SALES, headers=h).status_code == 404
    assert app.client.get(TEAM, headers=h).json()["mailboxes"] == []
    assert app.client.get(SALES, headers=h).json()["effective"]["sender"] == SENDER


def test_what_cannot_be_used_is_refused_with_the_reason(app: LocalServer) -> None:
    h = app.headers()
    refusals = [
        ({"sender": "07700 900001"}, "a sender is a number in E.164"),
        ({"channel": "pigeon"}, "channel is one of sms, whatsapp"),
        ({"channel": "whatsapp"}, "channel whatsapp needs a whatsapp:+... sender"),
        ({"repeat_hours": -1}, "repeat_hours is from 0 to 8760"),
        ({"account_sid": OTHER_SID}, "its own account needs its own sender"),
        ({"sender": SALES_SENDER, "account_sid": "AC" + "f" * 32}, "is not configured"),
    ]
    for body, why in refusals:
        r = app.client.put(SALES, json=body, headers=h)
        assert r.status_code == 422 and why in r.json()["detail"], (body, r.text)
    assert app.client.get(TEAM, headers=h).json()["mailboxes"] == []  # nothing stored
    # A team without settings: its mailbox switched on needs a sender; with one it is on alone.
    support = "/v1/teams/support/acknowledgements/mailboxes/support"
    r = app.client.put(support, json={"enabled": True}, headers=h)
    assert r.status_code == 422 and "needs a sender" in r.json()["detail"], r.text
    # Several accounts configured: one must be named.
    r = app.client.put(support, json={"enabled": True, "sender": SALES_SENDER}, headers=h)
    assert r.status_code == 422 and "say which one sends" in r.json()["detail"], r.text
    r = app.client.put(support, json={"enabled": True, "sender": SALES_SENDER, "account_sid": OTHER_SID},
                       headers=h)  # fmt: skip
    assert r.status_code == 200 and r.json()["effective"]["enabled"] is True, r.text
    assert app.client.delete(support, headers=h).status_code == 204


def test_a_mailbox_of_another_team_or_none_is_a_404_and_others_get_403(app: LocalServer) -> None:
    h = app.headers()
    others = (
        f"{TEAM}/mailboxes/support",
        f"{TEAM}/mailboxes/nowhere",
        "/v1/teams/nope/acknowledgements/mailboxes/x",
    )
    for path in others:
        assert app.client.get(path, headers=h).status_code == 404, path
        assert app.client.put(path, json={"enabled": False}, headers=h).status_code == 404, path
        assert app.client.delete(path, headers=h).status_code == 404, path
    agent = app.create_key("ingest", "mailbox-agent")["key"]
    ah = app.headers(agent)
    assert app.client.get(SALES, headers=ah).status_code == 403
    assert app.client.put(SALES, json={"enabled": False}, headers=ah).status_code == 403
    assert app.client.delete(SALES, headers=ah).status_code == 403
    assert app.client.get(SALES, headers=h).json()["enabled"] is None  # unchanged


def _stop(app: LocalServer, to: str, account: str, token: str) -> int:
    path = "/v1/integrations/twilio/messages"
    sid = "SM" + uuid.uuid4().hex
    form = {
        "AccountSid": account,
        "MessageSid": sid,
        "From": CALLER,
        "To": to,
        "Body": "STOP",
        "NumMedia": "0",
    }
    signature = RequestValidator(token).compute_signature(app.url + path, form)
    return app.client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code


def test_stop_to_a_mailboxs_own_sender_is_taken_only_from_the_account_it_sends_with(app: LocalServer) -> None:
    h = app.headers()
    own = {"sender": SALES_SENDER, "account_sid": OTHER_SID}
    assert app.client.put(SALES, json=own, headers=h).status_code == 200
    try:
        assert _stop(app, SALES_SENDER, TWILIO_SID, TWILIO_TOKEN) == 403  # the team's account, not this one's
        with app.sm() as session:
            assert not opt_outs.is_opted_out(session, CALLER, SALES_SENDER)
        assert _stop(app, SALES_SENDER, OTHER_SID, OTHER_TOKEN) == 200
        with app.sm() as session:
            assert opt_outs.is_opted_out(session, CALLER, SALES_SENDER)
            assert not opt_outs.is_opted_out(session, CALLER, SENDER)  # per sender
    finally:
        assert app.client.delete(SALES, headers=h).status_code == 204


def test_a_mailbox_named_by_its_number_with_its_own_account_takes_that_accounts_messages(
    app: LocalServer,
) -> None:
    """The mailbox is the number written to; its own sender sends with another account than its team's: a
    message signed by that account is taken, one signed by the team's is refused."""
    h = app.headers()
    line = f"{TEAM}/mailboxes/{LINE}"
    assert app.client.put(line, json={"sender": LINE, "account_sid": OTHER_SID}, headers=h).status_code == 200
    try:
        assert _stop(app, LINE, TWILIO_SID, TWILIO_TOKEN) == 403
        assert _stop(app, LINE, OTHER_SID, OTHER_TOKEN) == 200
        with app.sm() as session:
            assert opt_outs.is_opted_out(session, CALLER, LINE)
    finally:
        assert app.client.delete(line, headers=h).status_code == 204
