"""API keys: created once (the secret is shown only then), stored as a hash, checked per request.

A key reads ``vk_<prefix>_<secret>``: the prefix finds the row, the secret is compared against its
sha256 in constant time. The secrets are 256 random bits, so a fast hash is enough (slow password
hashes exist for low-entropy human passwords).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from voice.core import inputs
from voice.storage.models import ApiKey, Role, utcnow

log = logging.getLogger(__name__)

KEY_PREFIX = "vk_"
# last_used_at is written at most this often per key, so busy clients do not turn reads into writes.
_TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A key could not be created or found (bad role, unknown name)."""


@dataclass(frozen=True)
class NewKey:
    """A key as created: the only time its secret and webhook secret are shown in full."""

    id: str
    name: str
    role: str
    key: str
    webhook_secret: str
    webhook_url: str | None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role."""

    key_id: str
    name: str
    role: str

    def can(self, role: str) -> bool:
        return Role.ALL.index(self.role) >= Role.ALL.index(role)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def create_key(session: Session, name: str, role: str, webhook_url: str | None = None) -> NewKey:
    if role not in Role.ALL:
        raise ApiKeyError(f"role must be one of {', '.join(Role.ALL)}")
    name = name.strip()
    if not name:
        raise ApiKeyError("a key needs a name that is not blank")
    try:  # one line: the name is shown in lists and logs, where a break would forge a line
        inputs.check_text(name, "the key's name", one_line=True)
    except inputs.InputError as exc:
        raise ApiKeyError(str(exc)) from exc
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        name=name[:100],
        role=role,
        prefix=prefix,
        secret_hash=_hash(secret),
        webhook_url=webhook_url,
        webhook_secret=new_webhook_secret(),
    )
    session.add(row)
    session.flush()
    return NewKey(row.id, row.name, role, f"{KEY_PREFIX}{prefix}_{secret}", row.webhook_secret, webhook_url)


# Every request runs this: a Core statement built once, not an ORM query.
_KEYS = cast(Table, ApiKey.__table__)
_BY_PREFIX = select(
    _KEYS.c.id, _KEYS.c.name, _KEYS.c.role, _KEYS.c.secret_hash, _KEYS.c.revoked_at, _KEYS.c.last_used_at
).where(_KEYS.c.prefix == bindparam("prefix"))


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal for a presented key, or None when it is malformed, unknown, wrong or revoked."""
    if not presented.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = presented[len(KEY_PREFIX) :].partition("_")
    if not sep or not prefix or not secret:
        return None
    row = session.connection().execute(_BY_PREFIX, {"prefix": prefix}).first()
    if row is None or row.revoked_at is not None:
        # Still hash, so a wrong prefix costs the same time as a wrong secret.
        hmac.compare_digest(_hash(secret), "0" * 64)
        return None
    if not hmac.compare_digest(_hash(secret), row.secret_hash):
        return None
    now = utcnow()
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last > _TOUCH_EVERY:
        try:
            session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
            session.commit()
        except SQLAlchemyError as exc:  # a full disk or a read-only database must not refuse the key
            session.rollback()
            log.warning("could not note when key %s was last used: %s", row.name, str(exc).splitlines()[0])
    return Principal(row.id, row.name, row.role)


def find_key(session: Session, id_or_name: str) -> ApiKey:
    """A key by id or by name (the newest active one of that name)."""
    row = session.get(ApiKey, id_or_name)
    if row is None:
        row = session.scalar(
            select(ApiKey)
            .where(ApiKey.name == id_or_name)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
            .limit(1)
        )
    if row is None:
        raise ApiKeyError(f"no key with id or name {id_or_name!r}")
    return row


def revoke_key(session: Session, id_or_name: str) -> ApiKey:
    row = find_key(session, id_or_name)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))
