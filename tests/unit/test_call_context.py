"""One call record, one reading: the CallContext triage gets from (caller id, mailbox, start), shared by the
service, `voice transcribe` and `voice eval triage`; and `voice transcribe`'s NAME.json beside NAME.wav."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import typer
from sqlalchemy.orm import Session, sessionmaker

from voice.cli.transcribe import _call
from voice.core.config import SummarySettings
from voice.storage.models import Voicemail, as_utc
from voice.triage.classify import triage
from voice.triage.context import call_context, parse_start, region_of

SETTINGS = SummarySettings(default_region="US", mailbox_regions={"uk-support": "GB"})
START = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("caller_id", "mailbox", "region"),
    [
        ("+34612345678", None, "ES"),  # the caller id's country
        ("+34612345678", "uk-support", "GB"),  # the mailbox's region wins over the caller id
        (None, "uk-support", "GB"),
        (None, "sales", "US"),  # neither: the default
        ("anonymous", None, "US"),
        ("+80012345678", None, "US"),  # non-geographic: no region of its own
    ],
)
def test_region_from_mailbox_else_caller_else_default(
    caller_id: str | None, mailbox: str | None, region: str
) -> None:
    assert region_of(call_context(caller_id, mailbox, START, SETTINGS)) == region


def test_a_national_number_said_is_read_in_the_callers_region() -> None:
    text = "Hi, it's Tom, please call me back on 07911 123456, thanks."
    uk = triage(text, "en", call_context("+447700900123", None, START, SETTINGS))
    assert uk.callback_number == "+447911123456"
    spanish = "Llámeme al 612 345 678, gracias."
    spain = triage(spanish, "es", call_context("+34612000000", None, START, SETTINGS))
    assert spain.callback_number == "+34612345678"
    fixed = triage(
        "Llámeme al 612 345 678, gracias.", "es", call_context("+34612000000", "uk-support", START, SETTINGS)
    )
    assert fixed.callback_number != "+34612345678"  # the mailbox said GB: a Spanish reading would be a guess


def test_caller_id_in_e164_as_the_api_stores_it() -> None:
    assert call_context("(212) 555-0134", None, START, SETTINGS).caller_id == "+12125550134"
    assert call_context("anonymous", None, START, SETTINGS).caller_id == "anonymous"
    assert call_context("  ", None, START, SETTINGS).caller_id is None


def test_start_in_utc_and_an_implausible_one_gives_way_to_arrival() -> None:
    paris = datetime(2026, 11, 23, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    assert call_context(None, None, paris, SETTINGS).started_at == START
    assert call_context(None, None, datetime(2026, 11, 23, 9, 15), SETTINGS).started_at == START  # naive: UTC
    arrived = datetime(2026, 11, 24, tzinfo=UTC)
    for placeholder in (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)):
        assert call_context(None, None, placeholder, SETTINGS, received_at=arrived).started_at == arrived
    assert call_context(None, None, None, SETTINGS).started_at is None


def test_parse_start() -> None:
    assert parse_start("2026-11-23T09:15:00Z") == START
    assert parse_start("2026-11-23T09:15:00") == START
    assert parse_start(None) is None and parse_start("") is None
    with pytest.raises(ValueError):
        parse_start("monday")


def _wav(tmp_path: Path, record: object | None) -> Path:
    wav = tmp_path / "vm.wav"
    wav.write_bytes(b"")
    if record is not None:
        (tmp_path / "vm.json").write_text(json.dumps(record))
    return wav


NO_FLAGS: dict[str, str | None] = {"from": None, "mailbox": None, "started_at": None}


def test_transcribe_reads_the_call_record_beside_the_file(tmp_path: Path) -> None:
    record = {"from": "+34612345678", "to": "+34910000000", "mailbox": "soporte", "language": "es,en",
              "started_at": "2026-11-23T10:02:00Z", "external_id": "x"}  # fmt: skip
    call = _call(_wav(tmp_path, record), NO_FLAGS)
    assert call.record == tmp_path / "vm.json" and call.language == "es,en"
    assert call.fields == {"from": "+34612345678", "to": "+34910000000", "mailbox": "soporte",
                           "started_at": datetime(2026, 11, 23, 10, 2, tzinfo=UTC)}  # fmt: skip
    flagged = _call(_wav(tmp_path, record), {**NO_FLAGS, "from": "+442079460000", "mailbox": "uk-support"})
    assert flagged.fields["from"] == "+442079460000" and flagged.fields["mailbox"] == "uk-support"
    assert flagged.fields["to"] == "+34910000000"  # the flags only replace what they give


def test_transcribe_without_a_record_and_with_a_bad_one(tmp_path: Path) -> None:
    bare = _call(_wav(tmp_path, None), NO_FLAGS)
    assert bare.record is None and bare.language is None and not any(bare.fields.values())
    for bad in ([1, 2], {"from": 5}, {"started_at": "9999-12-31T00:00:00Z"}, {"language": "en,xx"}):
        with pytest.raises(typer.BadParameter, match="vm.json"):
            _call(_wav(tmp_path, bad), NO_FLAGS)
    (tmp_path / "vm.json").write_text("{not json")
    with pytest.raises(typer.BadParameter, match="not a JSON call record"):
        _call(tmp_path / "vm.wav", NO_FLAGS)


def test_the_service_reads_a_stored_call_the_same_way(sm: sessionmaker[Session]) -> None:
    from voice.core.config import Settings
    from voice.pipeline.process import call_context as service_context
    from voice.storage.voicemails import CallInfo, create_voicemail

    settings = Settings(summary=SETTINGS)
    calls = [
        CallInfo(from_number="+34612345678", mailbox="uk-support", started_at=START),
        CallInfo(from_number="+34612345678", mailbox="ventas", started_at=START + timedelta(hours=1)),
        CallInfo(from_number="+34612345678", mailbox=None, started_at=None),  # arrived now: the start
        CallInfo(from_number=None, mailbox=None, started_at=None),
    ]
    with sm() as session:
        vms = [create_voicemail(session, call, audio_url="https://x.example/a") for call in calls]
        session.commit()
        for call, created in zip(calls, vms, strict=True):
            vm = session.get(Voicemail, created.id)
            assert vm is not None
            got = service_context(session, vm, settings)
            want = call_context(call.from_number, call.mailbox, call.started_at, SETTINGS,
                                received_at=as_utc(vm.created_at))  # fmt: skip
            assert replace(got, repeat_calls=0) == want
        third = session.get(Voicemail, vms[2].id)
        assert third is not None
        assert region_of(service_context(session, third, settings)) == "ES"
        assert service_context(session, third, settings).repeat_calls == 2  # the two before it, just stored


def test_a_mailbox_with_a_region_still_reads_a_foreign_callers_own_number() -> None:
    """A US mailbox (fixed region) and a UK caller: US numbers are read as US, the caller's UK mobile with its
    trunk prefix in the caller's country, and "this number" is the caller id."""

    settings = SummarySettings(default_region="US", mailbox_regions={"us-sales": "US"})
    context = call_context("+447911123456", "us-sales", None, settings)
    assert context.region_fixed

    def number(text: str) -> str | None:
        return triage(text, "en", context).callback_number

    assert number("Hi, it's Tom, please call me back on 07911 123456.") == "+447911123456"
    assert number("Hi, it's Tom, you can reach me on this number.") == "+447911123456"
    assert number("Hi, it's Tom, call me back on 212 555 0147 please.") == "+12125550147"


def test_voice_submit_sends_a_call_records_language_as_the_uploads_language(tmp_path: Path) -> None:
    """NAME.json's "language" is not part of the call record the API reads: voice submit sends it as the
    upload's language field, as voice transcribe reads it."""
    from voice.cli.submit import _call_fields

    record = tmp_path / "a.json"
    record.write_text(json.dumps({"from": "+34612345678", "language": ["es", "en"]}))
    assert _call_fields(record) == {"call": record.read_text(), "language": "es,en"}
    record.write_text(json.dumps({"from": "+34612345678", "language": "de"}))
    assert _call_fields(record)["language"] == "de"
    record.write_text(json.dumps({"from": "+34612345678"}))
    assert _call_fields(record) == {"call": record.read_text()}
    record.write_text("not json")
    assert _call_fields(record) == {"call": "not json"}
    assert _call_fields(tmp_path / "missing.json") == {}
