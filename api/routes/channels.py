"""/v1/channels: notification channels (e-mail, Slack, Microsoft Teams, signed webhooks) for admins, and what
a team's notifications may carry (/v1/teams/{team}/notifications). Secrets are write-only: sent when a
channel is made or changed, never answered (only which are set). Refusals are ChannelErrors, answered by
one handler (api/main.py): 404, 409 for a name taken, 422 with the reason. docs/notifications.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import as_admin
from api.deps import get_session, get_settings
from api.schemas import errors
from voice.core.config import Settings
from voice.integrations.notifications import send_test
from voice.storage import channels, vault
from voice.storage.keys import Principal
from voice.storage.models import Notification, NotificationAttempt

router = APIRouter(prefix="/v1", tags=["notifications"], responses=errors(401, 403, 413, 422, 429, 503))

ChannelName = Annotated[
    str, Path(max_length=60, description="the channel's name", examples=["slack-billing"])
]
TeamName = Annotated[str, Path(max_length=60, description="the team's name", examples=["billing"])]
SETTINGS_TEXT = (
    "email: host, port (587), security (starttls | ssl | none), username, sender, to (addresses), ca_file, "
    "assignees (true: also write to each assignee at their own address); "
    "webhook: url. Slack and Teams take none."
)
SECRETS_TEXT = (
    "write-only. email: password; slack and teams: url (the incoming-webhook URL); webhook: secret "
    "(whsec_...; made when left out and answered once as new_secret)."
)


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=60, examples=["slack-billing"])
    kind: Literal["email", "slack", "teams", "webhook"]
    settings: dict[str, Any] = Field(default_factory=dict, description=SETTINGS_TEXT)
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description=SECRETS_TEXT,
        examples=[{"url": "https://hooks.slack.com/services/..."}],
    )
    digest_minutes: int | None = Field(
        None, description="at most one message per this many minutes; null: each"
    )
    enabled: bool = True


class ChannelUpdate(BaseModel):
    """Only the fields sent change; settings and secrets are merged (a setting sent as null is removed);
    ``digest_minutes: null`` turns the digest off."""

    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] | None = Field(None, description=SETTINGS_TEXT)
    secrets: dict[str, str] | None = Field(None, description=SECRETS_TEXT)
    digest_minutes: int | None = None
    enabled: bool | None = None


class ChannelOut(BaseModel):
    name: str = Field(examples=["slack-billing"])
    kind: str = Field(examples=["slack"])
    settings: dict[str, Any]
    secrets_set: list[str] = Field(description="which secrets are set; their values are never answered")
    digest_minutes: int | None
    enabled: bool
    created_at: datetime
    new_secret: str | None = Field(None, description="a signing secret Voice made: shown this once")

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class TestOut(BaseModel):
    ok: bool = Field(examples=[True])
    status_code: int | None = Field(None, description="the receiver's HTTP status or the SMTP reply code")
    error: str | None = None
    duration_ms: int


class AttemptOut(BaseModel):
    at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    items: int


class NotificationOut(BaseModel):
    id: str
    voicemail_id: str
    event: str = Field(examples=["voicemail.new"])
    status: str = Field(examples=["sent"], description="pending, sent, failed (given up) or digested")
    urgent: bool
    digest: bool
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]


class PrivacyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transcript: bool | None = Field(None, description="notifications carry the transcript (redacted if on)")
    audio: bool | None = Field(None, description="e-mails attach the audio")


class PrivacyOut(BaseModel):
    team: str = Field(examples=["billing"])
    transcript: bool
    audio: bool


def _out(info: channels.ChannelInfo) -> ChannelOut:
    return ChannelOut(
        name=info.name,
        kind=info.kind,
        settings=info.settings,
        secrets_set=info.secrets_set,
        digest_minutes=info.digest_minutes,
        enabled=info.enabled,
        created_at=info.created_at,
        new_secret=info.new_secret,
    )


def _keyring(settings: Settings) -> vault.Keyring:
    return vault.keyring(settings.storage)


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(
    session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> list[ChannelOut]:
    """Every channel, secrets left out."""
    return [_out(c) for c in channels.list_channels(session)]


@router.post(
    "/channels", response_model=ChannelOut, status_code=status.HTTP_201_CREATED, responses=errors(409)
)
def create_channel(
    body: ChannelIn,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> ChannelOut:
    """Make a channel. 409 if the name exists; 422 (with the reason) for a missing or unknown setting."""
    info = channels.add(
        session,
        _keyring(settings),
        body.name,
        body.kind,
        body.settings,
        body.secrets,
        body.digest_minutes,
        body.enabled,
    )
    session.commit()
    return _out(info)


@router.get("/channels/{channel}", response_model=ChannelOut, responses=errors(404))
def get_channel(
    channel: ChannelName, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> ChannelOut:
    """One channel, secrets left out (which are set is listed)."""
    return _out(channels.describe(channels.find(session, channel)))


@router.patch("/channels/{channel}", response_model=ChannelOut, responses=errors(404))
def update_channel(
    channel: ChannelName,
    body: ChannelUpdate,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> ChannelOut:
    """Change a channel: only the fields sent change; settings and secrets are merged, a setting sent as null
    is removed; ``digest_minutes: null`` turns the digest off."""
    given = body.model_fields_set
    info = channels.update(
        session,
        _keyring(settings),
        channel,
        body.settings,
        body.secrets,
        body.digest_minutes if "digest_minutes" in given else channels.UNSET,
        body.enabled,
    )
    session.commit()
    return _out(info)


@router.delete("/channels/{channel}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete_channel(
    channel: ChannelName, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> Response:
    """Delete a channel and its notifications not sent yet; rules that name it fall back to the default."""
    channels.delete(session, channel)
    session.commit()
    return Response(status_code=204)


@router.post("/channels/{channel}/test", response_model=TestOut, responses=errors(404))
def test_channel(
    channel: ChannelName,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> TestOut:
    """Send a test message now (not through the outbox) and answer how it went."""
    result = send_test(session, settings, channel)
    return TestOut(
        ok=result.ok, status_code=result.status_code, error=result.error, duration_ms=result.duration_ms
    )


@router.get("/channels/{channel}/notifications", response_model=list[NotificationOut], responses=errors(404))
def channel_notifications(
    channel: ChannelName,
    limit: int = Query(50, ge=1, le=500),
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> list[NotificationOut]:
    """The channel's latest notifications, newest first, each with its attempts."""
    row = channels.find(session, channel)
    found = session.scalars(
        select(Notification)
        .where(Notification.channel_id == row.id)
        .order_by(Notification.created_at.desc(), Notification.id)
        .limit(limit)
    ).all()
    attempts: dict[str, list[AttemptOut]] = {n.id: [] for n in found}
    for a in session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.notification_id.in_(list(attempts)))
        .order_by(NotificationAttempt.id)
    ):
        attempts[a.notification_id].append(
            AttemptOut(at=a.at, ok=a.ok, status_code=a.status_code, error=a.error, items=a.items)
        )
    return [
        NotificationOut(
            id=n.id,
            voicemail_id=n.voicemail_id,
            event=n.event,
            status=n.status,
            urgent=n.urgent,
            digest=n.digest,
            attempts=n.attempts,
            next_attempt_at=n.next_attempt_at,
            last_error=n.last_error,
            sent_at=n.sent_at,
            created_at=n.created_at,
            attempt_log=attempts[n.id],
        )
        for n in found
    ]


@router.get("/teams/{team}/notifications", response_model=PrivacyOut, responses=errors(404))
def get_privacy(
    team: TeamName,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> PrivacyOut:
    """What notifications about the team's voicemails carry besides the card (both off by default)."""
    transcript, audio = channels.team_privacy(session, team)
    return PrivacyOut(team=team.strip().lower(), transcript=transcript, audio=audio)


@router.put("/teams/{team}/notifications", response_model=PrivacyOut, responses=errors(404))
def set_privacy(
    team: TeamName,
    body: PrivacyIn,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> PrivacyOut:
    """Turn the transcript or the audio on or off in notifications about the team's voicemails."""
    transcript, audio = channels.team_privacy(session, team, body.transcript, body.audio)
    session.commit()
    return PrivacyOut(team=team.strip().lower(), transcript=transcript, audio=audio)
