"""Zendesk over its documented REST API (https://developer.zendesk.com/api-reference/) with httpx, not zenpy:
each attempt must tell a 429 or 5xx (try again) from another refusal (fail, with Zendesk's error text), and
zenpy retries and wraps answers its own way; four endpoints do not need a client library.

A new voicemail: its requester found by phone (GET /api/v2/search.json, ``type:user phone:...``) or made
(POST /api/v2/users/create_or_update.json), then a ticket (POST /api/v2/tickets.json) with the voicemail's id
as ``external_id``. A retry first asks for that external id (GET /api/v2/tickets.json?external_id=...), so a
ticket made by an attempt that died before its id was stored is found, not made twice. Later events add one
private comment (PUT /api/v2/tickets/{id}.json). Authentication: ``email/token:API_TOKEN`` (basic) or an
OAuth access token (bearer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from voice.integrations.crm_types import CrmFailure, Event, Voicemail, comment, first_comment, refused

# Voice's urgency -> Zendesk's priority (both have the same four).
PRIORITY = {"urgent": "urgent", "high": "high", "normal": "normal", "low": "low"}


def base_url(settings: Any) -> str:
    if settings.get("base_url"):
        return str(settings["base_url"]).rstrip("/")
    return f"https://{settings['subdomain']}.zendesk.com"


def client(settings: Mapping[str, Any], secrets: Mapping[str, str], timeout_s: float) -> httpx.Client:
    if secrets.get("oauth_token"):
        auth: Any = None
        headers = {"Authorization": f"Bearer {secrets['oauth_token']}"}
    else:
        auth, headers = httpx.BasicAuth(f"{settings['email']}/token", secrets["api_token"]), {}
    return httpx.Client(base_url=base_url(settings), auth=auth, headers=headers, timeout=timeout_s)


def _call(http: httpx.Client, method: str, path: str, what: str, **kw: Any) -> dict[str, Any]:
    try:
        answer = http.request(method, path, **kw)
    except httpx.HTTPError as exc:  # connection refused, timeout, reset: try again later
        raise CrmFailure(f"{what}: {exc.__class__.__name__}: {exc}"[:300]) from None
    if not 200 <= answer.status_code < 300:
        raise refused(f"Zendesk {what}", answer.status_code, answer.text)
    body: dict[str, Any] = answer.json()
    return body


def tags(vm: Voicemail) -> list[str]:
    """Zendesk tags are single words: the intent and the team, spaces as underscores."""
    out = ["voicemail"]
    out += [
        f"{kind}_{v.lower().replace(' ', '_')}" for kind, v in (("intent", vm.intent), ("team", vm.team)) if v
    ]
    return out


def requester(http: httpx.Client, vm: Voicemail) -> str:
    """The user with the caller's phone number, else a new one. Zendesk matches create_or_update by e-mail
    or external id, not phone, so the search comes first. The new user's external id is the voicemail's
    (``voice-voicemail:<id>``): Zendesk's search lags new users by minutes, so a retry after a lost answer
    finds the user it made by that id instead of making a second. Not the number: a number changes hands,
    and create_or_update would then file a stranger's voicemail under (and rename) the user it matched."""
    number = vm.caller_number or vm.callback
    if number:
        found = _call(
            http, "GET", "/api/v2/search.json", "search users", params={"query": f"type:user phone:{number}"}
        )
        users = [r for r in found.get("results", []) if r.get("result_type", "user") == "user"]
        if users:
            return str(users[0]["id"])
    user = {
        "name": vm.caller_name or number or "Unknown caller",
        "verified": False,
        "external_id": f"voice-voicemail:{vm.id}",
    }
    if number:
        user["phone"] = number
    made = _call(http, "POST", "/api/v2/users/create_or_update.json", "create user", json={"user": user})
    return str(made["user"]["id"])


def _existing(http: httpx.Client, vm_id: str) -> str | None:
    found = _call(http, "GET", "/api/v2/tickets.json", "find ticket", params={"external_id": vm_id})
    tickets = found.get("tickets", [])
    return str(tickets[0]["id"]) if tickets else None


def _subject(vm: Voicemail) -> str:
    text = " ".join(vm.summary.split())
    return text if len(text) <= 150 else text[:149] + "…"


def create(http: httpx.Client, event: Event) -> None:
    vm = event.voicemail
    if event.ids.get("ticket_id"):
        return  # made and stored by an earlier attempt
    if event.retry and (found := _existing(http, vm.id)):
        event.save(ticket_id=found)
        return
    who = event.ids.get("requester_id") or requester(http, vm)
    event.save(requester_id=who)
    ticket: dict[str, Any] = {
        "subject": _subject(vm),
        "comment": {"body": first_comment(vm), "public": False},
        "requester_id": int(who) if who.isdigit() else who,
        "external_id": vm.id,
        "tags": tags(vm),
    }
    if vm.urgency in PRIORITY:
        ticket["priority"] = PRIORITY[vm.urgency]
    made = _call(http, "POST", "/api/v2/tickets.json", "create ticket", json={"ticket": ticket})
    event.save(ticket_id=str(made["ticket"]["id"]))


def send(event: Event) -> None:
    """One event to Zendesk; CrmFailure when it did not go."""
    with client(event.settings, event.secrets, event.timeout_s) as http:
        if event.name == "created":
            create(http, event)
            return
        ticket = event.ids.get("ticket_id")
        if not ticket:
            raise CrmFailure("the voicemail has no Zendesk ticket to comment on", permanent=True)
        body = {"ticket": {"comment": {"body": comment(event), "public": False}}}
        _call(http, "PUT", f"/api/v2/tickets/{ticket}.json", "comment on ticket", json=body)


def check(settings: Mapping[str, Any], secrets: Mapping[str, str], timeout_s: float) -> str:
    """Who the connector signs in as (GET /api/v2/users/me.json): `voice crm test`."""
    with client(settings, secrets, timeout_s) as http:
        me = _call(http, "GET", "/api/v2/users/me.json", "sign in")["user"]
    return f"signed in to {base_url(settings)} as {me.get('email') or me.get('name')} ({me.get('role')})"
