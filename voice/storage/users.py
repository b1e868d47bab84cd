"""People who sign in to the web inbox: passwords hashed with argon2id (argon2-cffi's defaults), and
their sessions, kept on the server so that sign-out, a password change or disabling a user ends them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from voice.core import inputs
from voice.storage.models import User, WebSession, as_utc, utcnow

ROLES = ("agent", "admin")
MIN_PASSWORD = 10


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this for unknown names makes them cost as much as a wrong password.
    return _hasher().hash("not a password anyone has")


def email_address(value: str | None) -> str | None:
    """``value`` checked as one plain address (name@domain), or None for none."""
    text = (value or "").strip()
    if not text:
        return None
    name, _, domain = text.rpartition("@")
    if not name or "." not in domain or len(text) > 254 or any(c.isspace() or c in "<>,;" for c in text):
        raise UserError(f"{text!r} is not an e-mail address (name@example.com)")
    return text


def create_user(session: Session, username: str, password: str, role: str, email: str | None = None) -> User:
    username = username.strip()
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise UserError("a user name is 1 to 100 characters without spaces")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.username == username)):
        raise UserError(f"user {username!r} already exists")
    user = User(
        username=username, password_hash=_hasher().hash(password), role=role, email=email_address(email)
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    user.password_hash = _hasher().hash(password)
    revoke_sessions(session, user)  # whoever knew the old password is signed out everywhere
    session.flush()
    return user


def disable_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    user.disabled_at = user.disabled_at or utcnow()
    revoke_sessions(session, user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user for these credentials, or None (unknown, wrong password or disabled)."""
    try:
        inputs.check_text(username, "user name", one_line=True)
    except inputs.InputError:
        return None  # no such name can exist (and PostgreSQL refuses NUL in a query)
    user = session.scalar(select(User).where(User.username == username.strip()))
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher().check_needs_rehash(user.password_hash):  # parameters were raised since
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def set_email(session: Session, username: str, email: str | None) -> User:
    """Where Voice tells the user of voicemails assigned to them; None or "" removes it."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    user.email = email_address(email)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, hours: float) -> str:
    """A new session for ``user``: returns the token for the cookie (only its hash is stored)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))  # sweep expired ones
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_token_id(token), user_id=user.id, expires_at=now + timedelta(hours=hours)))
    session.flush()
    return token


def session_user(session: Session, token: str) -> User | None:
    """The user a live session token belongs to; None when it was ended, has expired or is disabled."""
    row = session.get(WebSession, _token_id(token))
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.disabled_at is None else None


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == _token_id(token)))


def revoke_sessions(session: Session, user: User) -> None:
    """End every session of ``user`` (after a password change, or when disabled)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
