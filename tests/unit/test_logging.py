"""Log lines never carry URL secrets: signed audio URLs' tokens, callback tokens, passwords in URLs, or
the API's own query strings (callers' numbers, search words), whichever logger writes them."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.http_servers import AudioServer, WebhookReceiver
from tests.support.serve import VoiceServer
from voice.core import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, formatted the way `voice serve` writes it."""
    logs.setup()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET https://b.s3.amazonaws.com/r.wav?X-Amz-Signature=abc&X-Amz-Credential=AKIA1 done",
         "GET https://b.s3.amazonaws.com/r.wav?[redacted] done"),
        ("https://user:p@ss@host.example:8443/a/b?x=1#frag", "https://host.example:8443/a/b?[redacted]#[redacted]"),
        ("redis://:hunter2@redis:6379/0", "redis://redis:6379/0"),
        ("postgresql+psycopg://voice:pw@postgres:5432/voice", "postgresql+psycopg://postgres:5432/voice"),
        ("'http://127.0.0.1:9/hook?token=t0k' and \"http://h/p?\"", "'http://127.0.0.1:9/hook?[redacted]' and \"http://h/p\""),
        ("no url here ?a=1", "no url here ?a=1"),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"),
    ],
)  # fmt: skip
def test_redact(text: str, expected: str) -> None:
    assert logs.redact(text) == expected


def test_httpx_request_lines(captured: io.StringIO) -> None:
    """httpx's own INFO line for every request, as the fetcher and the webhook sender make them."""
    with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as client:
        client.get(
            "https://rec:pw-secret@audio.example/v/rec.wav?X-Amz-Signature=sig-secret&X-Amz-Credential=AKIA9"
        )
        client.post("https://crm.example/hooks/voice?token=hook-secret", json={})
    out = captured.getvalue()
    assert 'INFO httpx: HTTP Request: GET https://audio.example/v/rec.wav?[redacted] "HTTP/1.1 200 OK"' in out
    assert "POST https://crm.example/hooks/voice?[redacted]" in out
    assert "secret" not in out and "AKIA9" not in out and "rec:" not in out


def test_exceptions_and_arguments(captured: io.StringIO) -> None:
    log = logging.getLogger("voice.test")
    try:
        raise httpx.ConnectError("could not reach https://h.example/a?sig=exc-secret")
    except httpx.ConnectError:
        log.exception("fetch of %s failed", httpx.URL("https://h.example/a?sig=arg-secret"))
    log.info("%(url)s answered %(code)d", {"url": "http://x.example/?k=dict-secret", "code": 503})
    out = captured.getvalue()
    assert "fetch of https://h.example/a?[redacted] failed" in out
    assert "http://x.example/?[redacted] answered 503" in out
    assert "Traceback" in out and "could not reach https://h.example/a?[redacted]" in out
    assert "secret" not in out


def test_a_url_in_the_format_string_with_arguments(captured: io.StringIO) -> None:
    """Redaction works on the finished message: a query string in the format string held a %s that
    redaction removed (the line was lost to "not all arguments converted"), and a URL built from two
    arguments was never seen whole (its token was printed)."""
    log = logging.getLogger("voice.test")
    log.info("calling https://crm.example/hook?vm=%s now", "abc123")
    log.info("webhook to %s?token=%s", "https://h", "fmt-secret")
    log.info("%d%% of %s", 50, "http://q.example/a?x=pct-secret")
    out = captured.getvalue()
    assert "INFO voice.test: calling https://crm.example/hook?[redacted] now\n" in out
    assert "INFO voice.test: webhook to https://h?[redacted]\n" in out
    assert "INFO voice.test: 50% of http://q.example/a?[redacted]\n" in out
    assert "abc123" not in out and "secret" not in out and "Logging error" not in out


def test_a_message_that_cannot_be_formatted_is_kept_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    """A caller's mistake (too few arguments) still gives a line, without the URL's secret."""
    logs.setup()
    record = logging.getLogger("voice.test").makeRecord(
        "voice.test", logging.INFO, __file__, 1, "%s and %s to http://h/?t=bad-secret", ("one",), None
    )
    message = record.getMessage()
    assert "bad-secret" not in message and "http://h/?[redacted]" in message and "one" in message


def test_uvicorn_access_lines_lose_query_strings() -> None:
    """uvicorn's access logger has its own handler and formatter (it unpacks the record's arguments)."""
    from uvicorn.logging import AccessFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    fmt = '%(client_addr)s - "%(request_line)s" %(status_code)s'
    handler.setFormatter(AccessFormatter(fmt, use_colors=False))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    logs.setup()
    try:
        target = "/v1/voicemails?caller=%2B12125550199&q=rent"
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", target, "1.1", 200)
    finally:
        access.removeHandler(handler)
    assert stream.getvalue() == '127.0.0.1:5000 - "GET /v1/voicemails?[redacted] HTTP/1.1" 200 OK\n'


def test_a_real_server_logs_no_url_secrets(
    voice_server: VoiceServer, audio_server: AudioServer, webhook_receiver: WebhookReceiver
) -> None:
    """A real `voice serve` at INFO: it fetches a signed audio URL, posts a webhook to a URL with a token
    and answers a list filtered by a caller's number; none of the secrets reach its log."""
    hook = f"{webhook_receiver.url}/hook?token=cb-SECRET1"
    key = voice_server.create_key("ingest", "log-hooks", webhook_url=hook)
    audio = f"{audio_server.url}/missing-signed.wav?X-Amz-Signature=sig-SECRET2&X-Amz-Credential=AKIASECRET3"
    vm_id = voice_server.post_url(audio, key=key["key"])
    assert voice_server.wait(vm_id)["status"] == "failed"  # the audio server answered 404
    webhook_receiver.wait_for(lambda r: vm_id.encode() in r.body)
    r = httpx.get(
        f"{voice_server.url}/v1/voicemails",
        params={"caller": "+15055550143", "q": "SECRET4"},
        headers=voice_server.headers(),
        timeout=30,
    )
    assert r.status_code == 200
    assert voice_server.log is not None
    log = voice_server.log.read_text()
    assert f"GET {audio_server.url}/missing-signed.wav?[redacted]" in log  # the fetch was logged, redacted
    assert "/hook?[redacted]" in log and '"GET /v1/voicemails?[redacted] HTTP/1.1" 200' in log
    for secret in ("SECRET1", "SECRET2", "SECRET3", "SECRET4", "5055550143"):
        assert secret not in log, [line for line in log.splitlines() if secret in line]


@pytest.mark.e2e
def test_celery_worker_logging() -> None:
    """`voice worker`'s set-up: ours first, then Celery's (task loggers with their own handlers, stdout
    redirected into logging) in a real process."""
    code = """
import logging
import subprocess
import sys
from celery.utils.log import get_task_logger
from voice.core import logs
from voice.worker.celery_app import make_app
from voice.core.config import Settings
logs.setup("INFO")
make_app(Settings()).log.setup(loglevel="INFO", redirect_stdouts=True)
get_task_logger("voice.x").info("fetching https://h.example/a?sig=task-secret")
logging.getLogger("voice.worker").info("broker redis://:pw-secret@r:6379/0")
print("printed https://h.example/p?token=print-secret")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "fetching https://h.example/a?[redacted]" in text and "broker redis://r:6379/0" in text
    assert "printed https://h.example/p?[redacted]" in text and "secret" not in text, text
