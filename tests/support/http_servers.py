"""Local HTTP servers the tests point Voice at: one serving audio files (with paths that fail, redirect,
need Twilio's or a recorder's basic auth), and one receiving webhooks."""

from __future__ import annotations

import base64
import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-for-tests"


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "TestAudio/1"
    calls: dict[str, int]  # path -> requests seen
    auth: str | None = None

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.calls[self.path] = self.calls.get(self.path, 0) + 1
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2])
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/flaky/"):  # 503 twice, then the file
            if self.calls[self.path] <= 2:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.path = "/" + self.path.split("/", 2)[2]
        if self.path.startswith("/redirect-to/"):  # 302 to the rest of the path, taken as a URL
            self.send_response(302)
            self.send_header("Location", self.path.split("/", 2)[2])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/2010-04-01/Accounts/"):  # Twilio's media URLs, with its basic auth
            expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.path = "/" + self.path.rsplit("/", 1)[1]
        if self.path.startswith("/private/"):
            if self.headers.get("Authorization") != self.auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="rec"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.path = "/" + self.path.split("/", 2)[2]
        super().do_GET()


@dataclass
class AudioServer:
    root: Path
    url: str
    calls: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def serve_directory(root: Path, host: str = "127.0.0.1") -> Iterator[AudioServer]:
    """A local HTTP server for audio files (with the test paths /status/, /flaky/, /private/, ...)."""
    calls: dict[str, int] = {}
    handler = type(
        "H", (_Handler,), {"calls": calls, "auth": "Basic " + base64.b64encode(b"rec:s3cret-pw").decode()}
    )

    def factory(*a, **kw):  # type: ignore[no-untyped-def]
        return handler(*a, directory=str(root), **kw)

    server = http.server.ThreadingHTTPServer((host, 0), factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AudioServer(root, f"http://{host}:{server.server_address[1]}", calls)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A local HTTP endpoint that records every POST; paths /fail-N/... answer 500 N times first."""

    url: str
    received: list[Received] = field(default_factory=list)

    def wait_for(self, predicate: object, timeout: float = 120) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in list(self.received) if predicate(r)]  # type: ignore[operator]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no matching webhook after {timeout} s; got {[r.path for r in self.received]}")


@contextlib.contextmanager
def receive_webhooks() -> Iterator[WebhookReceiver]:
    """A WebhookReceiver listening on loopback until the block ends."""
    receiver = WebhookReceiver("")
    counts: dict[str, int] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            counts[self.path] = counts.get(self.path, 0) + 1
            code = 200
            if self.path.startswith("/fail-"):
                code = 500 if counts[self.path] <= int(self.path.split("/")[1][5:]) else 200
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
