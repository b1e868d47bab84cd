"""Logging for every Voice process (`voice serve`, `voice worker`, the CLI), with URLs and phone numbers
redacted.

Signed audio URLs carry their token in the query string (X-Amz-Signature, sig=...), callback URLs theirs
(?token=...), database and broker URLs a password before the host; the API's own query strings hold
callers' numbers and search words. Third-party loggers print such URLs whole (httpx logs every request at
INFO, uvicorn every request line), so redaction cannot be left to each call site: every log record made in
the process is rewritten as it is made (a record factory, so loggers whose handlers are added later, such
as Celery's task logger, are covered too), and a filter doing the same sits on every handler present.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

# scheme://[userinfo@]host[:port][/path][?query][#fragment]; userinfo may itself hold an "@" (a password).
_URL = re.compile(
    r"""(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#'"<>]*@)?(?P<rest>[^\s?#'"<>]*)"""
    r"""(?P<query>\?[^\s#'"<>]*)?(?P<fragment>\#[^\s'"<>]*)?"""
)
# A phone number in E.164, also URL-encoded (%2B...) in a request line with no scheme: Twilio's error texts
# ("The 'To' number +44...") and its client's request logs name the caller, and Voice never logs a number.
_NUMBER = re.compile(r"(?:\+|%2[Bb])\d{7,15}\b")
NUMBER_REDACTED = "[number]"
_DONE = "_voice_redacted"


def _url(m: re.Match[str]) -> str:
    out = m["scheme"] + m["rest"]
    if m["query"] and len(m["query"]) > 1:
        out += "?" + REDACTED
    if m["fragment"] and len(m["fragment"]) > 1:
        out += "#" + REDACTED
    return out


def redact(text: str) -> str:
    """``text`` with every URL's userinfo dropped and its query string and fragment replaced:
    ``https://user:pw@host/p?X-Amz-Signature=...`` -> ``https://host/p?[redacted]``; and every phone number
    (``+447700900123``, ``%2B447700900123``) replaced by ``[number]``."""
    if "://" in text:
        text = _URL.sub(_url, text)
    return _NUMBER.sub(NUMBER_REDACTED, text) if "+" in text or "%2" in text else text


def redact_path(target: str) -> str:
    """A request target (``/v1/voicemails?caller=...``) without its query string."""
    path, sep, query = target.partition("?")
    return f"{path}?{REDACTED}" if sep and query else path


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite ``record`` in place (once): its message, exception and stack text."""
    if getattr(record, _DONE, False):
        return record
    setattr(record, _DONE, True)
    args = record.args
    if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        # (client, method, path with query, http version, status): uvicorn's AccessFormatter unpacks them.
        record.args = (*args[:2], redact_path(str(args[2])), *args[3:])
        return record
    # The finished message, not its parts: a URL may be split between the format string and its arguments
    # (its "?%s" in one, its token in the other), and a format string changed before formatting no longer
    # matches its arguments.
    try:
        message = record.getMessage()
    except Exception:  # the caller's format and arguments do not match: keep both, as text, for a line
        message = f"{record.msg} {args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactFilter(logging.Filter):
    """Redacts URLs in each record that passes (put it on handlers: a logger's filters do not see records
    that propagate from its children)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_factory_installed = False


def _install_factory() -> None:
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    return [h for lg in loggers for h in lg.handlers]


def setup(level: str | int | None = None) -> None:
    """Redact every record this process logs; with ``level``, also log to stderr at that level when nothing
    else configured the root logger (as logging.basicConfig would). Safe to call more than once."""
    _install_factory()
    if level is not None:
        root = logging.getLogger()
        if not root.handlers:
            stderr = logging.StreamHandler(sys.stderr)
            stderr.setFormatter(logging.Formatter(FORMAT))
            root.addHandler(stderr)
            root.setLevel(level)
    for handler in _handlers():
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())
