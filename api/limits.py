"""Request body limits (413): uploads up to api.max_upload_bytes, anything else limits.max_body_bytes."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_OVERHEAD = 64 * 1024  # the multipart framing and small fields around an upload
# Only these take an upload's allowance; a multipart body anywhere else (a page form, the Twilio callback) is
# held to the body limit, so an unauthenticated client cannot make them read 50 MB before refusing it.
UPLOAD_ROUTES = frozenset({("POST", "/v1/voicemails"), ("POST", "/v1/audio/transcriptions")})


def is_upload(content_type: str) -> bool:
    """As the routes and the edge check must all agree: the media type is multipart/form-data, in any case."""
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


class BodyLimit:
    """A declared length over the limit is refused before a byte is read; a chunked body is counted as it
    arrives and cut off at the limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app, self.max_body, self.max_upload = app, max_body_bytes, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        route = (scope["method"], scope["path"])
        upload = is_upload(headers.get("content-type", "")) and route in UPLOAD_ROUTES
        limit = self.max_upload + FORM_OVERHEAD if upload else self.max_body
        declared = headers.get("content-length", "")
        # ASCII digits only ("²".isdigit() is true), and no int() of thousands of digits (a ValueError).
        if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the request body is larger than {limit} bytes")
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except HTTPException as exc:  # raised from the body read outside any handler
            if exc.status_code != 413 or started:
                raise
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    await send_error(send, 413, f"the request body is larger than {limit} bytes")


async def send_error(send: Send, status: int, detail: str) -> None:
    """A JSON error answer ``{"detail": ...}`` from middleware, before any route or handler runs."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
