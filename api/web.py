"""Web inbox plumbing: the session cookie's key, the signed-in user, CSRF tokens and form checks,
templates, the sign-in throttle and the security headers (audio ranges: api/audio.py).

Sessions are Starlette's signed cookies (HttpOnly, SameSite=Lax, Secure when configured) that carry a
random session token; the session itself lives in the database (voice.storage.users), so sign-out, a password
change or disabling the user ends it. Every form carries a CSRF token kept in the session; a POST without
the matching token is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from limits import RateLimitItem, parse_many, storage, strategies
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import get_session
from voice.core import inputs
from voice.core.config import Settings
from voice.storage import search, users
from voice.storage.models import User

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


def highlight(passage: str) -> Markup:
    """A search passage as HTML: the text escaped first, then the match markers turned into <mark>."""
    escaped = str(escape(passage))
    return Markup(escaped.replace(search.START, "<mark>").replace(search.STOP, "</mark>"))


templates.env.filters["highlight"] = highlight


def secret_key(settings: Settings) -> str:
    """The configured key, else one made once and kept in the data dir (readable by Voice only)."""
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value()
    path = settings.data_dir / "web-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class SignInRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def current_user(request: Request, session: Session = Depends(get_session)) -> User:
    token = request.session.get("sid")
    user = users.session_user(session, str(token)) if token else None
    if user is None:
        request.session.clear()
        raise SignInRequired(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


# Form fields that may span lines (a note) or hold any printable character (a password); every other
# field of a page form is one line.
_FREE_TEXT = frozenset({"text", "password"})


async def check_csrf(request: Request) -> None:
    """For every form POST: the token in the form must be the one in the session, and no field may hold a
    control character (api/edge.py checks urlencoded bodies but leaves multipart ones to the route)."""
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    expected = str(request.session.get("csrf") or "")
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
    if not expected or not hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode()):
        raise HTTPException(403, "the form has expired or did not come from this site; reload the page")
    try:
        for name, value in form.multi_items():
            inputs.check_text(name, "a form field's name", one_line=True)
            if isinstance(value, str):
                inputs.check_text(value, f"the form field {name!r}", one_line=name not in _FREE_TEXT)
    except inputs.InputError as exc:
        raise HTTPException(422, str(exc)) from exc


def relative(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return ""
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def render(
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Any:
    return templates.TemplateResponse(
        request,
        name,
        {"csrf_token": csrf_token(request), "relative": relative, **context},
        status_code=status_code,
        headers=headers,
    )


def _tiers(text: str, name: str) -> list[RateLimitItem]:
    try:
        return parse_many(text)
    except ValueError as exc:
        raise ValueError(f"VOICE_WEB__SIGNIN_PER_{name} must be like 5/minute;20/hour, not {text!r}") from exc


class SignInThrottle:
    """Failed sign-ins counted per user name and per client address over moving windows (the `limits`
    library, in the rate limiter's storage), and a cap on argon2 checks running at once. A refused
    sign-in is answered before any password is hashed."""

    def __init__(self, settings: Settings) -> None:
        web = settings.web
        self._tiers = {
            "user": _tiers(web.signin_per_user, "USER"),
            "address": _tiers(web.signin_per_address, "ADDRESS"),
        }
        self._limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.limits.storage_url)
        )
        # An anyio semaphore: a sign-in waiting for a slot waits on the event loop, not in one of the
        # threadpool's threads, which the API's routes need.
        self._checks = anyio.Semaphore(max(1, web.signin_concurrency))
        self._queue_s = max(0.0, web.signin_queue_s)

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, str]:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            where = address
        else:
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
                where = str(ipaddress.ip_network(f"{ip}/64", strict=False))  # one host owns a whole /64
            else:
                where = str(getattr(ip, "ipv4_mapped", None) or ip)
        # Hashed: any length and any character a client sends makes a short, plain storage key.
        user = hashlib.sha256(username.strip().encode("utf-8", "replace")).hexdigest()[:32]
        return {"user": user, "address": hashlib.sha256(where.encode()).hexdigest()[:32]}

    def wait(self, username: str, address: str) -> int | None:
        """Seconds until this user name from this address may try again; None when it may now."""
        now, until = time.time(), 0.0
        for kind, key in self._keys(username, address).items():
            for item in self._tiers[kind]:
                if not self._limiter.test(item, "signin", kind, key):
                    reset = self._limiter.get_window_stats(item, "signin", kind, key).reset_time
                    until = max(until, reset, now + 1)
        return math.ceil(until - now) if until else None

    def failed(self, username: str, address: str) -> None:
        for kind, key in self._keys(username, address).items():
            for item in self._tiers[kind]:
                self._limiter.hit(item, "signin", kind, key)

    def succeeded(self, username: str) -> None:
        """The user's own failures are forgotten (the address's are not: one account must not clear them)."""
        key = self._keys(username, "")["user"]
        for item in self._tiers["user"]:
            self._limiter.clear(item, "signin", "user", key)

    @asynccontextmanager
    async def check_slot(self) -> AsyncIterator[bool]:
        """Holds one of the password-check slots; yields False when none came free in time."""
        try:
            self._checks.acquire_nowait()  # a free slot is taken even with no time to wait (queue_s 0)
        except anyio.WouldBlock:
            try:
                with anyio.fail_after(self._queue_s):
                    await self._checks.acquire()
            except TimeoutError:
                yield False
                return
        try:
            yield True
        finally:
            self._checks.release()


# The inbox's own script and styles only: no inline code, no other origin, never inside a frame.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_ALWAYS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Every response says nosniff, no framing and same-origin referrers, and carries the CSP; except the
    API's Swagger page (/docs), whose script comes from a CDN and which gets all but the CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = (
            _ALWAYS
            if scope["path"].startswith("/docs")
            else [*_ALWAYS, (b"content-security-policy", CSP.encode())]
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    headers.setdefault(name.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_with_headers)
