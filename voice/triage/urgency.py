"""How soon to call back: urgent, high, normal or low, with the reasons a person would give.

An emergency (a flood, a fire, a gas leak, no heating or water, locked out, someone in hospital) is urgent;
otherwise each reason counts: urgent words, "today", a deadline within 24 h, an earlier call, a negative tone,
a complaint. Three reasons are urgent, one or two high. A cue the caller negates ("it's not urgent", "not an
emergency", "no es urgente", "不紧急") is no reason. A caller who says there is no rush ("whenever you get a
chance", "sin prisa", "keine Eile") gets no time-pressure reasons in that sentence; an emergency said
elsewhere and not negated still counts ("No rush on the invoice, but there is a gas leak" is urgent). Cue
words in en, es, fr, de, pt, it and zh; matched with accents folded, so "inundacion" is "inundación".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from voice.triage.model import CallContext
from voice.triage.text import fold
from voice.triage.urgency_cues import (
    COMPLAINT,
    DEADLINE_WORDS,
    EMERGENCY,
    NO_RUSH,
    OWN_PLANS,
    PAST_EVENT,
    RECEIVED,
    REPEAT_WORDS,
    TODAY,
    URGENT,
    WHEN_FREE,
    WORKS_THERE,
)

# Words before a cue that take it back: "not urgent", "no es urgente", "nicht dringend", "non è urgente".
_NEGATORS = frozenset(
    re.findall(
        r"\S+",
        "not no nothing never none without nada nunca ni tampoco pas ne n' rien jamais nicht kein keine "
        "keinen keiner nichts nie não nao nem non niente nulla mai",
    )
)
_CLAUSE = re.compile(r"[,.;:!?]|\b(?:but|and|pero|y|mais|et|aber|und|mas|ma|e)\b|但是|但|可是", re.I)
_CJK_NEGATION = re.compile(r"(?:不|没|沒|别|別|非|无需|不用|并不|不是)(?:很|太|那么)?$")
# Where a sentence ends: ". " (not "5.30" or "a.s.a.p"), "!", "?", ";", a new line; on folded text, where
# "。！？" are already ".!?".
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|[.!?;](?=[^\x00-\x7f])|\n")

Span = tuple[int, int]


def _clause_before(text: str, start: int, chars: int = 60) -> str:
    return _CLAUSE.split(text[max(0, start - chars) : start])[-1]


def _negated(text: str, m: re.Match[str]) -> bool:
    """ "it's not urgent", "not an emergency", "no es urgente", "nicht dringend", "不紧急"; not "no heat"
    or "pas de chauffage", where the negation is the emergency."""
    first = m.group(0).split()[0]
    if first in _NEGATORS or first in ("plus", "sin", "sem", "senza", "sans") or first.endswith("n't"):
        return False  # the negation is the cue: "no heat", "pas de chauffage", "plus d'eau", "sin agua"
    if first[:1] in "不没沒":
        return False
    clause = _clause_before(text, m.start()).lower()
    words = re.findall(r"[\w']+", clause)[-5:]
    if any(w in _NEGATORS or w.endswith("n't") or w.startswith("n'") for w in words):
        return True
    return bool(_CJK_NEGATION.search(clause))


def _sentence(folded: str, at: int) -> Span:
    """The sentence around offset ``at``."""
    start = max((m.end() for m in _SENTENCE_END.finditer(folded, 0, at)), default=0)
    end = m.start() if (m := _SENTENCE_END.search(folded, at)) else len(folded)
    return start, end


def _calm_sentences(pattern: re.Pattern[str], folded: str, text: str) -> list[Span]:
    """The sentences where the caller says it can wait (a "no rush" not itself taken back)."""
    return [_sentence(folded, m.start()) for m in pattern.finditer(folded) if not _negated(text, m)]


def _in(spans: list[Span], at: int) -> bool:
    return any(start <= at <= end for start, end in spans)


def _find(pattern: re.Pattern[str], folded: str, text: str, calm: list[Span] | None = None) -> str | None:
    """The first cue not taken back and not in a sentence that says it can wait, as the caller said it."""
    for m in pattern.finditer(folded):
        if not _negated(text, m) and not _in(calm or [], m.start()):
            return text[m.start() : m.end()]
    return None


def _emergency(folded: str, text: str) -> str | None:
    """The first emergency not taken back and not the caller's workplace ("I work in the emergency room")."""
    for m in EMERGENCY.finditer(folded):
        if not _negated(text, m) and not WORKS_THERE.search(_clause_before(folded, m.start(), 40)):
            return text[m.start() : m.end()]
    return None


def _happened(folded: str, m: re.Match[str]) -> bool:
    """ "Today" in what already happened: "we tried to deliver this afternoon", "I got my bill today", "Ich
    habe heute Ihre Rechnung bekommen"."""
    before = " ".join(_clause_before(folded, m.start()).split()[-5:])
    after = _CLAUSE.split(folded[m.end() : m.end() + 40])[0]
    just_after = " ".join(after.split()[:2])  # "Today I called", "Hoy llamé", "Oggi ho chiamato"
    window = " ".join(f"{before} {m.group(0)} {after}".split())
    return bool(PAST_EVENT.search(before) or PAST_EVENT.search(just_after) or RECEIVED.search(window))


def _wanted(pattern: re.Pattern[str], folded: str, text: str, calm: list[Span]) -> str | None:
    """The first "today" or deadline that is when the caller wants an answer: not negated, not in what
    already happened, not in the caller's own plans, not in a sentence that says it can wait."""
    for m in pattern.finditer(folded):
        if _negated(text, m) or _in(calm, m.start()) or _happened(folded, m):
            continue
        before = " ".join(_clause_before(folded, m.start()).split()[-5:])
        after = _CLAUSE.split(folded[m.end() : m.end() + 20])[0]
        if not OWN_PLANS.search(f"{before} {m.group(0)} {after}"):
            return text[m.start() : m.end()]
    return None


def _is_deadline(phrase: str, when: datetime, start: datetime) -> bool:
    """ "by 5", "before Friday" within 24 h, or any time later the same day; not "after", "around",
    or "tomorrow morning" (that is when they are free, not a deadline)."""
    ahead = when - start.astimezone(UTC)
    if not timedelta(0) <= ahead <= timedelta(hours=24):
        return False
    first = phrase.split()[0].lower() if phrase.split() else ""
    return first in ("by", "before", "until") or when.date() == start.astimezone(UTC).date()


def _calm_about(folded: str, time_text: str | None, calm: list[Span]) -> bool:
    """Whether the callback time is said in a sentence that says it can wait (anywhere, if it cannot be
    found in the text)."""
    at = folded.find(fold(time_text)) if time_text else -1
    return bool(calm) if at < 0 else _in(calm, at)


def _time_reasons(
    folded: str,
    text: str,
    calm: list[Span],
    time_text: str | None,
    when: datetime | None,
    context: CallContext,
) -> list[str]:
    """Time pressure outside the sentences that say it can wait: urgent words, today, a deadline in 24 h."""
    urgent = _find(URGENT, folded, text, calm)
    reasons = [f"said “{urgent}”"] if urgent else []
    if today := _wanted(TODAY, folded, text, calm) or _wanted(DEADLINE_WORDS, folded, text, calm):
        reasons.append(f"wants it “{today}”")
    start = context.started_at or datetime.now(UTC)
    deadline = when is not None and not today and _is_deadline(time_text or "", when, start)
    if deadline and not _calm_about(folded, time_text, calm):
        reasons.append(f"deadline within 24 h ({time_text})")
    return reasons


def _reasons(
    text: str, intent: str, sentiment: str, time_text: str | None, when: datetime | None, context: CallContext
) -> tuple[str | None, list[str]]:
    """The emergency said, and the other reasons. An emergency not negated always counts. A caller who
    says it can wait ("no rush", "no es urgente") is believed for that sentence: no time pressure there, and
    VADER's "negative" for those words ignored."""
    folded = fold(text)
    emergency = _emergency(folded, text)
    calm = _calm_sentences(NO_RUSH, folded, text)
    if not (calm or emergency or _find(URGENT, folded, text)):
        calm = _calm_sentences(WHEN_FREE, folded, text)
    reasons = _time_reasons(folded, text, calm, time_text, when, context)
    if context.repeat_calls:
        reasons.append(f"{context.repeat_calls} earlier call(s) from this number today")
    elif said := _find(REPEAT_WORDS, folded, text):
        reasons.append(f"says they called before (“{said}”)")
    if sentiment == "negative" and not calm:
        reasons.append("negative tone")
    if (intent == "complaint" or _find(COMPLAINT, folded, text)) and sentiment != "positive":
        reasons.append("a complaint")  # unhappy customers are the ones who leave
    return emergency, reasons


_EMERGENCY_REASON = "emergency: “"  # the first reason when an emergency was said: emergency: “pipe has burst”


def emergency_said(reasons: tuple[str, ...]) -> str | None:
    """The emergency words urgency_of quoted in ``reasons`` ("pipe has burst"), or None."""
    first = reasons[0] if reasons else ""
    return first[len(_EMERGENCY_REASON) : -1] if first.startswith(_EMERGENCY_REASON) else None


def urgency_of(
    text: str, intent: str, sentiment: str, time_text: str | None, when: datetime | None, context: CallContext
) -> tuple[str, tuple[str, ...]]:
    """The urgency and why: an emergency, or three reasons, is urgent; one or two reasons are high."""
    if intent in ("spam_robocall", "wrong_number"):
        return "low", ()
    emergency, reasons = _reasons(text, intent, sentiment, time_text, when, context)
    if emergency:
        return "urgent", (f"{_EMERGENCY_REASON}{emergency}”", *reasons)
    if len(reasons) >= 3:
        return "urgent", tuple(reasons)
    if reasons:
        return "high", tuple(reasons)
    return ("low" if intent == "personal" else "normal"), ()
