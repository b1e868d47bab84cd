"""What is generic about a job table, and the kinds of job Voice runs on it.

Every job table has the same four columns: ``lease_owner`` and ``lease_expires_at`` (who works it now, and
until when unless renewed), ``attempts`` (claims so far) and ``next_attempt_at`` (not claimed before; NULL:
at once). A kind says which rows are still work, in which order they are taken, when to stop trying and how
a row ends for good; its own state (a voicemail's status, a delivery's state) stays in its own columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, true, update
from sqlalchemy.orm import Session

from voice.core.config import CrmSettings, NotificationSettings, WebhookSettings
from voice.jobs.policy import RetryPolicy
from voice.storage import results, run_items
from voice.storage.models import (
    CrmSync,
    ItemState,
    Notification,
    ReprocessItem,
    Status,
    Sweep,
    Voicemail,
    WebhookDelivery,
)


def _nothing(session: Session, job_id: Any, reason: str | None) -> None:
    """A kind that never gives up."""


def _interrupted(attempts: int) -> str:
    return f"processing was interrupted {attempts - 1} times; giving up on it"


@dataclass(frozen=True)
class JobKind:
    name: str
    # The mapped class: a primary key plus the four job columns.
    model: type[Any]
    # Rows that are still work, on the class or an alias of it (fair claiming counts leases on an alias).
    open: Callable[[Any], ColumnElement[bool]]
    # Among claimable rows, which goes first (after fairness).
    order: Callable[[Any], tuple[Any, ...]]
    policy: RetryPolicy = RetryPolicy()
    # The column that groups rows for fairness and per-group caps (the API key).
    group: str | None = None
    # Set by every claim and by every release (a run item is "running" while held, "queued" handed back).
    on_claim: Mapping[str, Any] = field(default_factory=dict)
    on_release: Mapping[str, Any] = field(default_factory=dict)
    # Ends a row for good, in the caller's transaction (the lease is already cleared): its final state, and
    # the outbox row that tells the outside world.
    give_up: Callable[[Session, Any, str | None], None] = _nothing
    # The reason given when a claim is one too many (its workers kept dying).
    interrupted: Callable[[int], str] = _interrupted
    # When the row was last sent to a broker (Celery), for re-sending lost messages; None: never sent.
    dispatched_at: str | None = None
    # When the row was made, for the policy's max_age_s.
    created_at: str | None = None
    # The primary key's attribute.
    key: str = "id"


def _delivery_gave_up(session: Session, job_id: Any, reason: str | None) -> None:
    values: dict[str, Any] = {"state": WebhookDelivery.GAVE_UP}
    if reason is not None:
        values["last_error"] = reason
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == job_id).values(**values))


def webhook_kind(settings: WebhookSettings) -> JobKind:
    """Webhook deliveries: retried with backoff and jitter until they are ``max_age_s`` old; one key's
    receivers are a group (at most ``concurrency_per_key`` posts at once)."""
    return JobKind(
        name="webhook",
        model=WebhookDelivery,
        open=lambda t: t.state == WebhookDelivery.PENDING,
        order=lambda t: (t.next_attempt_at,),
        policy=RetryPolicy(
            backoff_s=settings.backoff_s,
            max_backoff_s=settings.max_backoff_s,
            jitter=0.2,
            max_age_s=settings.max_age_s,
        ),
        group="api_key_id",
        give_up=_delivery_gave_up,
        created_at="created_at",
    )


class OutboxSettings(Protocol):
    max_attempts: int
    backoff_s: float
    max_backoff_s: float
    max_age_s: float


def outbox_kind(name: str, model: type[Any], settings: OutboxSettings, group: str, what: str) -> JobKind:
    """An outbox of messages out (``status`` pending, sent or failed): retried with backoff and jitter, at
    most ``max_attempts`` times and until ``max_age_s`` old; a give-up ends the row failed with the reason."""

    def failed(session: Session, job_id: Any, reason: str | None) -> None:
        values: dict[str, Any] = {"status": model.FAILED}
        if reason is not None:
            values["last_error"] = reason
        session.execute(update(model).where(model.id == job_id).values(**values))

    return JobKind(
        name=name,
        model=model,
        open=lambda t: t.status == model.PENDING,
        order=lambda t: (t.next_attempt_at,),
        policy=RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_s=settings.backoff_s,
            max_backoff_s=settings.max_backoff_s,
            jitter=0.2,
            max_age_s=settings.max_age_s,
        ),
        group=group,
        give_up=failed,
        interrupted=lambda n: f"sending was interrupted {n - 1} times; giving up on this {what}",
        created_at="created_at",
    )


def notification_kind(settings: NotificationSettings) -> JobKind:
    """Notifications to channels; one channel is a group (its digest is sent by one attempt at a time)."""
    return outbox_kind("notification", Notification, settings, "channel_id", "notification")


def crm_kind(settings: CrmSettings) -> JobKind:
    """Syncs to CRM connectors (docs/crm.md), retried on network errors, 429 and 5xx; one connector is a
    group (a voicemail's events reach its CRM in order)."""
    return outbox_kind("crm_sync", CrmSync, settings, "connector_id", "CRM sync")


# Periodic work: a row per sweep, always open; its lease says who runs it now, next_attempt_at when next.
SWEEP = JobKind(
    name="sweep", model=Sweep, open=lambda t: true(), order=lambda t: (t.next_attempt_at,), key="name"
)


def _voicemail_failed(session: Session, job_id: Any, reason: str | None) -> None:
    results.finish_locked(session, job_id, Status.FAILED, reason)


# A voicemail's processing: claimed fairly between API keys; a voicemail whose workers died three times (a
# recording that kills the process, say) fails with the reason and its completion webhook.
VOICEMAIL = JobKind(
    name="voicemail",
    model=Voicemail,
    open=lambda t: t.status.in_((Status.QUEUED, *Status.IN_FLIGHT)),
    order=lambda t: (t.created_at,),
    policy=RetryPolicy(max_attempts=3),
    group="api_key_id",
    give_up=_voicemail_failed,
    interrupted=lambda n: f"processing was interrupted {n - 1} times; giving up on this voicemail",
    dispatched_at="dispatched_at",
    created_at="created_at",
)


def _item_failed(session: Session, job_id: Any, reason: str | None) -> None:
    run_items.end(session, job_id, ItemState.FAILED, reason)


# An item of a reprocess run: "running" while a worker holds it, "queued" when handed back; its workers dying
# three times fail it (and its run ends when it was the last).
RUN_ITEM = JobKind(
    name="run_item",
    model=ReprocessItem,
    open=lambda t: t.state.in_((ItemState.QUEUED, ItemState.RUNNING)),
    order=lambda t: (t.id,),
    policy=RetryPolicy(max_attempts=3),
    on_claim={"state": ItemState.RUNNING},
    on_release={"state": ItemState.QUEUED},
    give_up=_item_failed,
    dispatched_at="queued_at",
)
