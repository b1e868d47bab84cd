"""Web inbox plumbing: the session cookie's key, the signed-in user, CSRF tokens, templates.

Sessions are Starlette's signed cookies (HttpOnly, SameSite=Lax, Secure when configured). Every form
carries a CSRF token kept in the session; a POST without the matching token is refused.
"""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from api.deps import get_session
from voice import search
from voice.config import Settings
from voice.models import User

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
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or user.disabled_at is not None:
        request.session.clear()
        raise SignInRequired(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """For every form POST: the token in the form must be the one in the session."""
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    expected = str(request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "the form has expired or did not come from this site; reload the page")


def relative(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return ""
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def render(request: Request, name: str, **context: Any) -> Any:
    return templates.TemplateResponse(
        request, name, {"csrf_token": csrf_token(request), "relative": relative, **context}
    )
