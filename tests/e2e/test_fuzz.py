"""Schemathesis against /openapi.json of a real server on SQLite and on PostgreSQL, with valid admin
credentials, every operation: no 500, and no response that breaks its own schema. Two phases:

- schemathesis' own cases, valid and invalid by the schema (its strings include NUL and any code point);
- hostile values put into one input of a valid case: every query and path parameter, every field of each
  JSON, form and multipart body: control characters, huge text, NaN and Infinity, 1e999, 5,000-digit
  integers, JSON nested 40 and 3,000 deep, lone surrogates (issue 17, items 14-16).

`python -m bench.fuzz` runs many more cases.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import just
from schemathesis import GenerationMode, checks

from tests.support.serve import VoiceServer, make_server
from tests.support.services import temp_postgres

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("VOICE_FUZZ_EXAMPLES", "8"))  # per operation and mode
HOSTILE = int(os.environ.get("VOICE_FUZZ_HOSTILE", "16"))  # hostile cases per operation
# No 500, and every response as its own schema says: status code, content type, headers and body.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

TEXT = [
    "\x00",
    "a\x00b",
    "\x1b[2J\x07",
    "\x7f",
    "tab\there",
    "two\nlines\r\n",
    "\u202egnp.exe",
    "x" * 60_000,
    "\U0001f600" * 3_000,
    "",
]
# JSON text put where a value goes: what a JSON encoder will not write, or a parser cannot hold.
RAW = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1" + "0" * 5_000,
    "[" * 40 + "]" * 40,
    "[" * 3_000 + "]" * 3_000,
    '{"a":' * 3_000 + "1" + "}" * 3_000,
    '"\\u0000"',
    '"\\ud800"',
    '"' + "y" * 200_000 + '"',
    '{"\\u0000": 1}',
]
SENTINEL = "\ue000hostile\ue000"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VoiceServer]:
    # Its own data: what the fuzzer creates, erases and reprocesses touches no other test.
    with contextlib.ExitStack() as stack:
        env = {"VOICE_LIMITS__REQUESTS_PER_MINUTE": "100000"}
        if request.param == "postgresql":
            env["VOICE_DATABASE_URL"] = stack.enter_context(temp_postgres("voice_fuzz"))
        server = make_server(tmp_path_factory.mktemp(f"fuzz-{request.param}"), **env)
        server.start()
        stack.callback(server.stop)
        yield server


def _schema(server: VoiceServer) -> Any:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    # The defaults, said out loud: NUL is generated, and any code point UTF-8 can carry.
    schema.config.generation.update(allow_x00=True, codec="utf-8")
    return schema


def _operations(server: VoiceServer) -> Iterator[tuple[str, Any]]:
    for result in _schema(server).get_all_operations():
        operation = result.ok()
        yield f"{operation.method.upper()} {operation.path}", operation


def _settings(examples: int) -> Any:
    return settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )


def test_every_operation(fuzz_server: VoiceServer) -> None:
    # Operations are walked here rather than with schemathesis' pytest plugin, whose fixture support needs
    # a pytest internal that pytest 9 removed.
    cases: dict[str, int] = {}
    failures: dict[str, BaseException] = {}
    for label, operation in _operations(fuzz_server):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode), label=just(label))
            @_settings(EXAMPLES)
            def run(case: schemathesis.Case, label: str) -> None:
                cases[label] = cases.get(label, 0) + 1
                case.call_and_validate(headers=fuzz_server.headers(), checks=CHECKS)

            _collect(run, f"{label} ({mode.value})", failures)
    print(f"schemathesis: {sum(cases.values())} cases over {len(cases)} operations")
    assert not failures, _report(failures)
    assert len(cases) >= 20 and sum(cases.values()) >= 8 * len(cases), cases


def _collect(run: Any, label: str, failures: dict[str, BaseException]) -> None:
    """Run one operation's cases; a failure is kept, so one run reports every operation that fails."""
    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (GET /healthz has no input)
        pass
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports its failures as a group
        failures[label] = exc


def _report(failures: dict[str, BaseException]) -> str:
    return "\n\n".join(f"{label}: {exc}"[:3000] for label, exc in failures.items())


def _fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of a body schema's fields, one level into objects it refers to (call.mailbox)."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    names = []
    for name, prop in schema.get("properties", {}).items():
        names.append(prefix + name)
        inner = prop.get("$ref") or next((a["$ref"] for a in prop.get("anyOf", []) if "$ref" in a), None)
        if inner and not prefix:
            names += _fields(spec, {"$ref": inner}, f"{name}.")
    return names


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for name in parents:
        if not isinstance(body.get(name), dict):
            body[name] = {}
        body = body[name]
    body[last] = value


def _hostile(case: schemathesis.Case, spec: dict[str, Any], data: st.DataObject) -> str:
    """Put one hostile value into one input of ``case``; says where, for the failure report."""
    op = spec["paths"][case.operation.path][case.method.lower()]
    slots = [("path", p["name"]) for p in op.get("parameters", []) if p["in"] == "path"]
    slots += [("query", p["name"]) for p in op.get("parameters", []) if p["in"] == "query"]
    content = op.get("requestBody", {}).get("content", {})
    if case.media_type in content:
        entry = content[case.media_type]
        names = _fields(spec, entry.get("schema", {})) + list(entry.get("example") or {})  # Twilio's form
        slots += [("body", name) for name in dict.fromkeys(names)]
    if not slots:
        return ""
    where, name = data.draw(st.sampled_from(slots), label="input")
    if where in ("path", "query"):
        text = data.draw(st.sampled_from(TEXT[:-3] + ["z" * 3_000]), label="text")
        getattr(case, f"{where}_parameters" if where == "path" else "query")[name] = text
        return f"{where} {name}={text[:20]!r}"
    body = case.body if isinstance(case.body, dict) else {}
    if case.media_type == "multipart/form-data":  # the schema's fields only: extra parts are phase one's
        body = {k: v for k, v in body.items() if any(k == n for _, n in slots)}
    case.body = body
    if case.media_type == "application/json":
        raw = data.draw(st.sampled_from(RAW + [json.dumps(t) for t in TEXT]), label="raw JSON")
        _put(body, name, SENTINEL)
        case.body = json.dumps(body).replace(json.dumps(SENTINEL), raw).encode()
        return f"JSON {name}={raw[:20]}"
    value = data.draw(st.sampled_from(TEXT + RAW), label="text")
    if name == "call":  # the multipart call record is JSON in a text field
        value = data.draw(st.sampled_from([value, '{"mailbox": ' + value + "}"]), label="call")
    if name != "file":
        body[name.split(".")[0]] = value
    return f"{case.media_type} {name}={value[:20]!r}"


def test_hostile_values_in_every_input(fuzz_server: VoiceServer) -> None:
    spec = _schema(fuzz_server).raw_schema
    cases: dict[str, int] = {}
    failures: dict[str, BaseException] = {}
    statuses: dict[int, int] = {}
    for label, operation in _operations(fuzz_server):

        @given(case=operation.as_strategy(), data=st.data(), label=just(label))
        @_settings(HOSTILE)
        def run(case: schemathesis.Case, data: st.DataObject, label: str) -> None:
            if _hostile(case, spec, data):
                cases[label] = cases.get(label, 0) + 1
                response = case.call_and_validate(headers=fuzz_server.headers(), checks=CHECKS)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        _collect(run, label, failures)
    total = sum(cases.values())
    print(f"hostile values: {total} cases over {len(cases)} operations; statuses {sorted(statuses.items())}")
    assert not failures, _report(failures)
    assert len(cases) >= 18, cases
