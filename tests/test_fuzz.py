"""Schemathesis against /openapi.json of a real server, with valid admin credentials, every endpoint: no
500s, and no response that breaks its own schema. `python -m bench.fuzz` runs many more cases."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import just
from schemathesis import checks

from tests.conftest import VoiceServer, make_server

EXAMPLES = int(os.environ.get("VOICE_FUZZ_EXAMPLES", "12"))  # per operation: a few hundred cases in all
# No 500, and every response as its own schema says: status code, content type, headers and body.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    # Its own data: what the fuzzer creates, erases and reprocesses touches no other test.
    server = make_server(tmp_path_factory.mktemp("fuzz"), VOICE_LIMITS__REQUESTS_PER_MINUTE="100000")
    server.start()
    yield server
    server.stop()


def test_every_operation(fuzz_server: VoiceServer) -> None:
    # Operations are walked here rather than with schemathesis' pytest plugin, whose fixture support needs
    # a pytest internal that pytest 9 removed.
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    cases: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"

        @given(case=operation.as_strategy(), label=just(label))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case, label: str) -> None:
            cases[label] = cases.get(label, 0) + 1
            case.call_and_validate(headers=fuzz_server.headers(), checks=CHECKS)

        run()
    print(f"schemathesis: {sum(cases.values())} cases over {len(cases)} operations")
    assert len(cases) >= 20 and sum(cases.values()) >= 8 * len(cases), cases
