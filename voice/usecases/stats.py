"""What the service is doing, from the database (the source of truth, shared by every API replica and
worker): queue depth, jobs in flight, overdue voicemails, webhook backlog, and per-stage timings over
the last hour. Served at /metrics in Prometheus's text format and printed by `voice status`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from voice.storage import acks, audit
from voice.storage.models import Notification, Status, TranscriptRevision, Voicemail, WebhookDelivery, utcnow
from voice.usecases.analytics import MetricCounts, metric_counts

STAGES = ("fetch_s", "normalise_s", "transcribe_s", "summarise_s", "llm_s", "total_s")
QUANTILES = (0.5, 0.95, 0.99)


@dataclass(frozen=True)
class Snapshot:
    by_status: dict[str, int]
    overdue: int
    webhooks: dict[str, int]
    stages: dict[str, dict[float, float]] = field(default_factory=dict)  # stage -> quantile -> seconds
    revisions_last_hour: int = 0
    notifications: dict[str, int] = field(default_factory=dict)  # by status (docs/notifications.md)

    @property
    def queued(self) -> int:
        return self.by_status.get(Status.QUEUED, 0)

    @property
    def in_flight(self) -> int:
        return sum(self.by_status.get(s, 0) for s in Status.IN_FLIGHT)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def snapshot(session: Session) -> Snapshot:
    by_status = {
        s: int(n)
        for s, n in session.execute(select(Voicemail.status, func.count()).group_by(Voicemail.status))
    }
    overdue = int(
        session.scalar(
            select(func.count()).where(Voicemail.overdue_at.is_not(None), Voicemail.agent_state != "handled")
        )
        or 0
    )
    webhooks = {
        s: int(n)
        for s, n in session.execute(
            select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state)
        )
    }
    notifications = {
        s: int(n)
        for s, n in session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    }
    timings = list(
        session.scalars(
            select(TranscriptRevision.timings)
            .where(TranscriptRevision.created_at >= utcnow() - timedelta(hours=1))
            .order_by(TranscriptRevision.created_at.desc())
            .limit(2000)
        )
    )
    stages: dict[str, dict[float, float]] = {}
    for stage in STAGES:
        values = [float(t[stage]) for t in timings if t and stage in t]
        if values:
            stages[stage] = {q: round(_quantile(values, q), 3) for q in QUANTILES}
    return Snapshot(by_status, overdue, webhooks, stages, len(timings), notifications)


class Collector:
    """A prometheus-client collector that reads a fresh snapshot on every scrape."""

    def __init__(self, sm: sessionmaker[Session]) -> None:
        self.sm = sm

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no fixed description: families are made per scrape

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        # This process's audit writes first: they say most when the database cannot be written.
        yield CounterMetricFamily(
            "voice_audit_write_failures", "Failed audit writes of reads (kept to write later)",
            value=audit.backlog.failures,
        )  # fmt: skip
        waiting = len(audit.backlog)
        yield GaugeMetricFamily("voice_audit_backlog", "Audit events waiting to be written", value=waiting)
        yield CounterMetricFamily(
            "voice_audit_dropped", "Audit events lost: the backlog was full", value=audit.backlog.dropped
        )
        with self.sm() as session:
            snap = snapshot(session)
            counts = metric_counts(session)
            acked = acks.counts(session)
        by_status = GaugeMetricFamily(
            "voice_voicemails", "Voicemails by processing status", labels=["status"]
        )
        for status in Status.ALL:
            by_status.add_metric([status], snap.by_status.get(status, 0))
        yield by_status
        yield GaugeMetricFamily("voice_queue_depth", "Voicemails waiting for a worker", value=snap.queued)
        yield GaugeMetricFamily("voice_in_flight", "Voicemails being processed now", value=snap.in_flight)
        yield GaugeMetricFamily(
            "voice_overdue", "Voicemails past their callback deadline, not handled", value=snap.overdue
        )
        hooks = GaugeMetricFamily(
            "voice_webhook_deliveries", "Completion webhooks by state", labels=["state"]
        )
        for state in (WebhookDelivery.PENDING, WebhookDelivery.DELIVERED, WebhookDelivery.GAVE_UP):
            hooks.add_metric([state], snap.webhooks.get(state, 0))
        yield hooks
        told = GaugeMetricFamily(
            "voice_notifications", "Notifications to channels by status", labels=["status"]
        )
        for status in (Notification.PENDING, Notification.SENT, Notification.FAILED, Notification.DIGESTED):
            told.add_metric([status], snap.notifications.get(status, 0))
        yield told
        acknowledged = GaugeMetricFamily(
            "voice_acknowledgements", "Acknowledgements to callers by status", labels=["status"]
        )
        for status in acks.STATUSES:
            acknowledged.add_metric([status], acked.get(status, 0))
        yield acknowledged
        stages = GaugeMetricFamily(
            "voice_stage_seconds",
            "Per-stage processing time over the last hour",
            labels=["stage", "quantile"],
        )
        for stage, quantiles in snap.stages.items():
            for q, seconds in quantiles.items():
                stages.add_metric([stage.removesuffix("_s"), str(q)], seconds)
        yield stages
        yield GaugeMetricFamily(
            "voice_processed_last_hour",
            "Transcript revisions written in the last hour",
            value=snap.revisions_last_hour,
        )
        yield from _dashboard(counts)


def _dashboard(counts: MetricCounts) -> Iterator[GaugeMetricFamily]:
    """The dashboard's counts (voice/usecases/analytics.py) over every stored voicemail, per team."""
    stored = GaugeMetricFamily(
        "voice_voicemails_by_intent", "Stored voicemails by team and intent", labels=["team", "intent"]
    )
    for (team, intent), n in sorted(counts.voicemails.items()):
        stored.add_metric([team, intent], n)
    yield stored
    attempts = GaugeMetricFamily(
        "voice_callback_attempts", "Callback attempts by team and outcome", labels=["team", "outcome"]
    )
    for (team, outcome), n in sorted(counts.callbacks.items()):
        attempts.add_metric([team, outcome], n)
    yield attempts
    called = GaugeMetricFamily(
        "voice_called_back", "Stored voicemails with a first callback, by team", labels=["team"]
    )
    for team, n in sorted(counts.called_back.items()):
        called.add_metric([team], n)
    yield called
