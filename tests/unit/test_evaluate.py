"""Triage quality on the labelled set: floors a little under what the built-in reaches, so a
regression fails CI. `voice eval triage` prints the full table. Below them, the scoring itself on rows made
here, and `voice eval triage` on anyone's file."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import VOICE
from voice.core.config import SummarySettings
from voice.triage import evaluate
from voice.triage.model import Reference, Triage

# Measured 2026-11-23 (all / held-out test): intent macro-F1 0.934 / 0.884, callback_number 0.989 / 0.966,
# caller_name 0.966 / 0.931, urgency 0.898 / 0.810, spam precision and recall 1.0 / 1.0.
FLOORS_ALL = {
    "intent macro-F1": 0.90,
    "callback_number exact": 0.97,
    "caller_name exact": 0.94,
    "urgency accuracy": 0.86,
    "spam precision": 0.95,
    "spam recall": 0.95,
}
FLOORS_TEST = {"intent macro-F1": 0.85, "callback_number exact": 0.95, "spam precision": 0.95}


def test_labelled_set_is_broad() -> None:
    examples = evaluate.load(evaluate.DEFAULT_SET)
    assert len(examples) >= 150
    intents = {e.expected["intent"] for e in examples}
    assert intents == set(evaluate.INTENTS)
    assert {e.expected["urgency"] for e in examples} == {"low", "normal", "high", "urgent"}
    assert sum(not e.language.startswith("en") for e in examples) >= 20
    assert {"es", "zh"} <= {e.language for e in examples}
    assert any(e.expected["spam"] for e in examples) and any(not e.transcript for e in examples)


def test_floors_on_the_whole_set_and_the_held_out_split() -> None:
    report = evaluate.evaluate(evaluate.load(evaluate.DEFAULT_SET))
    for name, floor in FLOORS_ALL.items():
        assert (report.metrics[name] or 0.0) >= floor, (name, report.metrics[name], report.confusions)
    held_out = evaluate.evaluate(evaluate.load(evaluate.DEFAULT_SET, "test"))
    for name, floor in FLOORS_TEST.items():
        assert (held_out.metrics[name] or 0.0) >= floor, (name, held_out.metrics[name])  # None: none to score
    assert (report.metrics["summary words, max"] or 0.0) <= 26
    assert report.ms_per_voicemail < 50


# voicemails-2026-12.jsonl, written for issue 19's classes of failure in seven languages. Measured 2026-12-02
# (all 220 / held-out test 100): intent macro-F1 0.864 / 0.781, urgency 0.982 / 0.970, callback_number
# 0.959 / 0.930, caller_name 0.982 / 0.970, organisation 0.991 / 0.980, e-mail where said 1.0 / 1.0,
# references where said 0.897 / 0.760, spam precision and recall 1.0 / 1.0, no_message recall 0.933 / 0.875.
NEW_SET = evaluate.DEFAULT_SET.with_name("voicemails-2026-12.jsonl")
NEW_FLOORS_ALL = {
    "intent macro-F1": 0.83,
    "urgency accuracy": 0.95,
    "callback_number exact": 0.94,
    "caller_name exact": 0.95,
    "organisation exact": 0.96,
    "email exact (where said)": 0.95,
    "references exact (where said)": 0.85,
    "spam precision": 0.95,
    "spam recall": 0.95,
    "no_message recall": 0.9,
}
NEW_FLOORS_TEST = {
    "intent macro-F1": 0.75,
    "urgency accuracy": 0.93,
    "callback_number exact": 0.9,
    "caller_name exact": 0.93,
    "references exact (where said)": 0.7,
    "spam recall": 0.95,
}


def test_floors_on_the_issue_19_set_and_its_held_out_split() -> None:
    report = evaluate.evaluate(evaluate.load(NEW_SET))
    assert report.n >= 200 and len(report.counts) >= 6
    for name, floor in NEW_FLOORS_ALL.items():
        assert (report.metrics[name] or 0.0) >= floor, (name, report.metrics[name])
    held_out = evaluate.evaluate(evaluate.load(NEW_SET, "test"))
    for name, floor in NEW_FLOORS_TEST.items():
        assert (held_out.metrics[name] or 0.0) >= floor, (name, held_out.metrics[name])  # no rows printed
    assert (report.metrics["summary words, max"] or 0.0) <= 26


def test_macro_f1() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    # a: P 1, R 0.5 -> 0.667; b: P 0.667, R 1 -> 0.8
    assert abs(evaluate.macro_f1(pairs, ["a", "b", "c"]) - (2 / 3 + 0.8) / 2) < 1e-9


@pytest.mark.e2e
def test_cli_prints_the_metrics() -> None:
    # The floors are the old set's (the default is every set in tests/data/triage).
    old = ["--file", str(evaluate.DEFAULT_SET)]
    out = subprocess.run(
        [VOICE, "eval", "triage", "--json", "--split", "all", *old],
        capture_output=True,
        text=True,
        check=True,
    )
    metrics = json.loads(out.stdout)
    assert metrics["n"] >= 150 and metrics["intent macro-F1"] >= FLOORS_ALL["intent macro-F1"]
    table = subprocess.run(
        [VOICE, "eval", "triage", "--split", "test", *old], capture_output=True, text=True, check=True
    )
    assert "callback_number exact" in table.stdout and "spam precision" in table.stdout


# --- the scoring, on rows made here -------------------------------------------------------------------------


def _example(language: str = "en", **expected: Any) -> evaluate.Example:
    return evaluate.Example(
        id="x", split="dev", language=language, transcript="", caller_id=None, started_at=None,
        expected=expected,
    )  # fmt: skip


def _triage(**fields: Any) -> Triage:
    base: dict[str, Any] = dict(
        summary="A caller left a message.", caller_name=None, organisation=None, callback_number=None,
        callback_time_text=None, callback_time=None, email=None, references=(), request=None, intent="other",
        intent_confidence=0.5, urgency="normal", urgency_reasons=(), sentiment="neutral", sentiment_score=0.0,
        flags=(), language="en", priority=20.0, fingerprint=None,
    )  # fmt: skip
    return Triage(**{**base, **fields})


def test_every_reference_counts_as_a_set() -> None:
    two = _example(references=[["invoice", "4471"], ["case", "2025-118"]])
    both = _triage(references=(Reference("case", "2025-118"), Reference("invoice", "4471")))  # order is free
    first_only = _triage(references=(Reference("invoice", "4471"),))
    report = evaluate.score([(two, both), (two, first_only)])
    assert report.metrics["references exact"] == 0.5
    assert report.metrics["references exact (where said)"] == 0.5
    assert report.metrics["references F1"] == pytest.approx(2 * 3 / (4 + 3))  # 3 of 4 found, none made up
    assert report.rows[1].wrong == ["references"]
    # An invented reference where none was said is wrong too, but only where-said leaves it out.
    none = evaluate.score([(_example(references=[]), first_only)])
    assert none.metrics["references exact"] == 0.0 and none.metrics["references exact (where said)"] is None


def test_every_field_triage_outputs_is_scored() -> None:
    ex = _example(
        intent="billing", urgency="high", callback_number="+12125550134", caller_name="Maria Lopez",
        organisation="Acme Plumbing", email="Maria@Acme.com", references=[], spam=False,
    )  # fmt: skip
    said = dict(intent="billing", urgency="high", callback_number="+12125550134", caller_name="Maria Lopez")
    right = _triage(**said, organisation="Acme Plumbing", email="maria@acme.com")
    wrong = _triage(**said, organisation="Acme", email="m@acme.com", flags=("spam",))
    report = evaluate.score([(ex, right), (ex, wrong)])
    assert report.rows[0].wrong == []  # e-mail read case-blind; no_message follows from the intent
    assert report.rows[1].wrong == ["organisation", "email", "spam"]
    m = report.metrics
    assert m["organisation exact"] == m["email exact (where said)"] == 0.5
    assert m["spam precision"] == 0.0 and m["spam recall"] is None  # nothing to recall: not a perfect 1.0
    assert m["no_message precision"] is None and m["no_message recall"] is None


def test_no_message_from_the_label_or_the_intent() -> None:
    hang_up = _triage(intent="no_message", flags=("no_speech",))
    said_nothing = _example(intent="no_message")
    spoke = _example(intent="billing", no_message=False)
    report = evaluate.score([(said_nothing, hang_up), (spoke, hang_up), (spoke, _triage(intent="billing"))])
    assert report.metrics["no_message precision"] == 0.5  # one real message taken for none
    assert report.metrics["no_message recall"] == 1.0


def test_a_label_left_out_is_not_scored() -> None:
    only_intent = _example(intent="billing")
    report = evaluate.score([(only_intent, _triage(intent="billing", caller_name="Bob", flags=("spam",)))])
    assert report.rows[0].wrong == []
    assert report.metrics["caller_name exact"] is None and report.metrics["spam precision"] is None
    assert report.metrics["intent accuracy"] == 1.0


def test_per_language_and_over_all() -> None:
    results = [
        (_example("en", intent="billing"), _triage(intent="billing")),
        (_example("en", intent="billing"), _triage(intent="other")),
        (_example("es", intent="appointment"), _triage(intent="appointment")),
    ]
    report = evaluate.score(results)
    assert report.counts == {"en": 2, "es": 1}
    assert report.by_language["en"]["intent accuracy"] == 0.5
    assert report.by_language["es"]["intent accuracy"] == 1.0
    assert report.metrics["intent accuracy"] == pytest.approx(2 / 3)
    doc = report.as_dict()
    assert doc["by_language"]["es"]["intent accuracy"] == 1.0 and len(doc["rows"]) == 3
    assert json.loads(json.dumps(doc)) == doc


def _jsonl(path: Path, *rows: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_load_reads_anyones_rows(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "mine.jsonl",
        {"text": "Call me on 212 555 0188.", "audio": "audio/a.wav", "mailbox": "sales",
         "started_at": "2026-11-23T09:15:00Z", "expected": {"intent": "callback_request"}},
        {"id": "t1", "split": "test", "transcript": "", "language": "ES", "expected": {"no_message": True}},
    )  # fmt: skip
    first, second = evaluate.load(path)
    assert first.id == "mine.jsonl:1" and first.split == "dev" and first.language == "en"
    assert first.audio == tmp_path / "audio" / "a.wav" and first.mailbox == "sales"
    assert first.started_at == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    assert second.language == "es" and second.audio is None
    assert [e.id for e in evaluate.load(path, "dev")] == ["mine.jsonl:1"]
    bad = _jsonl(tmp_path / "bad.jsonl", {"text": "hi", "expected": {"intnet": "billing"}})
    with pytest.raises(evaluate.BadRow, match=r"bad.jsonl:1: unknown labels \['intnet'\]"):
        evaluate.load(bad)


def test_the_call_record_is_read_as_the_service_reads_it(tmp_path: Path) -> None:
    row = {"text": "Hola, soy Ana, llámeme al 612 345 678.", "language": "es", "caller_id": "+34910000000",
           "expected": {"callback_number": "+34612345678"}}  # fmt: skip
    path = _jsonl(tmp_path / "es.jsonl", row, {**row, "mailbox": "uk-support"})
    regions = SummarySettings(mailbox_regions={"uk-support": "GB"})
    by_caller, by_mailbox = evaluate.evaluate(evaluate.load(path), settings=regions).rows
    assert by_caller.got["callback_number"] == "+34612345678"  # the caller id's country, not the default US
    assert by_mailbox.got["callback_number"] is None  # the mailbox's region wins, as in the service


def test_cli_documents_the_fields_and_prints_rows_and_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voice.cli import app

    runner = CliRunner()
    helped = runner.invoke(app, ["eval", "triage", "--help"], env={"COLUMNS": "150"})
    for field in ('"text"', '"caller_id"', '"mailbox"', '"started_at"', '"language"', '"audio"', '"intent"',
                  '"urgency"', '"callback_number"', '"caller_name"', '"organisation"', '"email"',
                  '"references"', '"spam"', '"no_message"', "[[kind, value], ...]", "--rows", "--audio",
                  "--output"):  # fmt: skip
        assert field in helped.stdout, field
    path = _jsonl(
        tmp_path / "mine.jsonl",
        {"id": "a", "text": "Hi, this is Maria Lopez about invoice 4471, call me on 212 555 0188.",
         "caller_id": "+12125550134", "expected": {"intent": "billing", "caller_name": "Maria Lopez",
                                                   "references": [["invoice", "4471"]]}},
        {"id": "b", "language": "fr", "text": "Bonjour, rappelez-moi.",
         "expected": {"intent": "appointment"}},
    )  # fmt: skip
    out = tmp_path / "report.json"
    done = runner.invoke(app, ["eval", "triage", "--file", str(path), "--rows", "--output", str(out)],
                         env={"COLUMNS": "150"})  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "en (1)" in done.stdout and "fr (1)" in done.stdout and "all (2)" in done.stdout
    assert (
        "== a (en, dev): 0 wrong on text" in done.stdout and "== b (fr, dev): 1 wrong on text" in done.stdout
    )
    assert '✗ intent           "callback_request"  (expected "appointment")' in done.stdout
    doc = json.loads(out.read_text())
    assert doc["n"] == 2 and doc["by_language"]["fr"]["intent accuracy"] == 0.0
    assert [r["id"] for r in doc["rows"]] == ["a", "b"] and doc["rows"][1]["wrong"] == ["intent"]
    as_json = runner.invoke(app, ["eval", "triage", "--file", str(path), "--json", "--split", "test"])
    assert as_json.exit_code != 0 and "no test rows" in as_json.output


def test_word_error_rate_reads_numbers_digit_by_digit() -> None:
    from voice.pipeline.evaluation import edits

    said = "Call me on 212 555 0147."
    assert edits(said, "call me on two one two, five five five, oh one four seven", "en") == (0, 13)
    assert edits(said, "Call me on 212-555-0174", "en") == (2, 13)  # two digits swapped: two substitutions
    assert edits("我叫王伟，电话是一三八", "我叫王为 电话是138", "zh") == (1, 10)  # characters for Chinese
    assert edits("", "hello?", "en") == (None, 0)  # a hang-up has no error rate
    assert edits("please call", "", "en") == (2, 2)


def test_what_the_audio_gave() -> None:
    from voice.pipeline.evaluation import Heard, asr_metrics

    def heard(language: str, status: str, text: str, detected: str | None, errors: int | None) -> Heard:
        ex = replace(_example(language), transcript=text)
        note = _triage()
        return Heard(
            ex, status, None, text if status == "done" else "", detected, note, errors, len(text.split())
        )

    rows = [
        heard("en", "done", "one two three four", "en", 1),
        heard("de", "done", "eins zwei drei vier", "cy", 3),  # Welsh heard for German
        heard("de", "no_speech", "hallo hier ist Anna", "de", 4),  # a real message lost
        heard("en", "no_speech", "", None, None),  # a hang-up, rightly
    ]
    m = asr_metrics(rows)
    assert m["WER (CER for zh, ja)"] == pytest.approx(8 / 12)
    assert m["language right"] == pytest.approx(2 / 3)
    assert m["speech taken for none"] == pytest.approx(1 / 3) and m["failed"] == 0.0
