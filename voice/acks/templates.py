"""Acknowledgement templates: Jinja2's sandbox with StrictUndefined, so a template can read only the
variables below (checked when it is written) and cannot reach Python objects. The variables are built from
the triage card, never from the transcript, and hold nothing the redaction would hide."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from jinja2 import StrictUndefined, TemplateError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

VARIABLES = ("caller_name", "topic", "team", "callback_by", "business_name")
# One SMS segment is 160 characters; Twilio refuses bodies over 1600.
MAX_BODY = 1600
ANY = "*"

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

# The topic in the caller's words: the intent said plainly (English for languages not listed).
_TOPICS: dict[str, dict[str, str]] = {
    "en": {"billing": "your bill", "support": "your support request", "appointment": "your appointment",
           "sales_lead": "your enquiry", "complaint": "your complaint", "cancellation": "your cancellation",
           "delivery": "your delivery", "callback_request": "your call", "personal": "your message",
           "other": "your message"},
    "de": {"billing": "Ihre Rechnung", "support": "Ihre Supportanfrage", "appointment": "Ihren Termin",
           "sales_lead": "Ihre Anfrage", "complaint": "Ihre Beschwerde", "cancellation": "Ihre Kündigung",
           "delivery": "Ihre Lieferung", "callback_request": "Ihren Anruf", "personal": "Ihre Nachricht",
           "other": "Ihre Nachricht"},
    "fr": {"billing": "votre facture", "support": "votre demande d'assistance",
           "appointment": "votre rendez-vous", "sales_lead": "votre demande",
           "complaint": "votre réclamation", "cancellation": "votre résiliation",
           "delivery": "votre livraison", "callback_request": "votre appel",
           "personal": "votre message", "other": "votre message"},
    "es": {"billing": "su factura", "support": "su solicitud de soporte", "appointment": "su cita",
           "sales_lead": "su consulta", "complaint": "su reclamación", "cancellation": "su cancelación",
           "delivery": "su entrega", "callback_request": "su llamada", "personal": "su mensaje",
           "other": "su mensaje"},
}  # fmt: skip
# What a template is tried with when it is written: an error it can make shows then, not on a caller.
_SAMPLE = {"caller_name": "Maria", "topic": "your bill", "team": "billing", "callback_by": "today at 16:00",
           "business_name": "Acme"}  # fmt: skip
_NAME = re.compile(r"^[^\W\d_][\w'\-]*$")
# What a message needs: the variables, text, if/else, tests and a few filters. Not loops, calls, arithmetic or
# attribute access: the sandbox stops a template reaching Python, not one that spends the sender's time or
# memory ({% for %} over range(100000) twice nested, 'x' * 10**9), and every message waits behind it.
_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Filter, nodes.If,
          nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.Not, nodes.And, nodes.Or, nodes.Concat,
          nodes.Test, nodes.Keyword)  # fmt: skip
FILTERS = ("capitalize", "lower", "upper", "title", "trim", "default", "d", "truncate")


class TemplateInvalid(ValueError):
    """A template that cannot be used: its syntax, an unknown variable, or its length."""


def check(body: str) -> str:
    """``body`` if it is a template Voice can fill; TemplateInvalid saying why not."""
    if not body.strip():
        raise TemplateInvalid("a template needs a body")
    if len(body) > MAX_BODY:
        raise TemplateInvalid(f"a template is at most {MAX_BODY} characters")
    try:
        parsed = _env.parse(body)
        used = meta.find_undeclared_variables(parsed)  # compiles it: an unknown filter is refused here
    except TemplateError as exc:
        raise TemplateInvalid(f"the template does not parse: {exc}") from exc
    _plain(parsed)
    unknown = sorted(used - set(VARIABLES))
    if unknown:
        raise TemplateInvalid(
            f"unknown variable(s) {', '.join(unknown)}: a template may use {', '.join(VARIABLES)}"
        )
    for values in (_SAMPLE, {}):  # filled once as written and once with every variable empty
        render(body, values)
    return body


def _plain(parsed: nodes.Template) -> None:
    """TemplateInvalid unless ``parsed`` uses only what a message needs (``_NODES``, ``FILTERS``)."""
    for node in parsed.find_all(nodes.Node):
        if not isinstance(node, _NODES):
            raise TemplateInvalid(
                f"a template may use the variables, if/else and the filters {', '.join(FILTERS)}; "
                f"not {type(node).__name__.lower()}"
            )
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateInvalid(f"a template may use the filters {', '.join(FILTERS)}; not {node.name}")


def render(body: str, values: dict[str, str]) -> str:
    """The message: the template filled, whitespace tidied, cut to MAX_BODY. A template written before the
    rules of ``check`` is held to them here too."""
    try:
        parsed = _env.parse(body)
        _plain(parsed)
        text = _env.from_string(parsed).render(**{name: values.get(name, "") for name in VARIABLES})
    except TemplateError as exc:
        raise TemplateInvalid(f"the template cannot be filled: {exc}") from exc
    return " ".join(text.split())[:MAX_BODY]


def first_name(caller_name: str | None) -> str:
    """The caller's first name as triage heard it; empty when unsure (initials, redaction marks, digits)."""
    parts = (caller_name or "").split()
    name = parts[0] if parts else ""
    return name if len(name) > 1 and _NAME.match(name) else ""


def topic(intent: str | None, language: str | None) -> str:
    words = _TOPICS.get((language or "en").split("-")[0].lower(), _TOPICS["en"])
    return words.get(intent or "other", words["other"])


class Candidate(Protocol):
    @property
    def intent(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def hours(self) -> str: ...


T = TypeVar("T", bound=Candidate)


@dataclass(frozen=True)
class Wanted:
    intent: str | None
    language: str | None
    business_hours: bool | None  # None: the team has no business hours


def _score(t: Candidate, want: Wanted) -> tuple[int, int, int] | None:
    """How specifically ``t`` fits; None when it does not. The language counts first (a message the caller
    can read), then the intent, then the hours."""
    hours_now = None if want.business_hours is None else ("business" if want.business_hours else "after")
    marks = []
    for mine, theirs in ((t.language, want.language), (t.intent, want.intent), (t.hours, hours_now)):
        wildcard = mine in (ANY, "any")
        if not wildcard and mine != theirs:
            return None
        marks.append(0 if wildcard else 1)
    return marks[0], marks[1], marks[2]


def choose(templates: Sequence[T], want: Wanted) -> T | None:
    """The most specific template that fits (intent + language + hours down to any/any/any); None: none."""
    scored = [(s, t) for t in templates if (s := _score(t, want)) is not None]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None
