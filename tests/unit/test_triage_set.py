"""The 2026-12 triage evaluation set stays well-formed: scripts/check_triage_set.py finds nothing wrong
with it, and the checker catches the mistakes it is there for. No held-out transcript is printed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.check_triage_set import DEFAULT, check

ROW: dict[str, Any] = {
    "id": "x-1",
    "split": "dev",
    "language": "en",
    "accent": "us",
    "caller_id": None,
    "mailbox": None,
    "started_at": "2026-11-24T14:05:00Z",
    "transcript": "Hi, call me back at 312-555-0147.",
    "expected": {
        "intent": "callback_request",
        "urgency": "normal",
        "callback_number": "+13125550147",
        "caller_name": None,
        "organisation": None,
        "email": None,
        "references": [["order", "A-1234"]],
        "spam": False,
        "no_message": False,
    },
}


def _problems(tmp_path: Path, *rows: dict[str, Any]) -> list[str]:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return check(path)[1]


def test_the_2026_12_set_passes_its_checker() -> None:
    rows, problems = check(DEFAULT)
    assert problems == []
    assert len(rows) >= 150
    assert {row["language"] for row in rows} >= {"en", "es", "de", "fr", "pt", "zh"}


def test_checker_rejects_an_invalid_callback_number_and_a_duplicate_id(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(ROW))
    bad["expected"]["callback_number"] = "+12345678"  # not valid for any region
    test_row = {**json.loads(json.dumps(ROW)), "split": "test"}
    problems = _problems(tmp_path, ROW, bad, test_row)
    assert any("duplicate id x-1" in problem for problem in problems)
    assert any("'+12345678' is not valid E.164" in problem for problem in problems)


def test_checker_rejects_unnormalised_references_and_a_spam_row_not_low(tmp_path: Path) -> None:
    row = json.loads(json.dumps(ROW))
    row["expected"]["references"] = [["order", "a 1234"], ["parcel", "9"]]
    spam = {**json.loads(json.dumps(ROW)), "id": "x-2", "split": "test"}
    spam["expected"].update(intent="spam_robocall", spam=True, urgency="normal")
    problems = _problems(tmp_path, row, spam)
    assert any("'a 1234' is not normalised" in problem for problem in problems)
    assert any("kind 'parcel'" in problem for problem in problems)
    assert any("spam_robocall must be low urgency" in problem for problem in problems)


def test_checker_wants_every_language_in_both_splits(tmp_path: Path) -> None:
    german = {**json.loads(json.dumps(ROW)), "id": "x-3", "language": "de", "split": "test"}
    problems = _problems(tmp_path, ROW, german)
    assert any("language de is in only one split" in problem for problem in problems)
    assert any("language en is in only one split" in problem for problem in problems)
