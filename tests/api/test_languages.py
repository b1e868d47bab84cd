"""The languages a voicemail is expected in (issue 19, item 4), on the app in process: the `language`
field takes one code or several (a list, or joined by commas), checked against Whisper's codes and stored
as "en,de"; the pipeline hands the voicemail's own languages, else its mailbox's, to transcription."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from api.schemas import UploadFields, VoicemailIn
from tests.support.app import app_settings, bearer, local_app, local_server, new_key
from tests.support.engine import FIXED_MODEL
from tests.support.speech import clip_path
from voice.storage.models import Voicemail

URL, AUDIO = "/v1/voicemails", "https://x.example/a.wav"


def _hint(sm, vm_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with sm() as session:
        return session.scalar(select(Voicemail.language_hint).where(Voicemail.id == vm_id))


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("en", "en"),
        ("en,es", "en,es"),
        (" DE , en,de", "de,en"),
        (["pt", "ES"], "pt,es"),
        ([], None),
        ("", None),
    ],
)
def test_a_json_post_takes_one_language_or_several(tmp_path: Path, given: object, stored: str | None) -> None:
    with local_app(tmp_path) as (client, sm, _):
        _, key = new_key(sm)
        r = client.post(URL, json={"audio_url": AUDIO, "language": given}, headers=bearer(key))
        assert r.status_code == 202, r.text
        assert _hint(sm, r.json()["id"]) == stored


def test_an_upload_takes_languages_joined_by_commas(tmp_path: Path) -> None:
    with local_app(tmp_path) as (client, sm, _):
        _, key = new_key(sm)
        wav = {"file": ("a.wav", b"RIFF" + b"\0" * 100)}
        r = client.post(URL, files=wav, data={"language": "fr, EN"}, headers=bearer(key))
        assert r.status_code == 202, r.text
        assert _hint(sm, r.json()["id"]) == "fr,en"
        r = client.post(URL, files=wav, data={"language": "fr,xx"}, headers=bearer(key))
        assert r.status_code == 422 and "'xx' is not a language code Whisper knows" in r.text, r.text


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("en,english", "'english' is not a language code Whisper knows"),
        (["en", "zz"], "'zz' is not a language code Whisper knows"),
        (["en", 7], "a list of codes"),
        ({"en": 1}, "a list of codes"),
        (7, "a list of codes"),
        ("en,de,fr,es,pt,it,nl,pl,sv", "at most 8 languages"),
    ],
)
def test_languages_whisper_does_not_know_are_refused_with_the_reason(
    tmp_path: Path, given: object, reason: str
) -> None:
    with local_app(tmp_path) as (client, sm, _):
        _, key = new_key(sm)
        r = client.post(URL, json={"audio_url": AUDIO, "language": given}, headers=bearer(key))
        assert r.status_code == 422 and reason in r.text, r.text
        with sm() as session:
            assert session.scalar(select(Voicemail.id)) is None  # nothing stored


def test_the_schema_shows_the_language_list() -> None:
    for model in (VoicemailIn, UploadFields):
        field = model.model_json_schema()["properties"]["language"]
        kinds = {json.dumps(option, sort_keys=True) for option in field["anyOf"]}
        assert '{"type": "string"}' in kinds and any('"array"' in k for k in kinds), field
        assert "joined by commas" in field["description"]


def test_the_voicemail_or_its_mailbox_names_the_language_it_is_transcribed_in(tmp_path: Path) -> None:
    transcription = {"model": FIXED_MODEL, "allow_download": False, "mailbox_languages": {"ventas": ["es"]}}
    settings = app_settings(tmp_path / "data", worker=True, transcription=transcription)
    clip = clip_path("en_arctic_a0024").read_bytes()
    with local_server(settings) as app:
        key = app.create_key("ingest")["key"]

        def transcribed(**fields: str) -> str:
            call = json.dumps({"mailbox": fields.pop("mailbox")}) if "mailbox" in fields else "{}"
            files = {"file": ("a.flac", clip)}
            r = app.client.post(URL, files=files, data={"call": call, **fields}, headers=bearer(key))
            assert r.status_code == 202, r.text
            vm = app.wait(r.json()["id"])
            assert vm["status"] == "done", vm
            return str(vm["transcript"]["language"])

        assert transcribed(mailbox="ventas") == "es"  # the mailbox's one language is forced
        assert transcribed(mailbox="ventas", language="de") == "de"  # the voicemail's own wins
        assert transcribed(mailbox="sales") == "en"  # no list: detection (this engine says en)


def test_a_reprocess_keeps_transcribing_in_the_mailboxs_language(tmp_path: Path) -> None:
    """A reprocess run reads the languages as the pipeline does (the voicemail's own, else its mailbox's)."""
    transcription = {"model": FIXED_MODEL, "allow_download": False, "mailbox_languages": {"ventas": ["es"]}}
    settings = app_settings(tmp_path / "data", worker=True, transcription=transcription)
    with local_server(settings) as app:
        key = app.create_key("ingest")["key"]
        files = {"file": ("a.flac", clip_path("en_arctic_a0024").read_bytes())}
        call = json.dumps({"mailbox": "ventas"})
        r = app.client.post(URL, files=files, data={"call": call}, headers=bearer(key))
        assert r.status_code == 202, r.text
        vm_id = r.json()["id"]
        assert app.wait(vm_id)["transcript"]["language"] == "es"

        r = app.client.post(f"{URL}/{vm_id}/reprocess", headers=app.headers())
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 60
        while app.get(vm_id)["transcript"]["revision"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        again = app.get(vm_id)["transcript"]
        assert (again["revision"], again["language"]) == (2, "es"), again
