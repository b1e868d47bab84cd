"""The outbox: side effects leave Voice as rows written in the transaction that causes them.

A voicemail that ends (done, no_speech, failed) or goes overdue gets a delivery row in the same
transaction, so a crash between "finished" and "told the receiver" loses nothing. Sending the rows
is voice.integrations.webhooks' job; storage only writes them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from voice.storage.models import ApiKey, TranscriptRevision, Voicemail, WebhookDelivery, as_utc, utcnow


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")


def payload_for(vm: Voicemail, event: str) -> dict[str, Any]:
    """What a receiver gets: enough to act without calling back (status, text, summary, call ids)."""
    rev = vm.current_revision
    summary = rev.summary if rev is not None else None
    call = vm.call
    return {
        "type": event,
        "timestamp": _iso(utcnow()),
        "data": {
            "id": vm.id,
            "status": vm.status,
            "status_reason": vm.status_reason,
            "recording_id": vm.recording_id,
            "duration_s": vm.duration_s,
            "finished_at": _iso(vm.finished_at),
            "overdue_at": _iso(vm.overdue_at),
            "agent_state": vm.agent_state,
            "assignee": vm.assignee,
            "team": vm.team.name if vm.team is not None else None,  # routing's (docs/routing.md)
            "tags": list(vm.tags or []),
            "call": {
                "id": call.id,
                "external_id": call.external_id,
                "source": call.source,
                "from": call.from_number,
                "to": call.to_number,
                "mailbox": call.mailbox,
            },
            "transcript": None
            if rev is None
            else {
                "revision": rev.number,
                "language": rev.language,
                "text": rev.text,
                "confidence": rev.confidence,
                "engine": rev.engine,
                "model": rev.model,
            },
            "summary": None
            if summary is None
            else {
                "text": summary.text,
                "caller_name": summary.caller_name,
                "organisation": summary.organisation,
                "callback_number": summary.callback_number,
                "callback_time_text": summary.callback_time_text,
                "callback_time": _iso(summary.callback_time),
                "email": summary.email,
                "references": summary.references or [],
                "request": summary.request,
                "intent": summary.intent,
                "urgency": summary.urgency,
                "urgency_reasons": summary.urgency_reasons or [],
                "sentiment": summary.sentiment,
                "flags": summary.flags or [],
                "priority": summary.priority,
            },
        },
    }


def enqueue_completion(session: Session, vm_id: str, event: str | None = None) -> WebhookDelivery | None:
    """Write the delivery for a voicemail that just ended (or another event, such as
    ``voicemail.overdue``), in the caller's transaction.

    The receiver is the voicemail's own callback_url, else its API key's default; the secret is the
    key's. A voicemail with neither (or no key to sign with) sends nothing.
    """
    vm = session.scalar(
        select(Voicemail)
        .where(Voicemail.id == vm_id)
        .options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        )
        .execution_options(populate_existing=True)
    )
    if vm is None or vm.api_key_id is None:
        return None
    key = session.get(ApiKey, vm.api_key_id)
    url = vm.callback_url or (key.webhook_url if key is not None else None)
    if key is None or not url:
        return None
    event = event or f"voicemail.{vm.status}"
    delivery = WebhookDelivery(
        voicemail_id=vm.id,
        api_key_id=key.id,
        event=event,
        url=url,
        payload=json.dumps(payload_for(vm, event), ensure_ascii=False, separators=(",", ":")),
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    return delivery
