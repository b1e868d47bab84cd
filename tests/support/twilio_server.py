"""A local server that speaks Twilio's Messages resource as documented (2010-04-01 API), for the
acknowledgement tests: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with a form body (To, From or
MessagingServiceSid, Body, StatusCallback), HTTP basic auth AccountSid:AuthToken, JSON answers shaped like
Twilio's (201 and the message; errors as {code, message, more_info, status}); GET of the same resource lists
messages, newest first, filtered by To and From. It can then POST status callbacks to a message's
StatusCallback, signed as Twilio signs them (RequestValidator.compute_signature over URL + form).

Faults a test plans: the next POSTs answer a status with a Twilio error body, or DROP: the message is made and
the connection closed without an answer (Twilio took it; the sender never learnt its SID)."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import RequestValidator

DROP = "drop"
HANG = "hang"  # the message is made; the answer is held until ``release`` is set, then cut
PREFIX = "/2010-04-01/Accounts/"


@dataclass
class Fault:
    outcome: int | str  # an HTTP status, or DROP
    code: int = 0  # Twilio's error code in the body (e.g. 21211 invalid To)
    message: str = "planned failure"


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    posts: int = 0
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Twilio's clock (date_created): a test with a clock of its own sets it to that time.
    now: datetime | None = None
    release: threading.Event = field(default_factory=threading.Event)
    # Smart Encoding (a Messaging setting): Unicode look-alikes stored as their GSM-7 forms.
    smart_encoding: bool = False

    def fail(self, *faults: Fault) -> None:
        self.faults += faults

    def _error(self, status: int, code: int, message: str) -> dict[str, Any]:
        return {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    def _authorised(self, header: str | None) -> bool:
        token = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {token}"

    def _message(self, form: dict[str, str]) -> dict[str, Any]:
        now = format_datetime(self.now or datetime.now(UTC), usegmt=True)
        sid = "SM" + uuid.uuid4().hex
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": _smart(form.get("Body")) if self.smart_encoding else form.get("Body"),
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"{PREFIX}{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{PREFIX}{self.account_sid}/Messages/{sid}/Media.json"},
            "_status_callback": form.get("StatusCallback"),
        }

    def create(self, form: dict[str, str]) -> tuple[int, dict[str, Any] | None]:
        """(status, body) of a POST; body None: drop the connection."""
        with self.lock:
            self.posts += 1
            fault = self.faults.pop(0) if self.faults else None
            if isinstance(fault, Fault) and isinstance(fault.outcome, int):
                return fault.outcome, self._error(fault.outcome, fault.code, fault.message)
            if not form.get("To") or not form.get("Body"):
                return 400, self._error(
                    400, 21604 if not form.get("To") else 21602, "A 'To' and a 'Body' are required"
                )
            if not (form.get("From") or form.get("MessagingServiceSid")):
                return 400, self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
            message = self._message(form)
            self.messages.append(message)
        if fault is not None and fault.outcome == HANG:
            self.release.wait(120)
        return (201, None if fault is not None else _public(message))

    def listing(self, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            found = [
                _public(m)
                for m in reversed(self.messages)
                if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])
            ]
        size = int(query.get("PageSize", "50"))
        uri = f"{PREFIX}{self.account_sid}/Messages.json?PageSize={size}&Page=0"
        return {
            "messages": found[:size], "page": 0, "page_size": size, "start": 0,
            "end": max(len(found[:size]) - 1, 0),
            "uri": uri, "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
        }  # fmt: skip

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["to"] == number]

    def send_status(
        self, message: dict[str, Any], status: str, error_code: int | None = None
    ) -> httpx.Response:
        """POST the message's status callback, signed with the account's auth token."""
        url, form, headers = self.status_request(message, status, error_code)
        return httpx.post(url, data=form, headers=headers, timeout=10)

    def status_request(
        self, message: dict[str, Any], status: str, error_code: int | None = None
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        """The status callback Twilio would POST for ``message``: (its StatusCallback URL, the form, the
        X-Twilio-Signature header made with the account's auth token)."""
        url = message["_status_callback"]
        form = {
            "AccountSid": self.account_sid, "MessageSid": message["sid"], "SmsSid": message["sid"],
            "MessageStatus": status, "SmsStatus": status, "To": message["to"], "ApiVersion": "2010-04-01",
            "From": message["from"] or "+447700900999",
        }  # fmt: skip
        if message.get("messaging_service_sid"):
            form["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.auth_token).compute_signature(url, form)
        return url, form, {"X-Twilio-Signature": signature}


def _smart(body: str | None) -> str | None:
    """A few of Smart Encoding's substitutions (https://www.twilio.com/docs/messaging/services#smart-encoding)."""
    table = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"}
    return None if body is None else body.translate(str.maketrans(table))


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if not k.startswith("_")}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeTwilio

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _route(self) -> tuple[bool, dict[str, str]] | None:
        parts = urlsplit(self.path)
        if parts.path != f"{PREFIX}{self.fake.account_sid}/Messages.json":
            self._answer(404, self.fake._error(404, 20404, "The requested resource was not found"))
            return None
        if not self.fake._authorised(self.headers.get("Authorization")):
            self._answer(401, self.fake._error(401, 20003, "Authenticate"))
            return None
        return True, {k: v[0] for k, v in parse_qs(parts.query).items()}

    def do_GET(self) -> None:  # noqa: N802
        routed = self._route()
        if routed is not None:
            self._answer(200, self.fake.listing(routed[1]))

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self._route() is None:
            return
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        status, body = self.fake.create(form)
        if body is None:  # made, but no answer: the connection is cut
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._answer(status, body)


@contextlib.contextmanager
def serve(fake: FakeTwilio) -> Iterator[FakeTwilio]:
    """``fake`` listening on loopback until the block ends."""

    handler = type("Handler", (_Handler,), {"fake": fake})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
