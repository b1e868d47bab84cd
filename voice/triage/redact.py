"""Mask personal data in transcripts: card numbers (Luhn-checked), US social security numbers,
account numbers and email addresses, written or spoken ("four one one one ..."), and optionally phone
numbers. Cards and accounts keep their last four digits, as receipts do.

Spans are found on the whole text, so a number Whisper split across two segments is still found; each
segment gets the part of the mask that falls inside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import phonenumbers

from voice.transcription.transcribe import Transcript
from voice.triage.emails import email_spans
from voice.triage.model import Reference, Triage
from voice.triage.spoken_numbers import DIGIT_WORDS, MULTIPLIERS, numbers_as_digits

_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:['’][^\W\d_]+)?|\s+|.", re.U)
_SEPARATORS = {"-", ",", ".", "/"}
_SSN_CUE = re.compile(r"(?:social security|social|ssn|s\.s\.n\.?)\W*(?:number|no\.?|#)?\W*(?:is\W*)?$", re.I)
_ACCOUNT_CUE = re.compile(
    r"(?:account|acct|routing|iban|member(?:ship)?|customer|policy|card)\W*(?:number|no\.?|#|num)?\W*(?:is\W*)?$",
    re.I,
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # card, ssn, account, email, phone
    mask: str


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    digits: str


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _runs(text: str, language: str) -> list[list[_Group]]:
    """Digit groups (written or spoken) that follow each other with only separators between them."""
    table = {**DIGIT_WORDS["en"], **DIGIT_WORDS.get(language[:2], {})}
    runs: list[list[_Group]] = []
    run: list[_Group] = []
    mult = 1
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        low = tok.lower()
        if low in MULTIPLIERS:
            mult = MULTIPLIERS[low]
            continue
        digit = tok if tok.isdecimal() else table.get(low)
        if digit is not None and (tok.isdecimal() or len(low) > 1 or run):  # a lone "o" is not zero
            run.append(_Group(m.start(), m.end(), digit * mult))
            mult = 1
        elif run and (tok.isspace() or tok in _SEPARATORS):
            continue
        else:
            if run:
                runs.append(run)
            run = []
            mult = 1
    if run:
        runs.append(run)
    return runs


def _spans_in_run(text: str, run: list[_Group]) -> list[Span]:
    cards = [s for s in _windows(text, run) if s.kind == "card"]
    if cards:  # "4,111,111,111,..." with groups Whisper added: the whole run goes
        return [Span(run[0].start, run[-1].end, "card", cards[0].mask)]
    return _windows(text, run)


def _windows(text: str, run: list[_Group]) -> list[Span]:
    found: list[Span] = []
    for i in range(len(run)):
        digits = ""
        for j in range(i, len(run)):
            digits += run[j].digits
            if len(digits) > 19:
                break
            start, end = run[i].start, run[j].end
            before = text[max(0, start - 40) : start]
            if 13 <= len(digits) <= 19 and luhn(digits):
                found.append(Span(start, end, "card", f"[card ending {digits[-4:]}]"))
            elif len(digits) == 9 and (
                _SSN_CUE.search(before) or re.fullmatch(r"\d{3}[- ]\d{2}[- ]\d{4}", text[start:end])
            ):
                found.append(Span(start, end, "ssn", "[SSN]"))
            elif 4 <= len(digits) <= 20 and (cue := _ACCOUNT_CUE.search(before)) and j == len(run) - 1:
                # After "card", a number that fails Luhn is most likely a card Whisper misheard: mask it.
                kind = "card" if "card" in cue.group(0).lower() else "account"
                found.append(Span(start, end, kind, f"[{kind} ending {digits[-4:]}]"))
    return found


def find_spans(text: str, language: str = "en", phones: bool = False, region: str = "US") -> list[Span]:
    """Non-overlapping spans to mask, longest first where they compete."""
    candidates: list[Span] = []
    for run in _runs(text, language):
        candidates += _spans_in_run(text, run)
    candidates += [Span(start, end, "email", "[email]") for start, end, _ in email_spans(text)]
    if phones:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            candidates.append(Span(match.start, match.end, "phone", "[phone]"))
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (s.start - s.end, s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def apply(text: str, spans: Sequence[Span], offset: int = 0) -> str:
    """``text`` (which starts at ``offset`` of the text the spans were found in) with the spans masked.
    A span that only partly falls inside gets its mask where it starts and nothing where it continues."""
    out = []
    pos = 0
    for span in spans:
        start, end = span.start - offset, span.end - offset
        if end <= 0 or start >= len(text):
            continue
        out.append(text[pos : max(start, 0)])
        if start >= 0:
            out.append(span.mask)
        pos = min(end, len(text))
    out.append(text[pos:])
    return "".join(out)


def redact(text: str, language: str = "en", phones: bool = False, region: str = "US") -> tuple[str, set[str]]:
    """``text`` with personal data masked. Number words become digits first ("one hundred twenty three
    forty five..." is how Whisper may write a spoken SSN), so the masked text reads in digits."""
    text = numbers_as_digits(text, language)
    kinds: set[str] = set()
    # Competing candidates are dropped whole, so a number beside a longer masked one can surface once the
    # longer is masked; another pass or two masks it too (masking twice must change nothing).
    for _ in range(4):
        spans = find_spans(text, language, phones, region)
        if not spans:
            break
        kinds |= {s.kind for s in spans}
        text = apply(text, spans)
    return text, kinds


def redact_pieces(
    pieces: Sequence[str], language: str = "en", phones: bool = False, region: str = "US"
) -> tuple[list[str], set[str]]:
    """Redact consecutive pieces of one text (segments) together, joined by spaces."""
    pieces = [numbers_as_digits(p, language) for p in pieces]
    joined = " ".join(pieces)
    spans = find_spans(joined, language, phones, region)
    out, offset = [], 0
    for piece in pieces:
        out.append(apply(piece, spans, offset))
        offset += len(piece) + 1
    return out, {s.kind for s in spans}


def redact_transcript(
    tr: Transcript, phones: bool = False, region: str = "US"
) -> tuple[Transcript, set[str]]:
    """The transcript with its text and segments masked (word timings of changed segments dropped)."""
    text, kinds = redact(tr.text, tr.language, phones, region)
    pieces, piece_kinds = redact_pieces([s.text for s in tr.segments], tr.language, phones, region)
    segments = tuple(
        seg if new == seg.text else replace(seg, text=new, words=())
        for seg, new in zip(tr.segments, pieces, strict=True)
    )
    return replace(tr, text=text, segments=segments), kinds | piece_kinds


def _last4(value: str) -> str:
    return re.sub(r"\D", "", value)[-4:]


def redact_triage(t: Triage, kinds: set[str], phones: bool = False, region: str = "US") -> Triage:
    """The triage card with the same data masked; flags say that something was."""
    language = t.language or "en"

    def clean(value: str | None) -> str | None:
        return redact(value, language, phones, region)[0] if value else value

    refs = tuple(
        Reference(r.kind, f"[{r.kind} ending {_last4(r.value)}]") if r.kind == "account" else r
        for r in t.references
    )
    if t.email:
        kinds = kinds | {"email"}
    flags = t.flags + ("pii_redacted",) if kinds and "pii_redacted" not in t.flags else t.flags
    return replace(
        t,
        summary=clean(t.summary) or t.summary,
        request=clean(t.request),
        email="[email]" if t.email else None,
        references=refs,
        callback_number=None if phones else t.callback_number,
        flags=flags,
    )
