"""Notification channels (docs/notifications.md): made, changed and read by `voice channels` and
/v1/channels. Each kind says which settings it takes; the secret ones (an SMTP password, Slack's and Teams'
incoming-webhook URLs, which anyone holding them can post to, a webhook signing secret) are kept apart,
sealed with AES-256-GCM under the storage key (``storage.encryption_key``, the key that encrypts audio) when
one is configured, and are never shown again: a channel's description lists only which secrets are set."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voice.storage import notifications as outbox
from voice.storage import teams, vault
from voice.storage.keys import new_webhook_secret
from voice.storage.models import NotificationChannel

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
SEALED, PLAIN = "aesgcm:", "plain:"
SECURITY = ("starttls", "ssl", "none")
MAX_DIGEST_MINUTES = 24 * 60


class ChannelError(ValueError):
    """A channel cannot be made or changed as asked; the message says why (422)."""


class ChannelNotFound(ChannelError):
    """404."""


class ChannelConflict(ChannelError):
    """409: the name is taken."""


@dataclass(frozen=True)
class KindSpec:
    settings: tuple[str, ...]  # plain settings it takes
    required: tuple[str, ...]  # of settings and secrets
    secrets: tuple[str, ...]


KINDS: dict[str, KindSpec] = {
    NotificationChannel.EMAIL: KindSpec(
        ("host", "port", "security", "username", "sender", "to", "ca_file", "assignees"),
        ("host", "sender", "to"),
        ("password",),
    ),
    NotificationChannel.SLACK: KindSpec((), ("url",), ("url",)),
    NotificationChannel.TEAMS: KindSpec((), ("url",), ("url",)),
    NotificationChannel.WEBHOOK: KindSpec(("url",), ("url", "secret"), ("secret",)),
}


@dataclass(frozen=True)
class ChannelInfo:
    name: str
    kind: str
    settings: dict[str, Any]
    secrets_set: list[str]
    digest_minutes: int | None
    enabled: bool
    created_at: datetime
    # Shown once, when Voice made it (a webhook's signing secret); None otherwise.
    new_secret: str | None = field(default=None, compare=False)


def channel_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME.fullmatch(name):
        raise ChannelError(
            "a channel name is 1 to 60 letters, digits, '-' or '_', starting with a letter or digit, "
            f"not {name!r}"
        )
    return name


def seal(values: Mapping[str, str], keyring: vault.Keyring | None) -> str:
    """Secrets as stored: ``aesgcm:NAMES:SEALED`` under the current storage key when there is one (the names
    are not secret: they say what is set), else ``plain:JSON``."""
    plain = json.dumps(dict(values), sort_keys=True).encode()
    if keyring is None or not keyring.enabled:
        return PLAIN + plain.decode()
    assert keyring.current is not None and keyring.current_id is not None
    nonce = os.urandom(12)
    sealed = keyring.current_id + nonce + AESGCM(keyring.current).encrypt(nonce, plain, SEALED.encode())
    return f"{SEALED}{','.join(sorted(values))}:{base64.b64encode(sealed).decode()}"


def secret_names(text: str | None) -> list[str]:
    if not text:
        return []
    if text.startswith(PLAIN):
        return sorted(json.loads(text[len(PLAIN) :]))
    return [n for n in text[len(SEALED) :].split(":", 1)[0].split(",") if n]


def unseal(text: str | None, keyring: vault.Keyring | None) -> dict[str, str]:
    if not text:
        return {}
    if text.startswith(PLAIN):
        return dict(json.loads(text[len(PLAIN) :]))
    if keyring is None:
        raise vault.VaultError("the channel's secrets are encrypted and no storage key is configured")
    raw = base64.b64decode(text[len(SEALED) :].split(":", 1)[1])
    key_id, nonce, body = raw[:8], raw[8:20], raw[20:]
    try:
        plain = AESGCM(keyring.key(key_id)).decrypt(nonce, body, SEALED.encode())
    except InvalidTag:
        raise vault.VaultError("the channel's secrets were altered") from None
    return dict(json.loads(plain))


def _url(value: Any, what: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"https?://\S+", text):
        raise ChannelError(f"{what} must be an http(s) URL")
    return text


def _setting(key: str, value: Any) -> Any:
    """One plain setting checked and normalised."""
    if key == "port":
        if not str(value).isdigit() or not 0 < int(value) < 65536:
            raise ChannelError(f"port must be a number from 1 to 65535, not {value!r}")
        return int(value)
    if key == "security" and value not in SECURITY:
        raise ChannelError(f"security is one of {', '.join(SECURITY)}, not {value!r}")
    if key == "to":
        items = [value] if isinstance(value, str) else list(value)
        to = [a.strip() for item in items for a in str(item).split(",") if a.strip()]
        if not to or any("@" not in a for a in to):
            raise ChannelError("to is one or more e-mail addresses")
        return to
    if key == "assignees":  # also write to each assignee at their own address (users.email)
        return _flag(value)
    if key == "sender" and "@" not in str(value):
        raise ChannelError("sender is an e-mail address")
    return _url(value, "url") if key == "url" else str(value)


def _flag(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ChannelError(f"assignees is true or false, not {value!r}")


def _clean_settings(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of ``kind`` checked and normalised; unknown ones refused (a typo is not ignored)."""
    spec = KINDS[kind]
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in spec.settings:
            raise ChannelError(
                f"a {kind} channel has no setting {key!r} (it takes: {', '.join(spec.settings)})"
            )
        if value is not None:
            out[key] = _setting(key, value)
    return out


def _clean_secrets(kind: str, values: Mapping[str, Any]) -> dict[str, str]:
    spec = KINDS[kind]
    out = {}
    for key, value in values.items():
        if key not in spec.secrets:
            raise ChannelError(
                f"a {kind} channel has no secret {key!r} (it takes: {', '.join(spec.secrets)})"
            )
        if value:
            out[key] = _url(value, "url") if key == "url" else str(value)
    return out


def _digest(minutes: int | None) -> int | None:
    if minutes is not None and not 1 <= minutes <= MAX_DIGEST_MINUTES:
        raise ChannelError(f"digest minutes run from 1 to {MAX_DIGEST_MINUTES}, not {minutes}")
    return minutes


def _complete(kind: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
    missing = [k for k in KINDS[kind].required if k not in settings and k not in secrets]
    if missing:
        raise ChannelError(f"a {kind} channel needs {', '.join(missing)}")


def find(session: Session, name: str) -> NotificationChannel:
    row = session.scalar(select(NotificationChannel).where(NotificationChannel.name == name.strip().lower()))
    if row is None:
        raise ChannelNotFound(f"no channel {name!r}")
    return row


def describe(row: NotificationChannel, new_secret: str | None = None) -> ChannelInfo:
    return ChannelInfo(
        row.name,
        row.kind,
        dict(row.config or {}),
        secret_names(row.secrets),
        row.digest_minutes,
        row.enabled,
        row.created_at,
        new_secret,
    )


def add(
    session: Session,
    keyring: vault.Keyring | None,
    name: str,
    kind: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, Any],
    digest_minutes: int | None = None,
    enabled: bool = True,
) -> ChannelInfo:
    """Make a channel (in the caller's transaction). A webhook without a signing secret gets one, shown
    once in the answer's ``new_secret``."""
    name = channel_name(name)
    if kind not in KINDS:
        raise ChannelError(f"a channel's kind is one of {', '.join(KINDS)}, not {kind!r}")
    clean, hidden = _clean_settings(kind, settings), _clean_secrets(kind, secrets)
    made = None
    if kind == NotificationChannel.WEBHOOK and "secret" not in hidden:
        made = hidden["secret"] = new_webhook_secret()
    if kind == NotificationChannel.EMAIL:
        clean.setdefault("port", 587)
        clean.setdefault("security", "starttls")
    _complete(kind, clean, hidden)
    if session.scalar(select(NotificationChannel.id).where(NotificationChannel.name == name)):
        raise ChannelConflict(f"a channel named {name!r} exists")
    row = NotificationChannel(
        name=name,
        kind=kind,
        config=clean,
        secrets=seal(hidden, keyring) if hidden else None,
        digest_minutes=_digest(digest_minutes),
        enabled=enabled,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # made by someone else meanwhile
        raise ChannelConflict(f"a channel named {name!r} exists") from exc
    return describe(row, made)


UNSET: Any = object()


def update(
    session: Session,
    keyring: vault.Keyring | None,
    name: str,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    digest_minutes: int | None = UNSET,
    enabled: bool | None = None,
) -> ChannelInfo:
    """Change what is given: settings and secrets are merged into what is there (a setting given as None
    is removed); ``digest_minutes=None`` turns the digest off."""
    row = find(session, name)
    if settings:
        merged = dict(row.config or {}) | dict(settings)
        row.config = _clean_settings(row.kind, {k: v for k, v in merged.items() if v is not None})
    if secrets:
        row.secrets = seal(unseal(row.secrets, keyring) | _clean_secrets(row.kind, secrets), keyring)
    _complete(row.kind, row.config or {}, unseal(row.secrets, keyring))
    if digest_minutes is not UNSET:
        row.digest_minutes = _digest(digest_minutes)
    disabled = enabled is False and row.enabled
    if enabled is not None:
        row.enabled = enabled
    session.flush()
    if disabled:  # after the channel's row, in the order take_digest locks them (no deadlock between them)
        outbox.give_up_channel(session, row.id)
    return describe(row)


def delete(session: Session, name: str) -> None:
    """The channel goes with its notifications not yet sent; rules naming it fall back (docs/routing.md)."""
    session.delete(find(session, name))
    session.flush()


def list_channels(session: Session) -> list[ChannelInfo]:
    return [
        describe(row)
        for row in session.scalars(select(NotificationChannel).order_by(NotificationChannel.name))
    ]


def names(session: Session) -> frozenset[str]:
    """The enabled channels' names, for routing's check of a rule's ``notify``."""
    rows = session.scalars(select(NotificationChannel.name).where(NotificationChannel.enabled.is_(True)))
    return frozenset(rows)


def team_privacy(
    session: Session, team: str, transcript: bool | None = None, audio: bool | None = None
) -> tuple[bool, bool]:
    """Whether notifications about ``team``'s voicemails carry the transcript and the audio, changed first
    where a value is given (TeamNotFound when there is no such team)."""
    row = teams.find_team(session, team)
    if transcript is not None:
        row.notify_transcript = transcript
    if audio is not None:
        row.notify_audio = audio
    session.flush()
    return row.notify_transcript, row.notify_audio


@dataclass(frozen=True)
class Resealed:
    """What `voice storage rekey` did to channels' secrets."""

    resealed: int = 0  # sealed again under the current key (they were under an old one, or stored plain)
    current: int = 0  # already under the current key
    unreadable: tuple[str, ...] = ()  # channels whose secrets no configured key opens (left as they are)


def _under_current(text: str, keyring: vault.Keyring) -> bool:
    if not text.startswith(SEALED):
        return False
    raw = base64.b64decode(text[len(SEALED) :].split(":", 1)[1])
    return raw[:8] == keyring.current_id


def _reseal_one(session: Session, channel_id: str, keyring: vault.Keyring, model: Any) -> str:
    """What became of one channel's secrets: "resealed", "current" or "unreadable". A compare-and-set on
    the text read: a channel changed meanwhile (by `voice channels update` or the API, which seal under the
    current key) is read again."""
    for _ in range(5):
        text = session.scalar(select(model.secrets).where(model.id == channel_id))
        if not text or _under_current(text, keyring):
            return "current"
        try:
            sealed = seal(unseal(text, keyring), keyring)
        except (vault.VaultError, ValueError):
            return "unreadable"
        done = session.execute(
            sa_update(model)
            .where(model.id == channel_id, model.secrets == text)
            .values(secrets=sealed)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            return "resealed"
    return "current"  # changed on every try: by writers that seal under the current key


def reseal_all(session: Session, keyring: vault.Keyring, model: Any = NotificationChannel) -> Resealed:
    """Every channel's secrets sealed under the current storage key, in the caller's transaction: after a
    rotation (opened with the old key, still in ``old_keys``) or once a key is set (stored plain before).
    Safe to run again: what is under the current key is left as it is. ``model``: CRM connectors' secrets
    are sealed the same way (voice/storage/crm.py)."""
    assert keyring.enabled
    counts = {"resealed": 0, "current": 0}
    unreadable = []
    rows = session.execute(
        select(model.id, model.name).where(model.secrets.is_not(None)).order_by(model.name)
    ).all()
    for channel_id, name in rows:
        outcome = _reseal_one(session, channel_id, keyring, model)
        if outcome == "unreadable":
            unreadable.append(name)
        else:
            counts[outcome] += 1
    return Resealed(counts["resealed"], counts["current"], tuple(unreadable))
