"""Built-in triage: what a person would write on a sticky note, and a priority to sort the inbox by.

No network and no model: phonenumbers for numbers, VADER for sentiment (English), dateparser for callback
times (English), and rules for names, organisations, references, e-mails, intent, urgency and robocalls in
every language triage knows (en, es, fr, de, pt, it, zh). Deterministic and fast (a few ms per voicemail;
`python -m bench.triage`). Other languages get numbers, e-mails, the no-speech check and a summary in the
caller's own words.
"""

from __future__ import annotations

from voice.triage.callback import find_callback_number, find_callback_time
from voice.triage.emails import find_email
from voice.triage.intent import call_intent, fingerprint, is_hang_up
from voice.triage.model import CallContext, Triage
from voice.triage.names import find_caller_name, find_organisation
from voice.triage.note import find_request, summary_line
from voice.triage.priority import priority_of
from voice.triage.references import find_references
from voice.triage.sentiment import sentiment_of
from voice.triage.urgency import emergency_said, urgency_of

LOW_CONFIDENCE = 0.45  # transcript confidence under this: say the audio was unclear


def no_speech_triage(reason: str | None, language: str | None = None) -> Triage:
    return Triage(
        summary="No message: the caller hung up or said nothing.",
        caller_name=None,
        organisation=None,
        callback_number=None,
        callback_time_text=None,
        callback_time=None,
        email=None,
        references=(),
        request=None,
        intent="no_message",
        intent_confidence=0.95,
        urgency="low",
        urgency_reasons=(),
        sentiment="neutral",
        sentiment_score=0.0,
        flags=("no_speech",),
        language=language,
        priority=priority_of("low", "no_message", 0, "neutral"),
        fingerprint=None,
    )


def triage(text: str, language: str | None, context: CallContext | None = None) -> Triage:
    """The sticky note for one transcript."""
    context = context or CallContext()
    text = " ".join(text.split())
    lang = (language or "en").lower()
    if is_hang_up(text):
        return no_speech_triage("no words", language)
    english = lang.startswith("en")
    name = find_caller_name(text, lang)
    number = find_callback_number(
        text, lang, context.region, context.caller_id, region_fixed=context.region_fixed
    )
    email = find_email(text, lang)
    refs = find_references(text, lang)
    request = find_request(text)
    sentiment, score = sentiment_of(text, lang)
    time_text, when = find_callback_time(text, lang, context.started_at)
    org = find_organisation(text, name)

    intent, confidence, spam = call_intent(text, sentiment, english, bool(number), context.same_text_callers)
    flags: tuple[str, ...] = ("spam",) if spam else ()
    low_confidence = context.confidence is not None and context.confidence < LOW_CONFIDENCE
    if low_confidence:
        flags += ("low_confidence",)
    urgency, reasons = urgency_of(text, intent, sentiment, time_text, when, context)
    emergency = emergency_said(reasons)
    summary = summary_line(text, english, intent, name, org, refs, time_text, request, emergency)
    if low_confidence:
        summary = "(Unclear audio) " + summary

    return Triage(
        summary=summary,
        caller_name=name,
        organisation=org,
        callback_number=number,
        callback_time_text=time_text,
        callback_time=when,
        email=email,
        references=refs,
        request=request,
        intent=intent,
        intent_confidence=round(confidence, 3),
        urgency=urgency,
        urgency_reasons=reasons,
        sentiment=sentiment,
        sentiment_score=score,
        flags=flags,
        language=language,
        priority=priority_of(urgency, intent, context.repeat_calls, sentiment),
        fingerprint=fingerprint(text),
    )
