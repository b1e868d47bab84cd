"""One check at the edge, before any route runs, so no route can forget it: a request whose path, query,
headers or (JSON or form) body holds a control character, a non-finite number or nesting deeper than
inputs.MAX_DEPTH is refused with 422 and a reason. PostgreSQL refuses NUL in text (a 500 if it gets that far),
NaN cannot be encoded back into a response, and deep nesting overflows Python's recursion.

A pure ASGI middleware (BaseHTTPMiddleware costs a task and a stream per request on the JSON ingest path).
Multipart bodies pass untouched: the routes that read uploads check their own fields with voice.core.inputs.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import is_upload, send_error
from voice.core import inputs

# Raw header bytes: C0 controls but tab, and DEL (the HTTP parser refuses most; an ASGI client may not).
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_CHECK_INLINE_BYTES = 64 * 1024
_MAX_FORM_FIELDS = 1000  # as Starlette's own form parser


def check_target(scope: Scope) -> None:
    """The path, the query's names and values, and the header values: InputError if one is hostile."""
    inputs.check_text(scope["path"], "the path", one_line=True)
    query: bytes = scope.get("query_string", b"")
    if query:
        # As Starlette decodes it for the routes: UTF-8, undecodable bytes replaced.
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            inputs.check_text(name, "a query parameter's name", one_line=True)
            inputs.check_text(value, f"the query parameter {name!r}", one_line=True)
    for name, value in scope["headers"]:
        if _HEADER_CONTROL.search(value):
            raise inputs.InputError(f"the {name.decode('latin-1')} header contains a control character")


def check_body(body: bytes, content_type: str) -> None:
    """A JSON or urlencoded body: InputError if it holds a hostile value. Text that is not JSON passes
    (the route answers for it). Any body is read as JSON if it is JSON, whatever its content type says,
    because the JSON ingest route parses every body that is not multipart."""
    if not body:
        return
    form = content_type.startswith("application/x-www-form-urlencoded")
    if form:
        try:
            text = body.decode("latin-1")
            fields = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS)
        except ValueError as exc:  # more fields than any form of ours has
            raise inputs.InputError(f"the form has more than {_MAX_FORM_FIELDS} fields") from exc
        for name, value in fields:
            inputs.check_text(name, "a form field's name", one_line=True)
            inputs.check_text(value, f"the form field {name!r}")
    if not form or body.lstrip()[:1] in (b"{", b"["):
        try:
            inputs.loads(body, "the JSON body")
        except inputs.NotJSON as exc:
            # Not JSON at all: the route answers for it, except text that is not Unicode where JSON is
            # declared, which FastAPI would answer with an undocumented 400.
            if isinstance(exc.__cause__, UnicodeDecodeError) and _declares_json(content_type):
                raise inputs.InputError("the JSON body is not UTF-8 text") from exc


def _declares_json(content_type: str) -> bool:
    """As FastAPI decides to parse a body as JSON: no content type, application/json or application/*+json."""
    media = content_type.split(";")[0].strip()
    return not media or (media.startswith("application/") and media.split("/")[1].split("+")[-1] == "json")


class EdgeCheck:
    """Refuses hostile requests with 422; buffers JSON and form bodies (already capped by BodyLimit, which
    must wrap this middleware) and replays them to the app unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope)
        except inputs.InputError as exc:
            await _refuse(send, str(exc))
            return
        content_type = _header(scope, b"content-type").lower()
        if scope["method"] not in _BODY_METHODS or is_upload(content_type):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        try:
            await _check_body_async(body, content_type)
        except inputs.InputError as exc:
            await _refuse(send, str(exc))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # after the body, the app may wait for the client to disconnect
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client went away before sending it all."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _check_body_async(body: bytes, content_type: str) -> None:
    """check_body; a big body is checked off the event loop, so other requests do not wait for it."""
    if len(body) > _CHECK_INLINE_BYTES:
        await anyio.to_thread.run_sync(check_body, body, content_type)
    else:
        check_body(body, content_type)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


async def _refuse(send: Send, reason: str) -> None:
    await send_error(send, 422, reason)


def encodable(value: Any) -> Any:
    """``value`` with what JSON cannot carry spelt out: non-finite numbers as text, surrogates escaped."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode() if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(v) for v in value]
    return value


async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 for invalid fields, but one that can always be encoded: its default echoes each
    field's input, and a NaN or a lone surrogate there turned the 422 into a 500."""
    return JSONResponse({"detail": encodable(jsonable_encoder(exc.errors()))}, status_code=422)


def install(app: FastAPI) -> None:
    """The handler; the middleware is added by create_app inside BodyLimit (which caps what is buffered)."""
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
