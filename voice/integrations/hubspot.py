"""HubSpot through its official client, hubspot-api-client (CRM v3): the caller's contact searched by phone
(crm.contacts.search_api) and made only when the connector's ``create_contacts`` is on; a call engagement
(crm.objects.calls) with the summary and the "Left voicemail" outcome, associated with the contact; a task
(crm.objects.tasks) for the assignee when routing gave the voicemail to someone, owned by the HubSpot owner
with the assignee's e-mail (crm.owners) or, without one, naming them in its body. A later event is a note
(crm.objects.notes) on the contact's timeline; without a contact, a line added to the call's body (HubSpot
defines no note-to-call association type).

The API's address is the connector's ``base_url`` (default https://api.hubapi.com), set as the client
Configuration's ``host``: tests point it at a local server. The client's own retries are off (the outbox
retries). A retry first looks for the call by its title, which carries the voicemail's id, so a call made by
an attempt that died before its id was stored is found, not logged twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import hubspot
from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearch
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput
from hubspot.crm.objects.calls import PublicObjectSearchRequest as CallSearch
from hubspot.crm.objects.calls import SimplePublicObjectInput as CallUpdate
from hubspot.crm.objects.calls import SimplePublicObjectInputForCreate as CallInput
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteInput
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput
from urllib3.exceptions import HTTPError as TransportError
from urllib3.util.retry import Retry

from voice.integrations.crm_types import CrmFailure, Event, Voicemail, comment, first_comment, refused

DEFAULT_HOST = "https://api.hubapi.com"
# HubSpot's defined association types ("Association type ID values" in its associations guide, and the
# AssociationType enum of hubspot-api-client). There is none from a note to a call (206 is call to deal).
CALL_TO_CONTACT, TASK_TO_CONTACT, NOTE_TO_CONTACT = 194, 204, 202
# The default call outcome "Left voicemail" (hs_call_disposition takes the outcome's id).
LEFT_VOICEMAIL = "b2cf5968-551e-4856-9783-52b3da59a7d0"
PRIORITY = {"urgent": "HIGH", "high": "HIGH", "normal": "MEDIUM", "low": "LOW"}
T = TypeVar("T")


def _host(settings: Mapping[str, Any]) -> str:
    return str(settings.get("base_url") or DEFAULT_HOST).rstrip("/")


def client(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> Any:
    return hubspot.Client.create(access_token=secrets["token"], host=_host(settings), retry=Retry(total=0))


def _ask(what: str, call: Callable[[], T]) -> T:
    """One request; its refusal or failure as a CrmFailure (HubSpot's error body, never the token)."""
    try:
        return call()
    except TransportError as exc:  # refused, reset, timed out: try again later
        raise CrmFailure(f"HubSpot {what}: {exc.__class__.__name__}"[:300]) from None
    except Exception as exc:  # each API package has its own ApiException, all with status and body
        status = getattr(exc, "status", None)
        if not isinstance(status, int):
            raise
        body = getattr(exc, "body", None) or ""
        raise refused(
            f"HubSpot {what}", status, body.decode() if isinstance(body, bytes) else str(body)
        ) from None


def _assoc(to: str, type_id: int) -> dict[str, Any]:
    return {
        "to": {"id": to},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def contact(api: Any, event: Event) -> str | None:
    """The contact with the caller's number; a new one when there is none and the connector makes them."""
    vm = event.voicemail
    number = vm.caller_number or vm.callback
    if not number:
        return None
    search = ContactSearch(
        filter_groups=[{"filters": [{"propertyName": "phone", "operator": "EQ", "value": number}]}],
        properties=["phone", "firstname", "lastname"],
        limit=1,
    )
    found = _ask(
        "search contacts",
        lambda: api.crm.contacts.search_api.do_search(
            public_object_search_request=search, _request_timeout=event.timeout_s
        ),
    )
    if found.results:
        return str(found.results[0].id)
    if not event.settings.get("create_contacts"):
        return None
    first, _, last = (vm.caller_name or "").partition(" ")
    properties = {"phone": number} | ({"firstname": first, "lastname": last} if first else {})
    made = _ask(
        "create contact",
        lambda: api.crm.contacts.basic_api.create(
            simple_public_object_input_for_create=ContactInput(properties=properties),
            _request_timeout=event.timeout_s,
        ),
    )
    return str(made.id)


def _title(vm: Voicemail) -> str:
    return f"Voicemail {vm.id}"


def _existing_call(api: Any, event: Event) -> str | None:
    title = _title(event.voicemail)
    search = CallSearch(
        filter_groups=[{"filters": [{"propertyName": "hs_call_title", "operator": "EQ", "value": title}]}],
        limit=1,
    )
    found = _ask(
        "search calls",
        lambda: api.crm.objects.calls.search_api.do_search(
            public_object_search_request=search, _request_timeout=event.timeout_s
        ),
    )
    return str(found.results[0].id) if found.results else None


def log_call(api: Any, event: Event, contact_id: str | None) -> str:
    vm = event.voicemail
    properties = {
        "hs_timestamp": vm.received_at.isoformat(),
        "hs_call_title": _title(vm),
        "hs_call_body": first_comment(vm),
        "hs_call_direction": "INBOUND",
        "hs_call_status": "COMPLETED",
        "hs_call_disposition": LEFT_VOICEMAIL,
    }
    if vm.caller_number:
        properties["hs_call_from_number"] = vm.caller_number
    if vm.recording_link:
        properties["hs_call_recording_url"] = vm.recording_link
    associations = [_assoc(contact_id, CALL_TO_CONTACT)] if contact_id else []
    body = CallInput(properties=properties, associations=associations)
    made = _ask(
        "log call",
        lambda: api.crm.objects.calls.basic_api.create(
            simple_public_object_input_for_create=body, _request_timeout=event.timeout_s
        ),
    )
    return str(made.id)


def _owner(api: Any, event: Event) -> str | None:
    email = event.voicemail.assignee_email
    if not email:
        return None
    page = _ask(
        "find owner",
        lambda: api.crm.owners.owners_api.get_page(email=email, limit=1, _request_timeout=event.timeout_s),
    )
    return str(page.results[0].id) if page.results else None


def make_task(api: Any, event: Event, contact_id: str | None) -> str:
    vm = event.voicemail
    owner = _owner(api, event)
    body = f"Call back {vm.callback or 'the caller'}: {vm.summary}\n{vm.link}"
    if owner is None:
        body = f"For {vm.assignee} (no HubSpot owner with their e-mail).\n{body}"
    properties = {
        "hs_timestamp": (vm.received_at + timedelta(hours=1)).isoformat(),
        "hs_task_subject": f"Call back {vm.caller_name or vm.callback or 'the caller'}",
        "hs_task_body": body,
        "hs_task_status": "NOT_STARTED",
        "hs_task_type": "CALL",
        "hs_task_priority": PRIORITY.get(vm.urgency or "", "MEDIUM"),
    }
    if owner is not None:
        properties["hubspot_owner_id"] = owner
    associations = [_assoc(contact_id, TASK_TO_CONTACT)] if contact_id else []
    made = _ask(
        "create task",
        lambda: api.crm.objects.tasks.basic_api.create(
            simple_public_object_input_for_create=TaskInput(properties=properties, associations=associations),
            _request_timeout=event.timeout_s,
        ),
    )
    return str(made.id)


def create(api: Any, event: Event) -> None:
    """Contact, call, task; each id stored as it comes, so a retry carries on from the first one missing."""
    ids = dict(event.ids)
    if "contact_id" not in ids and (found := contact(api, event)) is not None:
        ids["contact_id"] = found
        event.save(contact_id=found)
    if "call_id" not in ids:
        call = (_existing_call(api, event) if event.retry else None) or log_call(
            api, event, ids.get("contact_id")
        )
        ids["call_id"] = call
        event.save(call_id=call)
    if event.voicemail.assignee and "task_id" not in ids:
        event.save(task_id=make_task(api, event, ids.get("contact_id")))


def note(api: Any, event: Event) -> None:
    """A later event: a note on the contact, or a line at the end of the call's body without one."""
    ids = event.ids
    if not ids.get("call_id"):
        raise CrmFailure("the voicemail has no HubSpot call to add a note to", permanent=True)
    if not ids.get("contact_id"):
        _append_to_call(api, event, ids["call_id"])
        return
    properties = {"hs_timestamp": event.voicemail.received_at.isoformat(), "hs_note_body": comment(event)}
    body = NoteInput(properties=properties, associations=[_assoc(ids["contact_id"], NOTE_TO_CONTACT)])
    _ask(
        "add note",
        lambda: api.crm.objects.notes.basic_api.create(
            simple_public_object_input_for_create=body, _request_timeout=event.timeout_s
        ),
    )


def _append_to_call(api: Any, event: Event, call_id: str) -> None:
    """The event's line after the call's body, unless an earlier try of this event put it there (its line
    ends with the sync's id: two events can say the same words, "Handled in Voice by carol")."""
    calls = api.crm.objects.calls.basic_api
    call = _ask(
        "read call",
        lambda: calls.get_by_id(call_id, properties=["hs_call_body"], _request_timeout=event.timeout_s),
    )
    marker = f"(Voice event {event.sync_id[:12]})"
    body, line = (call.properties or {}).get("hs_call_body") or "", f"{comment(event)} {marker}"
    if event.sync_id and marker in body:
        return
    change = CallUpdate(properties={"hs_call_body": f"{body}\n\n{line}" if body else line})
    _ask("update call", lambda: calls.update(call_id, change, _request_timeout=event.timeout_s))


def send(event: Event) -> None:
    """One event to HubSpot; CrmFailure when it did not go."""
    api = client(event.settings, event.secrets)
    if event.name == "created":
        create(api, event)
    else:
        note(api, event)


def check(settings: Mapping[str, Any], secrets: Mapping[str, str], timeout_s: float) -> str:
    """Whether the token is taken (a page of owners, one long): `voice crm test`."""
    api = client(settings, secrets)
    _ask("sign in", lambda: api.crm.owners.owners_api.get_page(limit=1, _request_timeout=timeout_s))
    return f"signed in to {_host(settings)} with the private app's token"
