"""Hostile values at the edge, on the app in process with SQLite and through a real `voice serve` on
PostgreSQL (issue 17, items 14-16): control characters (NUL above all: PostgreSQL refuses it in text), NaN
and Infinity, and nesting too deep for Python's recursion, in every kind of input: JSON fields, list
filters, path parameters, a cursor, a Twilio form. Each must be refused with 422 and a readable reason;
none may answer 500 or be stored."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from api.edge import EdgeCheck, invalid_request
from api.limits import BodyLimit
from tests.support.app import app_settings, local_server
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.serve import VoiceServer, make_server
from tests.support.services import temp_postgres
from tests.support.speech import clip_path

MEDIA = "http://127.0.0.1:9/2010-04-01/"  # a Twilio media prefix nothing listens on: no worker runs here
DEEP = "[" * 3000 + "]" * 3000
TWILIO = "/v1/integrations/twilio/recording"


@dataclass
class Edge:
    api: httpx.Client  # on the server's base URL (a TestClient in process), following no redirects
    url: str  # that base URL, which Twilio signs
    admin: dict[str, str]  # an admin key's headers
    get: Callable[[str], dict]  # a voicemail as the API shows it
    vm_id: str  # a voicemail to PATCH
    inbox: httpx.Client  # signed in as an agent

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.admin, **kw.pop("headers", {})}
        return self.api.request(method, path, headers=headers, **kw)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:300]
    return m.group(1)


ACCOUNTS = [{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "api_key_name": "twilio-owner"}]


def _in_process(stack: contextlib.ExitStack, tmp: Path) -> Edge:
    """The app in process on SQLite (api tier), no worker: the edge, the routes and the inbox as served."""
    twilio = {"accounts": ACCOUNTS, "media_prefixes": [MEDIA]}
    settings = app_settings(tmp / "data", limits={"requests_per_minute": 100000}, twilio=twilio)
    server = stack.enter_context(local_server(settings))
    app = server.client.app

    def client() -> TestClient:  # another client of the running app (its lifespan is the server's)
        made = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
        stack.callback(made.close)
        return made

    vm_id = server.post_url("http://127.0.0.1:9/a.wav", mailbox="sales")
    server.create_user("ed", "edge case horse", "agent")
    inbox = client()
    return Edge(client(), str(inbox.base_url).rstrip("/"), server.headers(), server.get, vm_id, inbox)


def _real_server(stack: contextlib.ExitStack, tmp: Path) -> Edge:
    """A real `voice serve --no-worker` on a fresh PostgreSQL database (e2e)."""
    env = {
        "VOICE_LIMITS__REQUESTS_PER_MINUTE": "100000",
        "VOICE_TWILIO__ACCOUNTS": json.dumps(ACCOUNTS),
        "VOICE_TWILIO__MEDIA_PREFIXES": json.dumps([MEDIA]),
        "VOICE_DATABASE_URL": stack.enter_context(temp_postgres("voice_edge")),
    }
    server = make_server(tmp, **env)
    server.serve_args = ("--no-worker",)
    server.start()
    stack.callback(server.stop)
    vm_id = server.post_url("http://127.0.0.1:9/a.wav", mailbox="sales")
    server.cli("users", "create", "ed", "--role", "agent", "--password-stdin", input="edge case horse\n")
    inbox = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
    api = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
    return Edge(api, server.url, server.headers(), server.get, vm_id, inbox)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def edge(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    with contextlib.ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"edge-{request.param}")
        made = (_in_process if request.param == "sqlite" else _real_server)(stack, tmp)
        inbox = made.inbox
        page = inbox.get("/login")
        form = {"username": "ed", "password": "edge case horse", "next": "/", "csrf_token": _csrf(page.text)}
        assert inbox.post("/login", data=form).status_code == 303
        yield made


def _vm(**fields: Any) -> dict[str, Any]:
    """A valid voicemail post with ``fields`` (call.* for the call record) changed."""
    body: dict[str, Any] = {"audio_url": f"http://127.0.0.1:9/{uuid.uuid4().hex}.wav", "call": {}}
    for name, value in fields.items():
        if name.startswith("call."):
            body["call"][name[5:]] = value
        else:
            body[name] = value
    return body


def _refused(r: httpx.Response, why: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:500])
    detail = r.json()["detail"]
    assert why in json.dumps(detail), detail


NUL = "a\x00b"
# (method, path, request arguments): one hostile string in each kind of input. {vm} is a real voicemail.
CONTROL_CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "json audio_url": ("POST", "/v1/voicemails", {"json": _vm(audio_url=f"http://127.0.0.1:9/{NUL}.wav")}),
    "json mailbox": ("POST", "/v1/voicemails", {"json": _vm(**{"call.mailbox": NUL})}),
    "json from": ("POST", "/v1/voicemails", {"json": _vm(**{"call.from": "+1212\x00555"})}),
    "json to": ("POST", "/v1/voicemails", {"json": _vm(**{"call.to": "+1212\x00555"})}),
    "json external id": ("POST", "/v1/voicemails", {"json": _vm(**{"call.external_id": NUL})}),
    "json source": ("POST", "/v1/voicemails", {"json": _vm(**{"call.source": NUL})}),
    "json metadata value": ("POST", "/v1/voicemails", {"json": _vm(**{"call.metadata": {"k": NUL}})}),
    "json metadata key": ("POST", "/v1/voicemails", {"json": _vm(**{"call.metadata": {NUL: 1}})}),
    "json escape char": ("POST", "/v1/voicemails", {"json": _vm(**{"call.mailbox": "sa\x1b[31mles"})}),
    "json lone surrogate": (
        "POST",
        "/v1/voicemails",
        {"content": b'{"audio_url": "http://127.0.0.1:9/x.wav", "call": {"mailbox": "\\ud800"}}'},
    ),
    "json recording id": ("POST", "/v1/voicemails", {"json": _vm(recording_id=NUL)}),
    "json language": ("POST", "/v1/voicemails", {"json": _vm(language="e\x00")}),
    "json callback_url": ("POST", "/v1/voicemails", {"json": _vm(callback_url=f"http://127.0.0.1:9/{NUL}")}),
    "json as text/plain": (
        "POST",
        "/v1/voicemails",
        {"content": json.dumps(_vm(**{"call.mailbox": NUL})), "headers": {"content-type": "text/plain"}},
    ),
    "patch assignee": ("PATCH", "/v1/voicemails/{vm}", {"json": {"assignee": NUL}}),
    "erasure caller": ("POST", "/v1/erasures", {"json": {"caller": "+1555\x000134", "dry_run": True}}),
    "key name": ("POST", "/v1/keys", {"json": {"name": NUL, "role": "ingest"}}),
    "run mailbox": ("POST", "/v1/reprocess-runs", {"json": {"mailbox": NUL, "dry_run": True}}),
    "run ids": ("POST", "/v1/reprocess-runs", {"json": {"ids": [NUL], "dry_run": True}}),
    "filter mailbox": ("GET", "/v1/voicemails", {"params": {"mailbox": NUL}}),
    "filter caller": ("GET", "/v1/voicemails", {"params": {"caller": "+1555\x000134"}}),
    "filter language": ("GET", "/v1/voicemails", {"params": {"language": NUL}}),
    "filter search": ("GET", "/v1/voicemails", {"params": {"q": NUL}}),
    "filter newline": ("GET", "/v1/voicemails", {"params": {"mailbox": "sales\nx"}}),
    "audit actor": ("GET", "/v1/audit", {"params": {"actor": NUL}}),
    "audit voicemail": ("GET", "/v1/audit", {"params": {"voicemail_id": NUL}}),
    "path voicemail": ("GET", "/v1/voicemails/ab%00cd", {}),
    "path revisions": ("GET", "/v1/voicemails/ab%00cd/revisions", {}),
    "path webhooks": ("GET", "/v1/voicemails/ab%00cd/webhooks", {}),
    "path call": ("GET", "/v1/calls/ab%00cd", {}),
    "path key": ("DELETE", "/v1/keys/ab%00cd", {}),
    "path run": ("GET", "/v1/reprocess-runs/ab%00cd", {}),
}


@pytest.mark.parametrize("case", list(CONTROL_CASES))
def test_control_characters_are_refused(edge: Edge, case: str) -> None:
    method, path, kw = CONTROL_CASES[case]
    r = edge.send(method, path.format(vm=edge.vm_id), **kw)
    _refused(r, "control character" if "surrogate" not in case else "surrogate")


def _twilio(edge: Edge, **fields: str) -> httpx.Response:
    sid = "RE" + uuid.uuid4().hex
    params = {
        "AccountSid": TWILIO_SID,
        "CallSid": "CA" + uuid.uuid4().hex,
        "RecordingSid": sid,
        "RecordingUrl": f"{MEDIA}Accounts/{TWILIO_SID}/Recordings/{sid}",
        "RecordingStatus": "completed",
        "RecordingDuration": "3",
        "From": "+12125550134",
        "To": "+12125550100",
        **fields,
    }
    url = edge.url + TWILIO
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return edge.api.post(TWILIO, data=params, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("field", ["From", "To", "CallSid", "RecordingSid"])
def test_twilio_form_with_a_nul_is_refused(edge: Edge, field: str) -> None:
    assert _twilio(edge).status_code == 200  # the same callback, signed, without the NUL
    _refused(_twilio(edge, **{field: "sip:alice\x00@example.com"}), "control character")


def test_inbox_filters_and_forms_refuse_control_characters(edge: Edge) -> None:
    _refused(edge.inbox.get("/", params={"mailbox": NUL}), "control character")
    _refused(edge.inbox.get("/", params={"q": NUL}), "control character")
    page = edge.inbox.get(f"/voicemails/{edge.vm_id}")
    assert page.status_code == 200
    form = {"assignee": NUL, "csrf_token": _csrf(page.text)}
    _refused(edge.inbox.post(f"/voicemails/{edge.vm_id}/assign", data=form), "control character")
    assert edge.get(edge.vm_id)["assignee"] is None


NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999"]


@pytest.mark.parametrize("number", NUMBERS)
def test_non_finite_numbers_are_refused(edge: Edge, number: str) -> None:
    def raw(body: str) -> bytes:
        return body.replace('"NUMBER"', number).encode()

    posts = [
        ("/v1/voicemails", raw(json.dumps(_vm(**{"call.duration_s": "NUMBER"})))),
        ("/v1/voicemails", raw(json.dumps(_vm(audio_url="NUMBER")))),  # a number where text belongs
        ("/v1/voicemails", raw(json.dumps(_vm(**{"call.metadata": {"score": "NUMBER"}})))),
        ("/v1/reprocess-runs", raw(json.dumps({"confidence_below": "NUMBER", "dry_run": True}))),
        ("/v1/reprocess-runs", raw(json.dumps({"rate_per_min": "NUMBER", "dry_run": True}))),
        ("/v1/erasures", raw(json.dumps({"caller": "NUMBER"}))),
    ]
    for path, body in posts:
        r = edge.send("POST", path, content=body, headers={"content-type": "application/json"})
        _refused(r, "finite")
    listed = edge.send("GET", "/v1/voicemails", params={"limit": 500}).json()["items"]
    assert all(vm["duration_s"] is None or vm["duration_s"] < 1e300 for vm in listed)


def test_huge_integers_are_refused(edge: Edge) -> None:
    # More digits than Python converts (4,300): json raises a ValueError that is not a JSONDecodeError.
    body = json.dumps(_vm(**{"call.duration_s": "NUMBER"})).replace('"NUMBER"', "9" * 5000)
    r = edge.send("POST", "/v1/voicemails", content=body, headers={"content-type": "application/json"})
    _refused(r, "JSON")


def test_json_that_is_not_utf8_is_refused(edge: Edge) -> None:
    # FastAPI answered an undocumented 400 ("There was an error parsing the body").
    for path in ("/v1/voicemails/{vm}", "/v1/erasures", "/v1/keys"):
        method = "PATCH" if "{vm}" in path else "POST"
        r = edge.send(method, path.format(vm=edge.vm_id), content=b'{"a": "\xc3(o\x0c"}',
                      headers={"content-type": "application/json"})  # fmt: skip
        _refused(r, "not UTF-8")


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _deep_metadata(levels: int) -> str:
    return json.dumps(_vm(**{"call.metadata": {"x": "DEEP"}})).replace('"DEEP"', "[" * levels + "]" * levels)


DEEP_BODIES = {"body": DEEP, "metadata": _deep_metadata(3000), "metadata 40 deep": _deep_metadata(40)}


@pytest.mark.parametrize("name", list(DEEP_BODIES))
def test_deep_json_is_refused(edge: Edge, name: str) -> None:
    body = DEEP_BODIES[name]
    r = edge.send("POST", "/v1/voicemails", content=body, headers={"content-type": "application/json"})
    _refused(r, "nested deeper")


CURSORS = {
    "3,000 deep": _cursor(DEEP),
    "NUL in the id": _cursor(json.dumps(["2026-11-23T09:15:00", "ab\x00cd", 1.0])),
    "NaN priority": _cursor('["2026-11-23T09:15:00", "abcd", NaN]'),
    "huge priority": _cursor('["2026-11-23T09:15:00", "abcd", 1' + "0" * 400 + "]"),
    "not base64": "%%%%",
}


@pytest.mark.parametrize("name", list(CURSORS))
def test_hand_made_cursors(edge: Edge, name: str) -> None:
    _refused(edge.send("GET", "/v1/voicemails", params={"cursor": CURSORS[name]}), "cursor")
    # The inbox starts again from the top for a cursor it did not give out, as for a stale one.
    for sort in ("newest", "priority"):
        page = edge.inbox.get("/", params={"cursor": CURSORS[name], "sort": sort})
        assert page.status_code == 200 and edge.vm_id in page.text, page.text[:300]


# The middleware and the 422 handler on their own: what a real HTTP parser would not let through.


def _asgi(app: Any, scope: dict[str, Any], chunks: list[bytes]) -> tuple[int, bytes]:
    """One request through an ASGI app; the body in ``chunks``, then a disconnect."""
    last = len(chunks) - 1
    messages = [{"type": "http.request", "body": c, "more_body": i < last} for i, c in enumerate(chunks)]
    messages.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    base = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}
    asyncio.run(app({**base, **scope}, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def _echo() -> tuple[Any, list[Any]]:
    """An app that reads the whole body, then waits for the disconnect, and answers with the body."""
    seen: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append((body, (await receive())["type"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app, seen


def test_edge_replays_the_body_unchanged_then_the_disconnect() -> None:
    app, seen = _echo()
    body = json.dumps(_vm(**{"call.mailbox": "sales", "call.metadata": {"note": "line one\nline two\t"}}))
    headers = [(b"content-type", b"application/json")]
    status, answer = _asgi(EdgeCheck(app), {"headers": headers}, [body[:10].encode(), body[10:].encode()])
    assert (status, answer) == (200, body.encode()) and seen == [(body.encode(), "http.disconnect")]
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    assert _asgi(EdgeCheck(app), {"headers": form}, [b"a=1&b=%0Aok"])[0] == 200  # a newline in a value
    assert _asgi(EdgeCheck(app), {"headers": form}, [b"a=1&b=%00"])[0] == 422
    upload = [(b"content-type", b"multipart/form-data; boundary=x")]
    assert _asgi(EdgeCheck(app), {"headers": upload}, [b"\x00 left to the route"])[0] == 200
    assert _asgi(EdgeCheck(app), {"headers": headers}, [b"not json \x00"])[0] == 200  # the route answers


@pytest.mark.parametrize(
    "scope",
    [
        {"headers": [(b"idempotency-key", b"abc\x00")]},
        {"headers": [(b"x-anything", b"a\x1bb")]},
        {"path": "/v1/voicemails/a\x7fb", "method": "GET"},
        {"query_string": b"mailbox=%01", "method": "GET"},
        {"query_string": b"a%00=1", "method": "GET"},
    ],
)
def test_edge_refuses_control_characters_a_parser_might_pass(scope: dict[str, Any]) -> None:
    app, seen = _echo()
    status, answer = _asgi(EdgeCheck(app), scope, [b""])
    assert status == 422 and "control character" in json.loads(answer)["detail"] and not seen


def test_validation_errors_can_always_be_encoded() -> None:
    # FastAPI's own handler echoes each input: a NaN or a lone surrogate made its 422 a 500.
    hostile = {"n": math.nan, "s": "\ud800", "i": -math.inf}
    exc = RequestValidationError([{"type": "x", "loc": ("body", "a"), "msg": "bad", "input": hostile}])
    response = asyncio.run(invalid_request(None, exc))  # type: ignore[arg-type]
    assert response.status_code == 422
    assert json.loads(response.body)["detail"][0]["input"] == {"n": "nan", "s": "\\ud800", "i": "-inf"}


def test_openai_transcription_fields(voice_server: VoiceServer) -> None:
    # A multilingual model and a language it lacks was a 500; control characters reached the engine.
    clip = clip_path("en_arctic_a0024").read_bytes()
    for fields, param in [
        ({"model": "base", "language": "zz"}, "language"),
        ({"model": "base", "language": "e\x00"}, "language"),
        ({"model": "whisper-1", "prompt": "a\x00b"}, "prompt"),
        ({"model": "whisper\n1"}, "model"),
    ]:
        r = httpx.post(
            f"{voice_server.url}/v1/audio/transcriptions",
            files={"file": ("a.flac", clip)},
            data=fields,
            headers=voice_server.headers(),
            timeout=120,
        )
        assert r.status_code == 400, (fields, r.status_code, r.text[:300])
        assert r.json()["error"]["param"] == param


@pytest.mark.parametrize("declared", ["9" * 5000, "\u00b2", "12" * 10])
def test_body_limit_reads_any_declared_length(declared: str) -> None:
    # An ASGI client is not held to HTTP's grammar: int() of 5,000 digits or of "²" raised ValueError.
    app, _ = _echo()
    headers = [(b"content-length", declared.encode("latin-1"))]
    limited = BodyLimit(EdgeCheck(app), max_body_bytes=100, max_upload_bytes=100)
    status, _ = _asgi(limited, {"headers": headers}, [b"{}"])
    assert status == (200 if declared == "\u00b2" else 413)


@pytest.mark.parametrize("content_type", ["multipart/mixed", "Multipart/Form-Data", "text/plain"])
def test_a_json_body_under_another_content_type_is_still_checked(edge: Edge, content_type: str) -> None:
    """The JSON ingest route parses every body that is not an upload, so the edge must check every such body,
    whatever its content type claims (multipart/mixed and a capitalised multipart/form-data got through)."""
    body = json.dumps(_vm(**{"call.mailbox": "m\u0000", "call.duration_s": 1.0})).replace("1.0", "NaN")
    if content_type.lower().startswith("multipart/form-data"):
        # An upload whatever its case: the route parses it as one, and its fields are checked there.
        r = edge.send("POST", "/v1/voicemails", content=body, headers={"Content-Type": content_type})
        assert r.status_code == 422, r.text
        return
    r = edge.send("POST", "/v1/voicemails", content=body, headers={"Content-Type": content_type})
    _refused(r, "not a number JSON allows")


def test_a_form_with_more_fields_than_any_of_ours_is_refused(edge: Edge) -> None:
    """Python's parse_qsl has no field cap (Starlette's parser stops at 1,000): 340k fields cost 0.45 s of the
    event loop each before this cap."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = edge.send("POST", "/login", content="a=&" * 5000, headers=form)
    _refused(r, "more than 1000 fields")


def test_only_upload_routes_take_the_upload_allowance(edge: Edge) -> None:
    """A multipart body to a route that takes no upload is held to the body limit (1 MB), not 50 MB."""
    part = b'--b0\r\nContent-Disposition: form-data; name="x"\r\n\r\n'
    big = part + b"a" * (2 * 1024 * 1024) + b"\r\n--b0--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=b0"}
    assert edge.send("POST", "/login", content=big, headers=headers).status_code == 413
    assert edge.send("POST", TWILIO, content=big, headers=headers).status_code == 413
