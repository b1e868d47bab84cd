"""/v1/audio/transcriptions driven by the official openai SDK: every response_format on a real server with
real speech; errors and limits in OpenAI's shape on the app in process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.audio import encode
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer

CLIP = "en_ls_1995-1837-0001"


@pytest.fixture(scope="module")
def client(voice_server: VoiceServer) -> openai.OpenAI:
    key = voice_server.create_key("ingest", "openai-sdk")["key"]
    return openai.OpenAI(base_url=voice_server.url + "/v1", api_key=key, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode(clip_path(CLIP), tmp_path_factory.mktemp("oa") / "clip.mp3", "-c:a", "libmp3lame")


def test_json_and_text(client: openai.OpenAI, audio: Path) -> None:
    with audio.open("rb") as fh:
        result = client.audio.transcriptions.create(model="whisper-1", file=fh)
    assert wer(reference(CLIP), result.text) < 0.2
    with audio.open("rb") as fh:
        text = client.audio.transcriptions.create(model="tiny.en", file=fh, response_format="text")
    assert isinstance(text, str) and wer(reference(CLIP), text) < 0.2


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles(client: openai.OpenAI, audio: Path, fmt: str) -> None:
    with audio.open("rb") as fh:
        subs = client.audio.transcriptions.create(model="whisper-1", file=fh, response_format=fmt)  # type: ignore[call-overload]
    assert isinstance(subs, str)
    sep = "," if fmt == "srt" else r"\."
    cues = re.findall(rf"(\d\d):(\d\d):(\d\d){sep}(\d\d\d) --> (\d\d):(\d\d):(\d\d){sep}(\d\d\d)", subs)
    assert cues, subs
    assert subs.startswith("1\n") if fmt == "srt" else subs.startswith("WEBVTT\n\n")
    last_end = int(cues[-1][6]) + int(cues[-1][7]) / 1000
    assert 6 < last_end < 9.5
    words = re.sub(r"^(WEBVTT|\d+|.*-->.*)$", "", subs, flags=re.M)
    assert wer(reference(CLIP), words) < 0.2


def test_verbose_json_with_words_prompt_and_temperature(client: openai.OpenAI, audio: Path) -> None:
    with audio.open("rb") as fh:
        result = client.audio.transcriptions.create(
            model="whisper-1",
            file=fh,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            language="en",
            prompt="A story read aloud.",
            temperature=0.2,
        )
    assert result.language == "english" and result.duration == pytest.approx(8.73, abs=0.3)
    assert wer(reference(CLIP), result.text) < 0.25
    assert result.segments and result.segments[0].start >= 0 and result.segments[-1].end <= 9.5
    assert result.words and len(result.words) >= 15
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in result.words)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with local_server(app_settings(tmp_path_factory.mktemp("openai") / "data")) as server:
        yield server


def _sdk(app: LocalServer, key: str) -> openai.OpenAI:
    """The official SDK on the app in process: its HTTP client is the app's TestClient."""
    return openai.OpenAI(base_url=app.url + "/v1", api_key=key, max_retries=0, http_client=app.client)


def test_errors_in_openai_shape(app: LocalServer, tmp_path: Path) -> None:
    client = _sdk(app, app.create_key("ingest", "openai-sdk")["key"])
    bad = tmp_path / "notes.wav"
    bad.write_bytes(b"%PDF-1.4 not audio at all" * 100)
    with bad.open("rb") as fh, pytest.raises(openai.BadRequestError) as exc:
        client.audio.transcriptions.create(model="whisper-1", file=fh)
    assert "not audio" in str(exc.value)
    with bad.open("rb") as fh, pytest.raises(openai.NotFoundError) as missing:
        client.audio.transcriptions.create(model="large-v9", file=fh)
    assert "large-v9" in str(missing.value)
    wrong = _sdk(app, "vk_wrong_key")
    with bad.open("rb") as fh, pytest.raises(openai.AuthenticationError):
        wrong.audio.transcriptions.create(model="whisper-1", file=fh)
    assert "whisper-1" in [m.id for m in client.models.list()]


def test_text_fields_are_capped_in_openai_shape(app: LocalServer) -> None:
    """Text fields are held in memory: each is capped at limits.max_body_bytes (1 MB), and their number,
    not at the upload limit (50 MB each)."""
    url = "/v1/audio/transcriptions"
    headers = {"Authorization": f"Bearer {app.create_key('ingest', 'openai-caps')['key']}"}
    files = {"file": ("clip.wav", b"RIFF" + b"\0" * 100, "audio/wav")}
    fields = {"model": "whisper-1", "prompt": "a" * 2_000_000}
    big = app.client.post(url, headers=headers, files=files, data=fields)
    assert big.status_code == 413, big.text
    assert big.json()["error"]["type"] == "invalid_request_error"
    assert "larger than 1048576 bytes" in big.json()["error"]["message"]
    many = app.client.post(url, headers=headers, files=files, data={f"x{i}": "1" for i in range(100)})
    assert many.status_code == 400 and "Too many fields" in many.json()["error"]["message"], many.text
