"""A local JSON API server the CRM fakes (zendesk_server.py, hubspot_server.py) are built on: routes by method
and path pattern, a record of every request, and faults a test plans: the next N matching requests answer an
error code, or are carried out and then dropped without an answer (a crash between the CRM's write and
Voice storing its id looks like that from Voice's side)."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

DROP = "drop"  # do the work, then close the connection without an answer


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    method: str
    path: str  # a regular expression the whole path matches
    outcome: int | str  # an HTTP status (with the API's own error body) or DROP


# (status, JSON body, extra headers)
Answer = tuple[int, Any, dict[str, str]]
Handler = Callable[[Request, re.Match[str]], Answer]


@dataclass
class JsonServer:
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def fail(self, method: str, path: str, *outcomes: int | str) -> None:
        """The next matching requests get these outcomes, one each, in order."""
        self.faults += [Fault(method, path, o) for o in outcomes]

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path, r.path)]

    # What the API answers for a refusal, and whether the caller is let in: each fake says.
    def error(self, status: int, message: str) -> Any:
        return {"error": message}

    def authorised(self, headers: dict[str, str]) -> bool:
        return True

    def _fault(self, method: str, path: str) -> int | str | None:
        for i, fault in enumerate(self.faults):
            if fault.method == method and re.fullmatch(fault.path, path):
                del self.faults[i]
                return fault.outcome
        return None

    def handle(self, request: Request) -> Answer | None:
        """The answer; None to drop the connection."""
        with self.lock:
            self.requests.append(request)
            if not self.authorised(request.headers):
                return 401, self.error(401, "Couldn't authenticate you"), {}
            outcome = self._fault(request.method, request.path)
            if isinstance(outcome, int):
                return outcome, self.error(outcome, f"planned failure {outcome}"), {}
            for method, pattern, handler in self.routes:
                match = pattern.fullmatch(request.path)
                if method == request.method and match:
                    answer = handler(request, match)
                    return None if outcome == DROP else answer
            return 404, self.error(404, "InvalidEndpoint"), {}


@contextlib.contextmanager
def serve(server: JsonServer) -> Iterator[JsonServer]:
    """``server`` listening on loopback until the block ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = server.handle(Request(self.command, parts.path, query, headers, body))
            if answer is None:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, payload, extra = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
