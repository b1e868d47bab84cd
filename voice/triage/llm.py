"""Optional LLM summariser: any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp, OpenAI).

It is asked for the triage fields as JSON against a schema (lengths bounded, enums closed), its answer
is validated, and it refines the built-in result: numbers are still normalised with phonenumbers,
flags and the priority still come from the built-in rules. When the endpoint is down, slow or answers
something invalid, the built-in result is kept with the reason in ``error``; a voicemail never fails
because of it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any, Literal

import httpx
import phonenumbers
from pydantic import BaseModel, Field, ValidationError, field_validator

from voice.core import inputs
from voice.core.config import LLMSettings
from voice.core.phone import is_callable
from voice.triage.callback import resolve_time
from voice.triage.context import region_of
from voice.triage.model import INTENTS, URGENCIES, CallContext, Reference, Triage
from voice.triage.priority import priority_of
from voice.triage.references import merge_references

log = logging.getLogger(__name__)


class _Ref(BaseModel):
    kind: str = Field(max_length=20)
    value: str = Field(max_length=40)


class LLMTriage(BaseModel):
    """What the model must answer; anything else is rejected."""

    @field_validator("*", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        if isinstance(value, str):
            return " ".join(value.split())
        if isinstance(value, list):
            return [" ".join(v.split()) if isinstance(v, str) else v for v in value]
        return value

    summary: str = Field(min_length=3, max_length=240)
    caller_name: str = Field("", max_length=80)
    organisation: str = Field("", max_length=80)
    callback_number: str = Field("", max_length=32)
    callback_time_text: str = Field("", max_length=60)
    email: str = Field("", max_length=120)
    references: list[_Ref] = Field(default_factory=list, max_length=5)
    intent: Literal[INTENTS]  # type: ignore[valid-type]
    urgency: Literal[URGENCIES]  # type: ignore[valid-type]
    urgency_reasons: list[str] = Field(default_factory=list, max_length=4)
    sentiment: Literal["negative", "neutral", "positive"]


def _text(max_length: int) -> dict[str, Any]:
    # "" means "not said": nullable unions ("type": ["string", "null"]) are not constrained by every
    # grammar converter (llama.cpp's let raw newlines through them), a plain bounded string is.
    return {"type": "string", "maxLength": max_length}


# Written by hand rather than from pydantic: grammar converters (llama.cpp) handle this plain form, and
# maxLength matters: without it small models run into max_tokens mid-string.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 3, "maxLength": 200},
        "caller_name": _text(60),
        "organisation": _text(60),
        "callback_number": _text(24),
        "callback_time_text": _text(40),
        "email": _text(80),
        "references": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "maxLength": 16},
                    "value": {"type": "string", "maxLength": 24},
                },
                "required": ["kind", "value"],
            },
        },
        "intent": {"type": "string", "enum": list(INTENTS)},
        "urgency": {"type": "string", "enum": list(URGENCIES)},
        "urgency_reasons": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 60}},
        "sentiment": {"type": "string", "enum": ["negative", "neutral", "positive"]},
    },
    "required": ["summary", "caller_name", "callback_number", "intent", "urgency", "sentiment"],
    "additionalProperties": False,
}

SYSTEM = (
    "You triage voicemails left for a call centre. Read the transcript and answer with one JSON object "
    "following the schema, nothing else. summary: one sentence of at most 25 words, in the voicemail's "
    "language, saying who called and what they want. caller_name and organisation only when said. "
    "callback_number: the number the caller said to call back, digits only. callback_time_text: "
    "when to call back, as said. Use an empty string for anything not said. intent: one of "
    + ", ".join(INTENTS)
    + ". urgency: low, normal, "
    "high or urgent; urgent only for emergencies. sentiment: the caller's tone."
)


class LLMFailed(RuntimeError):
    """The endpoint could not give a valid answer (down, slow, refused, or invalid JSON)."""


def _request(settings: LLMSettings, text: str, language: str | None, context: CallContext) -> dict[str, Any]:
    facts = [f"language: {language or 'unknown'}"]
    if context.caller_id:
        facts.append(f"caller id: {context.caller_id}")
    if context.started_at:
        facts.append(f"left at: {context.started_at.isoformat()}")
    if settings.response_format == "json_object":  # llama.cpp's server: a schema inside json_object
        response_format: dict[str, Any] = {"type": "json_object", "schema": SCHEMA}
    else:
        response_format = {"type": "json_schema", "json_schema": {"name": "triage", "schema": SCHEMA}}
    return {
        "model": settings.model,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "; ".join(facts) + "\n\nTranscript:\n" + text[:6000]},
        ],
        "temperature": 0,
        "max_tokens": settings.max_tokens,
        "response_format": response_format,
    }


def ask(settings: LLMSettings, text: str, language: str | None, context: CallContext) -> LLMTriage:
    """One chat completion, validated; raises LLMFailed with a readable reason."""
    assert settings.base_url
    headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
    url = settings.base_url.rstrip("/") + "/chat/completions"
    try:
        response = httpx.post(
            url,
            json=_request(settings, text, language, context),
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 5.0)),
        )
    except httpx.TimeoutException as exc:
        raise LLMFailed(f"no answer within {settings.timeout_s:.0f} s") from exc
    except httpx.HTTPError as exc:
        raise LLMFailed(f"could not reach {settings.base_url} ({exc.__class__.__name__})") from exc
    if response.status_code != 200:
        raise LLMFailed(f"the endpoint answered HTTP {response.status_code}: {response.text[:200]}")
    try:
        choice = response.json()["choices"][0]
        content = choice["message"]["content"] or ""
        if choice.get("finish_reason") == "length":
            raise LLMFailed("the answer was cut off at max_tokens")
        # strict=False: some grammar-constrained servers (llama.cpp) let raw newlines into strings.
        answer = json.loads(content, strict=False)
        # NUL fails the insert on PostgreSQL and NaN cannot be encoded back: refuse them here.
        return LLMTriage.model_validate(inputs.check_value(answer, "the answer"))
    except (ValueError, KeyError, IndexError, TypeError, RecursionError) as exc:
        reason = "invalid JSON" if isinstance(exc, json.JSONDecodeError) else "an answer outside the schema"
        if isinstance(exc, inputs.InputError):
            reason = f"an answer Voice will not store ({exc})"
        elif isinstance(exc, RecursionError):
            reason = "an answer nested too deeply"
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "answer"
            reason = f"an answer outside the schema ({where}: {first['msg']})"
        raise LLMFailed(f"the model gave {reason}") from exc


def _e164(number: str | None, context: CallContext) -> str | None:
    """The model's number as E.164 when it is worth calling (as the built-in reader requires), else None."""
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, region_of(context))
    except phonenumbers.NumberParseException:
        return None
    if not is_callable(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def refine(
    builtin: Triage, text: str, language: str | None, context: CallContext, settings: LLMSettings
) -> Triage:
    """The LLM's triage merged over the built-in one, or the built-in one with the failure recorded."""
    if not settings.base_url or not text.strip() or "no_speech" in builtin.flags:
        return builtin
    try:
        answer = ask(settings, text, language, context)
    except LLMFailed as exc:
        log.warning("LLM summariser failed, keeping the built-in triage: %s", exc)
        return replace(builtin, error=f"LLM summariser not used: {exc}")
    flags = list(builtin.flags)
    if answer.intent == "spam_robocall" and "spam" not in flags:
        flags.append("spam")
    urgency = answer.urgency
    time_text = answer.callback_time_text or builtin.callback_time_text
    when = builtin.callback_time
    if answer.callback_time_text and (language or "en").startswith("en"):
        when = resolve_time(answer.callback_time_text, context.started_at) or builtin.callback_time
    summary = " ".join(answer.summary.split()[:30])
    if "low_confidence" in flags and not summary.startswith("(Unclear audio)"):
        summary = "(Unclear audio) " + summary
    return replace(
        builtin,
        summary=summary,
        caller_name=answer.caller_name or builtin.caller_name,
        organisation=answer.organisation or builtin.organisation,
        callback_number=_e164(answer.callback_number, context) or builtin.callback_number,
        callback_time_text=time_text,
        callback_time=when,
        email=(answer.email or builtin.email or None),
        # The built-in reader's references first: the model tends to name only one of several.
        references=merge_references(
            builtin.references, tuple(Reference(r.kind.lower(), r.value) for r in answer.references)
        ),
        intent=answer.intent,
        intent_confidence=0.0,  # models give no calibrated confidence
        urgency=urgency,
        urgency_reasons=tuple(answer.urgency_reasons) or builtin.urgency_reasons,
        sentiment=answer.sentiment,
        flags=tuple(flags),
        priority=priority_of(urgency, answer.intent, context.repeat_calls, answer.sentiment),
        summariser=f"llm:{settings.model}",
        error=None,
    )
