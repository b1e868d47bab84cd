"""Check a triage evaluation set (JSONL) before it is used: schema, labels, phone numbers, splits.

Usage: python scripts/check_triage_set.py [FILE ...]  (default: tests/data/triage/voicemails-2026-12.jsonl)

Prints counts only (per language, split, intent, urgency), never a transcript, so it can be run on the
held-out split without reading it. Exits 1 when any row is wrong.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import phonenumbers

from voice.triage.model import INTENTS, URGENCIES

DEFAULT = Path(__file__).resolve().parent.parent / "tests/data/triage/voicemails-2026-12.jsonl"
LANGUAGES = {"en", "es", "de", "fr", "pt", "zh", "it"}
SPLITS = {"dev", "test"}
REFERENCE_KINDS = {
    "order", "invoice", "customer", "contract", "account", "case", "ticket", "policy", "claim",
    "tracking", "booking", "reference", "confirmation",
}  # fmt: skip
# Gold urgency is fixed for these intents (docs/triage.md: low for spam, wrong numbers, personal, no message).
LOW_INTENTS = {"spam_robocall", "wrong_number", "personal", "no_message"}
ROW_KEYS = {
    "id", "split", "language", "accent", "caller_id", "mailbox", "started_at", "transcript", "expected",
}  # fmt: skip
EXPECTED_KEYS = {
    "intent", "urgency", "callback_number", "caller_name", "organisation", "email", "references", "spam",
    "no_message",
}  # fmt: skip
EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")
REFERENCE_VALUE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


def valid_e164(number: Any) -> bool:
    """A number is acceptable only written as E.164 and valid for its region (phonenumbers)."""
    if not isinstance(number, str) or not number.startswith("+"):
        return False
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return False
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.is_valid_number(parsed) and e164 == number


def row_errors(row: dict[str, Any]) -> list[str]:
    errors = []
    if set(row) != ROW_KEYS:
        errors.append(f"keys {sorted(set(row) ^ ROW_KEYS)} missing or unknown")
    if row.get("split") not in SPLITS:
        errors.append(f"split {row.get('split')!r}")
    if row.get("language") not in LANGUAGES:
        errors.append(f"language {row.get('language')!r}")
    if not isinstance(row.get("transcript"), str):
        errors.append("transcript is not a string")
    if row.get("caller_id") is not None and not valid_e164(row["caller_id"]):
        errors.append(f"caller_id {row['caller_id']!r} is not valid E.164")
    if row.get("mailbox") is not None and not isinstance(row["mailbox"], str):
        errors.append("mailbox is not a string or null")
    try:
        datetime.fromisoformat(str(row.get("started_at")).replace("Z", "+00:00"))
    except ValueError:
        errors.append(f"started_at {row.get('started_at')!r}")
    expected = row.get("expected")
    if not isinstance(expected, dict):
        return [*errors, "expected is not an object"]
    return errors + expected_errors(expected)


def expected_errors(expected: dict[str, Any]) -> list[str]:
    errors = []
    if set(expected) != EXPECTED_KEYS:
        errors.append(f"expected keys {sorted(set(expected) ^ EXPECTED_KEYS)} missing or unknown")
    errors += label_errors(expected) + field_errors(expected)
    return errors + reference_errors(expected.get("references"))


def label_errors(expected: dict[str, Any]) -> list[str]:
    """Intent, urgency and the two flags, and the ties between them."""
    errors = []
    intent, urgency = expected.get("intent"), expected.get("urgency")
    if intent not in INTENTS:
        errors.append(f"intent {intent!r}")
    if urgency not in URGENCIES:
        errors.append(f"urgency {urgency!r}")
    if intent in LOW_INTENTS and urgency != "low":
        errors.append(f"{intent} must be low urgency")
    if not isinstance(expected.get("spam"), bool) or not isinstance(expected.get("no_message"), bool):
        errors.append("spam and no_message must be booleans")
    if expected.get("spam") != (intent == "spam_robocall"):
        errors.append("spam is true exactly for spam_robocall")
    if expected.get("no_message") != (intent == "no_message"):
        errors.append("no_message is true exactly for the no_message intent")
    return errors


def field_errors(expected: dict[str, Any]) -> list[str]:
    """The extracted fields: a valid E.164 callback number, an e-mail address, non-empty names."""
    errors = []
    if expected.get("callback_number") is not None and not valid_e164(expected["callback_number"]):
        errors.append(f"callback_number {expected['callback_number']!r} is not valid E.164")
    email = expected.get("email")
    if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
        errors.append(f"email {email!r}")
    for field in ("caller_name", "organisation"):
        value = expected.get(field)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            errors.append(f"{field} {value!r}")
    return errors


def reference_errors(references: Any) -> list[str]:
    if not isinstance(references, list):
        return ["references is not a list"]
    errors = []
    for reference in references:
        if not (isinstance(reference, list) and len(reference) == 2):
            errors.append(f"reference {reference!r} is not [kind, value]")
            continue
        kind, value = reference
        if kind not in REFERENCE_KINDS:
            errors.append(f"reference kind {kind!r}")
        # Values are normalised as written: upper case, no spaces, dashes kept.
        if not (isinstance(value, str) and REFERENCE_VALUE.match(value)):
            errors.append(f"reference value {value!r} is not normalised")
    return errors


def check(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path.name}:{number}: not JSON ({error})")
            continue
        row_id = str(row.get("id"))
        if row_id in seen:
            problems.append(f"{path.name}:{number}: duplicate id {row_id}")
        seen.add(row_id)
        problems += [f"{path.name}:{number} ({row_id}): {error}" for error in row_errors(row)]
        rows.append(row)
    return rows, problems + split_problems(path, rows)


def split_problems(path: Path, rows: list[dict[str, Any]]) -> list[str]:
    """Every language, intent and urgency present must be in both splits, so each split scores all of them."""
    problems = []
    for field in ("language", "intent", "urgency"):
        by_split: dict[str, set[str]] = {split: set() for split in SPLITS}
        for row in rows:
            value = row.get(field) if field == "language" else row.get("expected", {}).get(field)
            by_split.setdefault(str(row.get("split")), set()).add(str(value))
        for value in sorted(by_split["dev"] ^ by_split["test"]):
            problems.append(f"{path.name}: {field} {value} is in only one split")
    return problems


def table(rows: list[dict[str, Any]], field: str) -> str:
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        value = row.get(field) if field in row else row["expected"].get(field)
        counts[(str(value), row["split"])] += 1
    values = sorted({value for value, _ in counts})
    lines = [f"  {field:<18} {'dev':>4} {'test':>4}"]
    lines += [f"  {value:<18} {counts[(value, 'dev')]:>4} {counts[(value, 'test')]:>4}" for value in values]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [DEFAULT]
    failed = False
    for path in paths:
        rows, problems = check(path)
        splits = Counter(row.get("split") for row in rows)
        print(f"{path}: {len(rows)} rows, dev {splits['dev']}, test {splits['test']}")
        for field in ("language", "intent", "urgency"):
            print(table(rows, field))
        for problem in problems:
            print(problem)
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
