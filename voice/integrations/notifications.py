"""Sending notifications (docs/notifications.md): every serving process claims due rows of the outbox
(voice/storage/notifications.py) under a lease with the job mechanism (voice/jobs, kind ``notification``),
renders the message (notify_render.py), sends it in the channel's format (notify_senders.py), records the
attempt, and retries with the policy's backoff until it is sent or given up with the last error as reason.

A channel that is down holds back only its own rows: a pool thread per message, and one message per channel at
a time (a channel is the job's group). Across processes, a digest row is gathered under a lock on its channel
(outbox.take_digest): one digest per channel is in flight, at most one per window, each row listed once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.integrations import notify_render, notify_senders
from voice.integrations.notify_senders import AttemptResult, Target
from voice.jobs import claiming
from voice.jobs.claiming import Claimed
from voice.jobs.kinds import JobKind, notification_kind
from voice.jobs.leases import owner_token
from voice.jobs.pool import Pool
from voice.storage import assignee_notices, channels, vault
from voice.storage import notifications as outbox
from voice.storage.models import Notification, NotificationAttempt, NotificationChannel, utcnow

log = logging.getLogger(__name__)


def _kind(settings: Settings) -> JobKind:
    return notification_kind(settings.notifications)


def target(channel: NotificationChannel, settings: Settings) -> Target:
    """The channel with its secrets opened (vault.VaultError when its key is not configured)."""
    secrets = channels.unseal(channel.secrets, vault.keyring(settings.storage))
    return Target(channel.name, channel.kind, dict(channel.config or {}), secrets)


def claim_due(
    sm: sessionmaker[Session], settings: Settings, busy: frozenset[str] = frozenset()
) -> Claimed | None:
    """Take the notification due first, of no channel in ``busy`` (a message of theirs is being sent)."""
    return claiming.claim_next(
        sm, _kind(settings), owner_token(), settings.notifications.lease_s, skip_groups=busy
    )


@dataclass(frozen=True)
class _Prepared:
    target: Target
    message: notify_render.Message
    others: list[str]
    digest: bool


def _gather(
    session: Session, settings: Settings, row: Notification, claimed: Claimed
) -> list[Notification] | str | None:
    """The other rows a claimed digest row's message lists; None when no digest of its channel may go now
    (another process is sending one, or the last went out less than the digest's minutes ago): the row is
    handed back for when one may, and this claim is not counted as an attempt; the reason to give it up when
    the channel was disabled meanwhile."""
    taken = outbox.take_digest(session, row, claimed.owner, utcnow())
    if isinstance(taken, list | str):
        return taken
    claiming.end(
        session,
        _kind(settings),
        claimed.id,
        claimed.owner,
        next_attempt_at=taken,
        attempts=Notification.attempts - 1,
    )
    return None


def _prepare(session: Session, settings: Settings, claimed: Claimed) -> _Prepared | str | None:
    """The message to send for a claimed row; a reason to give it up; or None when it is no longer work."""
    row = session.get(Notification, claimed.id)
    if row is None or row.status != Notification.PENDING:
        return None
    channel = session.get(NotificationChannel, row.channel_id)
    if channel is None or not channel.enabled:
        return outbox.DISABLED
    others = _gather(session, settings, row, claimed) if row.digest else []
    if others is None or isinstance(others, str):
        return others
    ids = [row.voicemail_id, *(o.voicemail_id for o in others)]
    message = notify_render.message(session, settings, channel.name, ids, digest=row.digest, event=row.event)
    try:
        opened = target(channel, settings)
    except (vault.VaultError, ValueError) as exc:
        return f"the channel's secrets cannot be read: {exc}"
    if row.recipient:  # one person's notice (voice/storage/assignee_notices.py): to them, not the list
        if not assignee_notices.still_theirs(session, row.voicemail_id, row.recipient):
            return "the voicemail is no longer assigned to this person"
        if channel.kind != NotificationChannel.EMAIL:
            return (
                f"a notice to {row.recipient} needs an e-mail channel, and {channel.name} is {channel.kind}"
            )
        opened = replace(opened, settings={**opened.settings, "to": [row.recipient]})
    return _Prepared(opened, message, [o.id for o in others], row.digest)


def deliver_one(sm: sessionmaker[Session], claimed: Claimed, settings: Settings) -> AttemptResult | None:
    """Send one claimed notification (with the rows its digest lists) and record the outcome."""
    kind = _kind(settings)
    with sm() as session:
        prepared = _prepare(session, settings, claimed)
        if isinstance(prepared, str):
            if claiming.end(session, kind, claimed.id, claimed.owner):
                kind.give_up(session, claimed.id, prepared)
            session.commit()
            return None
        if prepared is None:
            session.commit()  # a digest row handed back to wait (_gather); else nothing was written
            return None
        session.commit()
    if not prepared.message.items:  # its voicemails were deleted meanwhile
        with sm() as session:
            claiming.end(session, kind, claimed.id, claimed.owner, status=Notification.SENT, sent_at=utcnow())
            session.commit()
        return None
    result = notify_senders.send(prepared.target, prepared.message, settings, claimed.id)
    with sm() as session:
        if session.get(Notification, claimed.id) is not None:
            record(
                session, kind, claimed, prepared.others, result, len(prepared.message.items), prepared.digest
            )
            session.commit()
    return result


def record(
    session: Session,
    kind: JobKind,
    claimed: Claimed,
    others: list[str],
    result: AttemptResult,
    items: int,
    digest: bool,
) -> None:
    """The attempt (always: it happened), then sent, a retry after the policy's delay, or given up."""
    now = utcnow()
    session.add(
        NotificationAttempt(
            notification_id=claimed.id,
            at=now,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
            items=items,
        )
    )
    leader = session.get(Notification, claimed.id)
    assert leader is not None
    if result.ok:
        if digest:  # it went out, whoever holds the row now; first, as take_digest locks channel then rows
            session.execute(
                update(NotificationChannel)
                .where(NotificationChannel.id == leader.channel_id)
                .values(last_digest_at=now)
                .execution_options(synchronize_session=False)
            )
        if claiming.end(
            session, kind, claimed.id, claimed.owner, status=Notification.SENT, sent_at=now, last_error=None
        ):
            outbox.settle_batch(session, claimed.owner, leader, others, now, None)
        return
    if not claiming.write_held(session, kind, claimed.id, claimed.owner, last_error=result.error):
        log.warning(
            "notification %s: its lease ran out while it was sent; the attempt is recorded", claimed.id
        )
        return
    how = "a permanent refusal" if result.permanent else f"{claimed.attempts} attempt(s)"
    reason = f"gave up after {how}: {result.error}"
    at = claiming.fail(
        session, kind, claimed.id, claimed.owner, permanent=result.permanent, reason=reason, now=now
    )
    outbox.settle_batch(session, claimed.owner, leader, others, None, at)


def send_test(session: Session, settings: Settings, name: str) -> AttemptResult:
    """Send a test message to a channel now, outside the outbox (`voice channels test`)."""
    channel = channels.find(session, name)
    message = notify_render.Message(channel.name, (), test=True)
    return notify_senders.send(target(channel, settings), message, settings, f"test_{channel.id}")


class NotificationSender(Pool):
    """Sends due notifications; every serving process runs one (like WebhookSender)."""

    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        n = settings.notifications
        self.settings, self.sm = settings, sm
        super().__init__(
            "voice-notify",
            lambda busy: claim_due(sm, settings, busy),
            self._attempt,
            n.concurrency,
            1,  # one message per channel at a time: a digest is gathered and sent once
            n.poll_interval_s,
        )

    def _attempt(self, claimed: Claimed, claimed_at: float) -> None:
        result = deliver_one(self.sm, claimed, self.settings)
        if result is not None:
            log.info("notification %s: %s", claimed.id, "sent" if result.ok else result.error)
