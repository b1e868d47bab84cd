"""Sending acknowledgements (docs/acknowledgements.md) through Twilio's Messaging API with the official
client: every serving process claims due rows of ack_messages under a lease (voice/jobs, kind
``acknowledgement``), checks them once more (the caller's hours, the opt-out list, the max wait), sends, and
records the message SID, or Twilio's error code and message.

Never twice for one voicemail. Twilio's Messages resource has no idempotency key, so a POST whose answer is
lost (a crash, a timeout, a reset connection) may or may not have made a message. The row therefore goes
``sending`` (committed) *before* the POST, and a row found ``sending`` by a later claim -- its sender died, or
its POST ended in a network error or a 5xx -- is never posted blind: Twilio's message list for the caller's
number is read first, and a message from the same sender with the same body made since the row went
``sending`` is adopted as ours (its SID recorded, status sent). Only when Twilio has none is it sent again.
A later claim comes after the lease ran out (three send timeouts), long after any POST of the dead sender
ended, so the list shows what Twilio took. The status callback URL carries the row's id too, so a callback
that arrives before the SID was recorded adopts it as well (voice/storage/acks.py status_target).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy import case
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from voice.acks import hours
from voice.acks.kind import ack_kind
from voice.core.config import Settings, TwilioAccount
from voice.core.logs import redact
from voice.integrations.twilio import given_url
from voice.jobs import claiming
from voice.jobs.claiming import Claimed
from voice.jobs.kinds import JobKind
from voice.jobs.leases import owner_token
from voice.jobs.pool import Pool
from voice.storage import ack_mailboxes, opt_outs
from voice.storage.models import AckMessage, AckOptOut, AckSettings, Team, Voicemail, as_utc, utcnow

log = logging.getLogger(__name__)
# twilio's client logs every request's query at INFO, and a message list's is the caller's number (To=...).
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

STATUS_PATH = "/v1/integrations/twilio/message-status"
UNSUBSCRIBED = 21610  # Twilio: the recipient unsubscribed (replied STOP at the carrier)


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with its API host replaced by ``base_url`` (settings.twilio.api_base_url):
    a regional edge, a proxy, or the tests' local server that speaks the same protocol."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith(".twilio.com"):
            url = urlunsplit(
                (self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, "")
            )
        return super().request(method, url, *args, **kwargs)


def client(settings: Settings, account: TwilioAccount) -> Client:
    http = BaseUrlHttpClient(settings.twilio.api_base_url, settings.acks.timeout_s)
    return Client(account.account_sid, account.auth_token.get_secret_value(), http_client=http)


def account_for(settings: Settings, account_sid: str | None) -> TwilioAccount | None:
    """The configured account named, or the only one configured."""
    if account_sid:
        return settings.twilio.account(account_sid)
    accounts = settings.twilio.accounts
    return accounts[0] if len(accounts) == 1 else None


def account_problem(settings: Settings, row: AckSettings) -> str | None:
    """Why a team switched on could not send (no Twilio account to send with), or None."""
    if not row.enabled or account_for(settings, row.account_sid) is not None:
        return None
    if row.account_sid:
        return f"Twilio account {row.account_sid} is not configured (VOICE_TWILIO__ACCOUNTS)"
    if not settings.twilio.accounts:
        return "no Twilio account is configured (VOICE_TWILIO__ACCOUNTS): messages could not be sent"
    return "several Twilio accounts are configured: say which one sends (account_sid, --account)"


def status_callback(settings: Settings, ack_id: str) -> str | None:
    """Where Twilio reports the message's status; None when Voice has no public address to give."""
    return given_url(settings, f"{STATUS_PATH}/{ack_id}")


@dataclass(frozen=True)
class Outgoing:
    id: str
    to: str
    sender: str
    body: str
    since: datetime  # when the row went sending: a message Twilio made since then may be ours
    account: TwilioAccount


@dataclass(frozen=True)
class Outcome:
    sid: str | None = None
    error: str | None = None
    error_code: int | None = None
    permanent: bool = False  # a 4xx: Twilio refused this message; trying again would not change it


def send(c: Client, out: Outgoing, row_channel: str | None, callback: str | None) -> Outcome:
    """One POST to Messages.json."""
    to = f"whatsapp:{out.to}" if row_channel == AckSettings.WHATSAPP else out.to
    origin = {"messaging_service_sid": out.sender} if out.sender.startswith("MG") else {"from_": out.sender}
    extra = {"status_callback": callback} if callback else {}
    try:
        message = c.messages.create(to=to, body=out.body, **origin, **extra)
    except TwilioRestException as exc:
        permanent = 400 <= exc.status < 500 and exc.status != 429
        # Twilio's text often quotes the number ("The 'To' number +44... is not valid"): not kept.
        error = redact(f"Twilio {exc.status}: {exc.msg}")[:500]
        return Outcome(error=error, error_code=exc.code, permanent=permanent)
    except (requests.RequestException, TwilioException, OSError) as exc:
        return Outcome(error=redact(f"{exc.__class__.__name__}: {exc}")[:500])
    return Outcome(sid=message.sid)


# Twilio's Smart Encoding swaps characters outside GSM-7 for look-alikes in the stored body; NFKC does the
# rest (ellipsis, odd spaces, full-width forms).
_SMART = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})  # fmt: skip


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(_SMART).split())


def same_text(theirs: str | None, ours: str) -> bool:
    """Whether Twilio's stored body is the one sent, allowing for Smart Encoding's substitutions."""
    return theirs is not None and (theirs == ours or _plain(theirs) == _plain(ours))


def find_sent(c: Client, out: Outgoing, channel: str | None) -> str | None:
    """The SID of a message Twilio made for this row already (see the module's docstring), else None;
    network errors propagate (the row stays ``sending`` and is tried again)."""
    to = f"whatsapp:{out.to}" if channel == AckSettings.WHATSAPP else out.to
    since = out.since - timedelta(minutes=5)  # clocks differ a little
    for message in c.messages.list(to=to, limit=50):
        made = message.date_created
        ours = out.sender in (message.from_, message.messaging_service_sid)
        if ours and same_text(message.body, out.body) and (made is None or made >= since):
            return message.sid
    return None


def _kind(settings: Settings) -> JobKind:
    return ack_kind(settings.acks)


def _settle(session: Session, row: AckMessage, now: datetime) -> str | None:
    """Before a queued or waiting row goes: the status to end it with instead (with ``row.reason`` set),
    ``waiting`` (with ``row.next_attempt_at``) when the caller's hours have not begun, or None: send it."""
    if row.not_after is not None and now > as_utc(row.not_after):
        row.reason = "it could not go within the team's max wait"
        return AckMessage.DROPPED
    if row.to_number is None or row.body is None:
        row.reason = "the caller was erased before it went"
        return AckMessage.SKIPPED
    if opt_outs.is_opted_out(session, row.to_number, row.sender or ""):
        row.reason = "the caller opted out of messages from this sender before it went"
        return AckMessage.SKIPPED
    vm = session.get(Voicemail, row.voicemail_id)
    config = ack_mailboxes.effective(session, row.team_id, vm.call.mailbox if vm is not None else None)
    if config is None or not config.enabled:
        row.reason = "acknowledgements were switched off for the team or mailbox before it went"
        return AckMessage.SKIPPED
    allowed = hours.AllowedHours(config.allowed_from, config.allowed_until)
    team = session.get(Team, row.team_id)
    zones = hours.caller_zones(row.to_number, team.timezone if team is not None else "UTC")
    at = allowed.next_open(now, zones)
    if at is None or (row.not_after is not None and at > as_utc(row.not_after)):
        row.reason = "outside the caller's allowed hours until after the team's max wait"
        return AckMessage.DROPPED
    if at > now:
        row.next_attempt_at = at
        return AckMessage.WAITING
    return None


def _outgoing(row: AckMessage, account: TwilioAccount, since: datetime) -> Outgoing:
    return Outgoing(row.id, row.to_number or "", row.sender or "", row.body or "", since, account)


def _take(
    session: Session, settings: Settings, claimed: Claimed, now: datetime
) -> tuple[Outgoing, str | None, bool] | None:
    """A claimed row made ready: (what to send, its channel, whether Twilio must be asked first because
    an earlier try may have sent it); None when it ended here or waits (all written)."""
    kind = _kind(settings)
    row = session.get(AckMessage, claimed.id)
    if row is None or row.status not in (AckMessage.QUEUED, AckMessage.WAITING, AckMessage.SENDING):
        claiming.end(session, kind, claimed.id, claimed.owner)
        return None
    account = account_for(settings, row.account_sid)
    if account is None:
        claiming.end(session, kind, claimed.id, claimed.owner)
        kind.give_up(
            session, claimed.id, "no configured Twilio account matches the team's (VOICE_TWILIO__ACCOUNTS)"
        )
        return None
    if row.status == AckMessage.SENDING:
        return _outgoing(row, account, as_utc(row.sending_at or row.created_at)), row.channel, True
    if _held_back(session, kind, claimed, row, now):
        return None
    claiming.write_held(
        session, kind, claimed.id, claimed.owner, status=AckMessage.SENDING, sending_at=now, reason=None
    )
    return _outgoing(row, account, now), row.channel, False


def _held_back(session: Session, kind: JobKind, claimed: Claimed, row: AckMessage, now: datetime) -> bool:
    """Whether the checks before a send (_settle) end the row or hand it back to wait; written if so."""
    ended = _settle(session, row, now)
    if ended == AckMessage.WAITING:  # handed back for the caller's hours: not an attempt
        claiming.end(
            session,
            kind,
            claimed.id,
            claimed.owner,
            status=ended,
            reason=row.reason,
            next_attempt_at=row.next_attempt_at,
            attempts=AckMessage.attempts - 1,
        )
        return True
    if ended is not None:
        claiming.end(
            session, kind, claimed.id, claimed.owner, status=ended, reason=row.reason, next_attempt_at=None
        )
        return True
    return False


def deliver_one(
    sm: sessionmaker[Session], claimed: Claimed, settings: Settings, now: datetime | None = None
) -> Outcome | None:
    """Send one claimed acknowledgement (or adopt the message an earlier try made) and record it."""
    now = now or utcnow()
    with sm() as session:
        taken = _take(session, settings, claimed, now)
        session.commit()  # "sending" is stored before Twilio is called
    if taken is None:
        return None
    out, channel, look_first = taken
    c = client(settings, out.account)
    if look_first:
        try:
            sid = find_sent(c, out, channel)
        except (TwilioException, requests.RequestException, OSError) as exc:
            outcome = Outcome(error=f"looking the message up at Twilio failed: {exc}"[:500])
            _record(sm, settings, claimed, outcome, now)
            return outcome
        if sid is not None:
            outcome = Outcome(sid=sid)
            _record(sm, settings, claimed, outcome, now)
            return outcome
        if not _still_wanted(sm, settings, claimed, now):  # Twilio has none: checked again before a resend
            return None
    outcome = send(c, out, channel, status_callback(settings, out.id))
    _record(sm, settings, claimed, outcome, now)
    return outcome


def _still_wanted(sm: sessionmaker[Session], settings: Settings, claimed: Claimed, now: datetime) -> bool:
    """A row found ``sending`` with no message at Twilio goes again only if it still may (the caller's
    hours, the opt-out list, the max wait); otherwise it is ended or handed back here."""
    with sm() as session:
        row = session.get(AckMessage, claimed.id)
        if row is None:
            return False
        held = _held_back(session, _kind(settings), claimed, row, now)
        session.commit()
        return not held


def _record(
    sm: sessionmaker[Session], settings: Settings, claimed: Claimed, outcome: Outcome, now: datetime
) -> None:
    """Sent (a status callback may have moved it on already: kept), failed for good on a 4xx (21610 puts
    the caller on the opt-out list), or still ``sending`` and tried again after the policy's delay."""
    kind = _kind(settings)
    with sm() as session:
        row = session.get(AckMessage, claimed.id)
        if row is None:
            return
        if outcome.sid is not None:
            status = case((AckMessage.status == AckMessage.SENDING, AckMessage.SENT), else_=AckMessage.status)
            claiming.end(
                session,
                kind,
                claimed.id,
                claimed.owner,
                status=status,
                message_sid=outcome.sid,
                sent_at=now,
                last_error=None,
                next_attempt_at=None,
            )
        elif outcome.permanent:
            if claiming.end(
                session,
                kind,
                claimed.id,
                claimed.owner,
                status=AckMessage.FAILED,
                reason=outcome.error,
                error_code=outcome.error_code,
                last_error=outcome.error,
                next_attempt_at=None,
            ):
                _opt_out_on(session, row, outcome.error_code)
        elif claiming.write_held(session, kind, claimed.id, claimed.owner, last_error=outcome.error):
            reason = f"gave up after {claimed.attempts} attempt(s): {outcome.error}"
            claiming.fail(session, kind, claimed.id, claimed.owner, reason=reason, now=now)
        session.commit()


def _opt_out_on(session: Session, row: AckMessage, error_code: int | None) -> None:
    if error_code == UNSUBSCRIBED and row.to_number and row.sender:
        opt_outs.add(session, row.to_number, [row.sender], AckOptOut.CARRIER)


def claim_due(sm: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> Claimed | None:
    return claiming.claim_next(sm, _kind(settings), owner_token(), settings.acks.lease_s, now=now)


def run_due(
    sm: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> list[Outcome | None]:
    """Send every row due at ``now``, one after the other (the CLI's `voice ack send-due`, and tests with a
    clock of their own)."""
    done = []
    for _ in range(1000):
        claimed = claim_due(sm, settings, now)
        if claimed is None:
            break
        done.append(deliver_one(sm, claimed, settings, now))
    return done


class AckSender(Pool):
    """Sends due acknowledgements; every serving process runs one (like NotificationSender)."""

    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        a = settings.acks
        self.settings, self.sm = settings, sm
        super().__init__(
            "voice-acks",
            lambda busy: claim_due(sm, settings),
            self._attempt,
            a.concurrency,
            None,
            a.poll_interval_s,
        )

    def _attempt(self, claimed: Claimed, claimed_at: float) -> None:
        outcome = deliver_one(self.sm, claimed, self.settings)
        if outcome is not None:
            log.info("acknowledgement %s: %s", claimed.id, outcome.sid or outcome.error)
