"""Built-in triage: what a person would write on a sticky note, and a priority to sort the inbox by.

No network and no model: phonenumbers for numbers, VADER for sentiment, dateparser for callback
times, and rules for intent, urgency and robocalls. Deterministic and fast (well under 50 ms per
voicemail). Every field is filled for English; for other languages numbers, emails, references,
language, no_speech and a summary in the caller's own words.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from voice.triage.extract import (
    find_callback_number,
    find_caller_name,
    find_request,
    spoken_digits_to_numbers,
)

INTENTS = (
    "callback_request",
    "appointment",
    "billing",
    "support",
    "sales_lead",
    "complaint",
    "cancellation",
    "delivery",
    "personal",
    "wrong_number",
    "spam_robocall",
    "no_message",
    "other",
)
URGENCIES = ("low", "normal", "high", "urgent")
LOW_CONFIDENCE = 0.45  # transcript confidence under this: say the audio was unclear


@dataclass(frozen=True)
class Reference:
    kind: str  # order, invoice, account, case, ticket, claim, policy, reference, confirmation
    value: str


@dataclass(frozen=True)
class Triage:
    summary: str
    caller_name: str | None
    organisation: str | None
    callback_number: str | None
    callback_time_text: str | None
    callback_time: datetime | None
    email: str | None
    references: tuple[Reference, ...]
    request: str | None
    intent: str
    intent_confidence: float
    urgency: str
    urgency_reasons: tuple[str, ...]
    sentiment: str
    sentiment_score: float
    flags: tuple[str, ...]
    language: str | None
    priority: float
    fingerprint: str | None
    summariser: str = "builtin"
    error: str | None = None  # why an optional summariser was not used

    @property
    def text(self) -> str:  # the one-line summary, as the foundation's Summary called it
        return self.summary

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["callback_time"] = self.callback_time.isoformat() if self.callback_time else None
        out["references"] = [asdict(r) for r in self.references]
        out["urgency_reasons"] = list(self.urgency_reasons)
        out["flags"] = list(self.flags)
        out["text"] = self.summary
        return out


@dataclass(frozen=True)
class CallContext:
    """What the pipeline knows about the call besides the words."""

    started_at: datetime | None = None
    caller_id: str | None = None
    region: str = "US"
    # True when the region came from the mailbox's config: then the caller id does not change it.
    region_fixed: bool = False
    confidence: float | None = None  # the transcript's
    repeat_calls: int = 0  # earlier voicemails from the same number within 24 h
    same_text_callers: int = 0  # other numbers that left the same text recently


# --- patterns -------------------------------------------------------------------------------------


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)


_SPAM = _rx(
    r"press (?:one|1|two|2|nine|9|zero|0)",
    r"extended (?:auto |car |vehicle )?warranty",
    r"(?:car|vehicle|auto)(?:'s)? (?:extended )?warranty",
    r"final (?:notice|attempt)",
    r"social security (?:number|benefits) (?:has|have|will) been (?:suspended|cancelled)",
    r"(?:suspended|suspend) your social security",
    r"lower your (?:interest )?rates?",
    r"credit card (?:debt|interest rates?)",
    r"student loan forgiveness",
    r"you(?:'ve| have) been (?:selected|pre-?approved|chosen)",
    r"free (?:cruise|vacation|trip|gift)",
    r"to be removed from (?:our|the|this) (?:calling )?list",
    r"this is (?:an? )?(?:important|urgent|courtesy|final) (?:message|notice|call) (?:from|regarding|about)",
    r"do not hang up",
    r"tax (?:relief|debt)",
    r"medicare (?:benefits|plan|card)",
    r"act now",
    r"limited time offer",
    r"this is not a sales call",
    r"warrant (?:for|out for) your arrest",
    r"amazon (?:account|order) .{0,30}(?:suspicious|unauthori[sz]ed)",
    r"your (?:computer|microsoft|windows) (?:is|has been) (?:infected|compromised)",
)
_WRONG_NUMBER = _rx(
    r"wrong number",
    r"(?:dialed|dialled|called) the wrong",
    r"meant to call",
    r"sorry,? (?:i think )?i (?:have|got) the wrong",
    r"not the right number",
    r"(?:isn't|is not) the right number",
)
_EMERGENCY = _rx(
    r"emergency",
    r"flood(?:ing|ed)?",
    r"burst pipe",
    r"gas leak",
    r"(?:on )?fire\b",
    r"smoke",
    r"hospital",
    r"ambulance",
    r"life[- ]threatening",
    r"no heat",
    r"(?:water|sewage) (?:everywhere|leak(?:ing)?)",
    r"locked out",
    r"urgencia",
    r"emergencia",
    r"dringend",
    r"notfall",
    r"urgence",
)
_URGENT = _rx(
    r"urgent(?:ly)?",
    r"asap",
    r"a\.s\.a\.p",
    r"as soon as (?:possible|you can|you get this)",
    r"right away",
    r"immediately",
    r"critical",
    r"time[- ]sensitive",
    r"straight away",
    r"urgente",
    r"lo antes posible",
    r"sofort",
)
_TODAY = _rx(
    r"today",
    r"tonight",
    r"this (?:afternoon|evening)",
    r"by (?:the )?end of (?:the )?day",
    r"end of business",
    r"within the (?:hour|next hour)",
    r"before (?:\d{1,2}|noon|five|six|five o'clock)",
    r"hoy",
    r"heute",
    r"aujourd'hui",
)
_REPEAT_WORDS = _rx(
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time (?:i(?:'ve| have)? )?(?:call|tr)",
    r"called (?:you )?(?:several|a few|many|multiple|three|two) times",
    r"(?:still )?(?:haven't|have not|never) (?:heard|gotten a call) back",
    r"nobody (?:has )?called me back",
    r"calling (?:again|back again)",
    r"left (?:you )?(?:a|another) message",
    r"every time I call",
)

_INTENT_CUES: dict[str, list[tuple[str, float]]] = {
    "appointment": [
        (r"appointment", 2.0),
        (r"reschedul\w*", 2.0),
        (r"book (?:a|an|me)", 1.5),
        (r"schedule (?:a|an)", 1.5),
        (r"consultation", 1.0),
        (r"check-?up", 1.0),
        (r"cleaning", 0.8),
        (r"(?:an? )?(?:slots?|opening)", 0.8),
        (r"meeting", 1.2),
        (r"table for", 1.5),
        (r"book(?:ed)? a table", 2.0),
        (r"confirm (?:my|the|our) (?:visit|booking|reservation)", 1.5),
        (r"reservation", 1.2),
        (r"move (?:my|the) (?:visit|booking)", 1.5),
        (r"cita|consulta", 2.0),
        (r"appuntamento", 2.0),
        (r"termin", 1.5),
        (r"rendez-vous", 2.0),
    ],
    "billing": [
        (r"invoice", 2.0),
        (r"bill(?:ed|ing)?", 1.8),
        (r"charge[ds]?", 1.2),
        (r"overcharg\w*", 2.0),
        (r"payment", 1.5),
        (r"refund", 1.8),
        (r"statement", 1.2),
        (r"balance", 1.0),
        (r"renewal", 1.5),
        (r"card on file", 2.0),
        (r"update (?:the|my) (?:credit )?card", 2.0),
        (r"receipt", 1.0),
        (r"double[- ]charged", 2.0),
        (r"late fee", 2.0),
        (r"direct debit", 1.5),
        (r"credit card", 0.8),
        (r"pay (?:my|the|this|an?)", 1.2),
        (r"factura|fatura", 2.0),
        (r"rechnung", 2.0),
        (r"facture", 2.0),
    ],
    "support": [
        (r"not working", 2.0),
        (
            r"(?:isn't|aren't|wasn't|is not|are not|won't|will not|doesn't|does not|stopped|keeps?) "
            r"(?:work|sync|load|connect|print|charg|start|turn|respond|open)\w*",
            2.0,
        ),
        (r"stopped working", 2.0),
        (r"(?:doesn't|does not|won't|will not|isn't) (?:work|turn on|start|connect|load)", 2.0),
        (r"broken", 1.5),
        (r"error(?: message| code)?", 1.5),
        (r"problem with", 1.5),
        (r"issue with", 1.5),
        (r"help (?:me )?with", 1.0),
        (r"(?:can't|cannot|can not) (?:log ?in|sign in|access|connect|get)", 2.0),
        (r"password", 1.5),
        (r"outage", 2.0),
        (r"internet (?:is |has been )?down", 2.0),
        (r"(?:is|went|has been|been) down", 1.2),
        (r"invalid", 1.0),
        (r"locked out", 1.5),
        (r"set ?up", 0.8),
        (r"install\w*", 1.0),
        (r"leak\w*", 1.2),
        (r"repair\w*", 1.5),
        (r"crash(?:es|ed|ing)?", 2.0),
        (r"(?:isn't|is not|not) responding", 1.5),
        (r"fix", 1.0),
        (r"technician", 1.2),
        (r"send (?:someone|somebody|a plumber|an electrician|a technician)", 2.0),
        (r"burst pipe|water everywhere|(?:is|are) leaking", 2.0),
        (r"no (?:hot water|power|signal|internet|service)", 2.0),
        (r"no funciona", 2.0),
        (r"fuga", 2.0),
        (r"vazamento", 2.0),
        (r"ausgefallen", 2.0),
        (r"kein warmes wasser", 2.0),
        (r"panne", 2.0),
    ],
    "sales_lead": [
        (r"quote", 2.0),
        (r"pricing", 2.0),
        (r"price[sd]?", 1.2),
        (r"(?:would|will|does it) cost", 1.5),
        (r"do you do", 1.2),
        (r"renovations?", 1.0),
        (r"interested in", 2.0),
        (r"purchas\w*", 1.5),
        (r"buy(?:ing)?", 1.2),
        (r"estimate", 1.8),
        (r"how much", 1.5),
        (r"demo", 1.5),
        (r"sign (?:up|us up)", 1.2),
        (r"new customer", 1.5),
        (r"bulk order", 2.0),
        (r"looking (?:for|to get|into)", 0.8),
        (r"rates", 0.6),
        (r"(?:more )?information about your", 1.2),
        (r"presupuesto", 2.0),
        (r"angebot", 1.5),
        (r"devis|preventivo|orçamento", 2.0),
        (r"\d+ (?:units|licen[cs]es|seats)", 1.5),
        (r"open (?:an|a new) account", 1.5),
    ],
    "complaint": [
        (r"complain\w*", 2.5),
        (r"unacceptable", 2.0),
        (r"disappoint\w*", 1.8),
        (r"terribl\w*", 1.5),
        (r"gone downhill", 2.0),
        (r"escalat\w*", 1.5),
        (r"awful", 1.5),
        (r"rude", 1.8),
        (r"worst", 1.5),
        (r"not (?:happy|satisfied|pleased)", 1.8),
        (r"frustrat\w*", 1.2),
        (r"ridiculous", 1.5),
        (r"never (?:showed|turned) up", 2.0),
        (r"no[- ]show", 1.5),
        (r"still waiting", 1.2),
        (r"speak (?:to|with) (?:a|your|the) (?:manager|supervisor)", 2.0),
        (r"(?:poor|bad|lousy) service", 2.0),
        (r"angry", 1.2),
        (r"upset", 1.2),
        (r"queja\w*|quejar\w*", 2.0),
        (r"nunca vino", 2.0),
        (r"beschwerde", 2.0),
        (r"plainte", 2.0),
    ],
    "cancellation": [
        (
            r"cancel(?:l?ing|l?ed)? (?:my|our|the) "
            r"(?:subscription|account|service|membership|contract|policy|plan|order)",
            3.0,
        ),
        (r"cancel\w*", 1.2),
        (r"terminat\w*", 1.8),
        (r"close (?:my|our) account", 2.5),
        (r"(?:don't|do not) want to renew", 2.5),
        (r"stop (?:the|my|our) (?:\w+ )?(?:service|subscription|deliveries|orders?)", 2.5),
        (r"opt out", 1.2),
        (r"end (?:my|our|the) (?:\w+ )?(?:contract|subscription|membership|plan)", 2.5),
        (r"cancelar", 2.0),
        (r"résilier|resilier", 2.5),
        (r"disdire", 2.5),
        (r"kündig\w*", 2.5),
    ],
    "delivery": [
        (r"deliver(?:y|ies|ed)?", 2.0),
        (r"package", 1.8),
        (r"parcel", 2.0),
        (r"shipment", 2.0),
        (r"shipping", 1.5),
        (r"tracking (?:number)?", 1.8),
        (r"courier", 2.0),
        (r"driver", 1.2),
        (r"(?:hasn't|has not|never) arrived", 2.0),
        (r"dispatch\w*", 1.2),
        (r"arrived", 1.2),
        (r"drop(?:ped)? off", 1.2),
        (r"pick ?up", 0.8),
        (r"pedido", 1.5),
        (r"lieferung", 2.0),
        (r"livraison", 2.0),
        (r"envío", 2.0),
    ],
    "personal": [
        (r"mom|mum|dad|grandma|grandpa|auntie|uncle", 2.0),
        (r"honey|sweetie|sweetheart|darling", 2.5),
        (r"love you", 3.0),
        (r"birthday", 1.5),
        (r"dinner", 1.0),
        (r"it's (?:just )?me", 2.0),
        (r"just (?:wanted|calling) to (?:say hi|check in|catch up|see how you)", 2.5),
        (r"miss you", 2.5),
        (r"buddy", 1.0),
        (r"mate", 0.4),
        (r"the kids", 1.5),
        (r"family", 0.8),
        (
            r"te quiero|ti voglio bene|je t'aime|ich liebe dich|un bacio|besos|bisous"
            r"|sono io|soy yo|c'est moi",
            2.5,
        ),
        (r"mamá|papá", 2.0),
    ],
    "callback_request": [
        (r"call (?:me|us) back", 1.5),
        (r"give (?:me|us) a (?:call|ring)", 1.5),
        (r"return (?:my|the|this) call", 1.5),
        (r"get back to (?:me|us)", 1.5),
        (r"reach me", 1.2),
        (r"call me (?:at|on)", 1.2),
        (r"callback", 1.5),
        (r"speak (?:to|with) (?:you|someone)", 1.0),
        (r"(?:have|had) a (?:quick )?word", 1.2),
        (r"ring (?:me|us)(?: back)?", 1.5),
        (r"give (?:me|us) a bell", 1.5),
        (r"talk to (?:you|someone)", 1.0),
        (r"llámame|llámeme", 1.5),
        (r"rappel(?:er|ez)", 1.5),
        (r"zurückrufen|rückruf", 1.5),
    ],
}
# Chinese has no spaces, so these are matched as plain substrings.
_CJK_CUES: dict[str, list[tuple[str, float]]] = {
    "appointment": [("预约", 2.0), ("会议", 1.5), ("约个时间", 2.0)],
    "billing": [("账单", 2.0), ("多收", 2.0), ("发票", 2.0), ("付款", 1.5), ("退款", 1.8)],
    "support": [("坏了", 2.0), ("不能用", 2.0), ("故障", 2.0), ("维修", 1.5)],
    "sales_lead": [("价格", 2.0), ("报价", 2.0), ("感兴趣", 1.5)],
    "complaint": [("投诉", 2.5), ("不满意", 2.0)],
    "cancellation": [("取消", 2.0), ("退订", 2.5)],
    "delivery": [("快递", 2.0), ("送货", 2.0), ("包裹", 2.0), ("还没有到", 1.5)],
    "callback_request": [("回电话", 1.5), ("给我打电话", 1.5)],
}
_INTENT_RX = {
    intent: [(re.compile(r"\b(?:" + p + r")\b", re.I), w) for p, w in cues]
    + [(re.compile(re.escape(p)), w) for p, w in _CJK_CUES.get(intent, [])]
    for intent, cues in _INTENT_CUES.items()
}

_ORG = re.compile(
    r"\b(?:(?:calling |I'm |I am |this is \w+ )?from|with|at)\s+"
    r"((?:[A-Z][\w&'’.-]*|&)(?:\s+(?:[A-Z][\w&'’.-]*|&|of|and|the)){0,4})",
)
_ORG_STOP = {
    "I",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "The",
    "A",
    "An",
}
_ORG_SUFFIX = re.compile(r"\s+(?:of|and|the|&)$")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# "john dot smith at acme dot com": the local part is one word or words joined by dot/underscore/dash.
_SPOKEN_EMAIL = re.compile(
    r"\b((?:[a-z0-9]+\s+(?:dot|underscore|dash)\s+)*[a-z0-9]+)\s+at\s+([a-z0-9-]+(?:\s+dot\s+[a-z]{2,})+)\b",
    re.I,
)
_SPOKEN_JOINS = {"dot": ".", "underscore": "_", "dash": "-"}
_REF = re.compile(
    r"\b(order|invoice|account|case|ticket|claim|policy|reference|confirmation|booking|tracking|work order|"
    r"pedido|factura|cuenta|rechnung|bestellung|commande|facture)"
    r"(?:,?\s+(?:number|no\.?|num(?:ber)?|#|nummer|número|numéro|ID))?[\s:#]*(?:is\s+)?"
    r"([A-Z]{0,4}[-\s]?\d[\d\s-]{1,18}\d|[A-Z]{1,4}-?\d{2,}|\d{2,})",
    re.I,
)
_REF_KINDS = {
    "pedido": "order",
    "bestellung": "order",
    "commande": "order",
    "factura": "invoice",
    "rechnung": "invoice",
    "facture": "invoice",
    "cuenta": "account",
    "work order": "order",
}
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_TIME_WORDS = re.compile(
    rf"\b((?:after|before|by|around|about|until|between)\s+)?"
    rf"((?:(?:today|tonight|tomorrow|this|next|on)\s+)?(?:(?:{_WEEKDAYS}|morning|afternoon|evening|week)\s*)?"
    rf"(?:(?:after|before|by|around|at|until|between)\s+)?"
    rf"(?:\d{{1,2}}(?::\d{{2}})?\s*(?:a\.?m\.?|p\.?m\.?|o'clock)|noon|midday)"
    rf"|(?:today|tonight|tomorrow)(?:\s+(?:morning|afternoon|evening|night))?"
    rf"|this (?:morning|afternoon|evening)|(?:on\s+)?(?:{_WEEKDAYS})(?:\s+(?:morning|afternoon|evening))?"
    rf"|(?:the\s+)?end of (?:the\s+)?(?:day|week)|next week)",
    re.I,
)


# --- fields ---------------------------------------------------------------------------------------


# Whisper often writes "dana at example.com": a spoken "at" before a written domain.
HALF_SPOKEN_EMAIL = re.compile(
    r"\b([a-z0-9][a-z0-9._-]*)\s+at\s+([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", re.I
)


def email_spans(text: str) -> list[tuple[int, int, str]]:
    """Every email address in ``text`` as (start, end, address): written, then half-spoken ("dana at
    example.com"), then spoken ("john dot smith at acme dot com"). "reach me at ..." is not an address."""
    found = [(m.start(), m.end(), m.group(0).rstrip(".").lower()) for m in _EMAIL.finditer(text)]
    for m in HALF_SPOKEN_EMAIL.finditer(text):
        if m.group(1).lower() not in _PRONOUNS:
            found.append((m.start(), m.end(), f"{m.group(1)}@{m.group(2)}".lower()))
    for word in re.finditer(r"\b\w", text):  # every word start: "me at john dot smith at acme dot com"
        spoken = _SPOKEN_EMAIL.match(text, word.start())
        if spoken is None or spoken.group(1).lower() in _PRONOUNS:
            continue
        local, domain = (
            re.sub(r"\s+(dot|underscore|dash)\s+", lambda j: _SPOKEN_JOINS[j.group(1).lower()], g)
            for g in (spoken.group(1), spoken.group(2))
        )
        found.append((spoken.start(), spoken.end(), f"{local}@{domain}".lower()))
    return found


def find_email(text: str) -> str | None:
    spans = email_spans(text)
    return spans[0][2] if spans else None


_PRONOUNS = frozenset({"me", "us", "you", "him", "her", "them", "it", "is", "email", "mail"})


_CJK_REF = re.compile(r"(订单|发票|账户|单)号?(?:码)?是?\s*([A-Z0-9-]{3,})")
_CJK_REF_KINDS = {"订单": "order", "单": "order", "发票": "invoice", "账户": "account"}


def find_references(text: str, language: str) -> tuple[Reference, ...]:
    seen: dict[str, Reference] = {}
    for m in _CJK_REF.finditer(text):
        seen[m.group(2)] = Reference(_CJK_REF_KINDS[m.group(1)], m.group(2))
    for source in (text, spoken_digits_to_numbers(text, language)):
        for m in _REF.finditer(source):
            kind = m.group(1).lower()
            kind = _REF_KINDS.get(kind, kind)
            value = re.sub(r"[\s]+", "", m.group(2)).strip("-").upper()
            digits = re.sub(r"\D", "", value)
            if len(digits) < 3 or (kind == "account" and len(digits) > 16):
                continue
            # A phone number said right after "account" is not an account number; keep short ids only.
            if value not in seen:
                seen[value] = Reference(kind, value)
    return tuple(seen.values())


def find_organisation(text: str, caller_name: str | None) -> str | None:
    for m in _ORG.finditer(text):
        words = m.group(1).split()
        while words and (words[-1] in _ORG_STOP or words[-1].lower() in {"of", "and", "the", "&"}):
            words.pop()
        if not words or words[0] in _ORG_STOP:
            continue
        org = re.split(r"[.,!?;]\s|[,!?;]$|\.$", " ".join(words))[0]  # one sentence, one name
        org = _ORG_SUFFIX.sub("", org).strip(" .,'’")
        if org.split()[-1] in {"I'm", "I", "We", "We're"}:
            org = " ".join(org.split()[:-1])
        if caller_name and org in caller_name:
            continue
        if len(org) >= 2:
            return org
    return None


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str, language: str) -> tuple[str, float]:
    """VADER's compound score (-1..1) for English; other languages are left neutral."""
    if not text or not language.startswith("en"):
        return "neutral", 0.0
    score = float(_vader().polarity_scores(text)["compound"])
    label = "negative" if score <= -0.35 else "positive" if score >= 0.5 else "neutral"
    return label, round(score, 3)


_CALLBACK_CUE = re.compile(r"\b(?:call|ring|reach|return|contact|available|free|try me|get back)\b", re.I)


def find_callback_time(
    text: str, language: str, started_at: datetime | None
) -> tuple[str | None, datetime | None]:
    """When to call back, as said and, where dateparser resolves it against the call's start, as a
    timestamp. A time in a sentence that asks for a call wins over other times (an appointment day)."""
    if not language.startswith("en"):
        return None, None
    sentences = re.split(r"(?<=[.!?])\s+", text)
    ordered = [x for x in sentences if _CALLBACK_CUE.search(x)] + [
        x for x in sentences if not _CALLBACK_CUE.search(x)
    ]
    for sentence in ordered:
        for m in _TIME_WORDS.finditer(sentence):
            phrase = m.group(0).strip(" ,.")
            if phrase:
                return phrase, resolve_time(m.group(2), started_at)
    return None, None


def _is_deadline(phrase: str, when: datetime, start: datetime) -> bool:
    """ "by 5", "before Friday" within 24 h, or any time later the same day; not "after", "around",
    or "tomorrow morning" (that is when they are free, not a deadline)."""
    ahead = when - start.astimezone(UTC)
    if not timedelta(0) <= ahead <= timedelta(hours=24):
        return False
    first = phrase.split()[0].lower() if phrase.split() else ""
    return first in ("by", "before", "until") or when.date() == start.astimezone(UTC).date()


def resolve_time(phrase: str, started_at: datetime | None) -> datetime | None:
    import dateparser

    base = (started_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    cleaned = re.sub(r"\b(?:on|at|by|after|before|around|until|between)\b", " ", phrase, flags=re.I)
    cleaned = re.sub(r"\bend of (?:the )?day\b", "17:00", cleaned, flags=re.I)
    cleaned = re.sub(r"\bo'clock\b", ":00", cleaned, flags=re.I).strip()
    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False},
    )
    return parsed.replace(tzinfo=UTC) if parsed else None


def fingerprint(text: str) -> str | None:
    """Robocalls say the same words to everyone: a hash of the first words, digits and names aside."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    if len(words) < 8:
        return None
    return hashlib.sha1(" ".join(words[:40]).encode()).hexdigest()


def classify_intent(text: str, sentiment: str = "neutral") -> tuple[str, float, dict[str, float]]:
    scores = {intent: sum(w for rx, w in cues if rx.search(text)) for intent, cues in _INTENT_RX.items()}
    if sentiment == "negative" and scores["complaint"] > 0:
        scores["complaint"] += 1.0  # an angry caller with a grievance is complaining
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0:
        return "other", 0.4, scores
    # A callback request names no subject; any subject wins over it.
    if best == "callback_request":
        subject = max((kv for kv in ranked if kv[0] != "callback_request"), key=lambda kv: kv[1])
        if subject[1] >= 1.0:
            best, top, second = subject[0], subject[1], scores["callback_request"]
    confidence = min(0.97, 0.5 + 0.5 * (top - min(second, top)) / (top + 1.0))
    return best, round(confidence, 3), scores


# --- priority -------------------------------------------------------------------------------------

URGENCY_POINTS = {"urgent": 60.0, "high": 40.0, "normal": 20.0, "low": 5.0}
INTENT_POINTS = {
    "complaint": 10.0, "cancellation": 10.0, "sales_lead": 8.0, "billing": 6.0, "support": 6.0,
    "appointment": 5.0, "delivery": 5.0, "callback_request": 5.0, "personal": 2.0, "other": 2.0,
    "wrong_number": 0.0, "spam_robocall": 0.0, "no_message": 0.0,
}  # fmt: skip


def priority_of(urgency: str, intent: str, repeat_calls: int, sentiment: str) -> float:
    """urgency points + intent points + 5 per earlier call from the number within 24 h (at most 15)
    + 5 for negative sentiment. Waiting time is added when the inbox is read (see README)."""
    points = URGENCY_POINTS[urgency] + INTENT_POINTS[intent] + min(repeat_calls, 3) * 5.0
    if sentiment == "negative":
        points += 5.0
    return points


# --- the whole note -------------------------------------------------------------------------------

_VERBS = {
    "callback_request": "asks for a callback",
    "appointment": "wants to book or change an appointment",
    "billing": "has a billing question",
    "support": "needs help with a problem",
    "sales_lead": "is interested in buying",
    "complaint": "has a complaint",
    "cancellation": "wants to cancel",
    "delivery": "asks about a delivery",
    "personal": "left a personal message",
    "other": "left a message",
}


def _shorten(words: str, limit: int = 25) -> str:
    parts = words.split()
    return " ".join(parts[:limit]).rstrip(",;") + ("…" if len(parts) > limit else "")


def _topic(references: tuple[Reference, ...]) -> str:
    if references:
        ref = references[0]
        return f" about {ref.kind} {ref.value}"
    return ""


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


_FILLERS = frozenset(
    re.findall(
        r"\S+",
        "hello hi hey um uh er erm hmm oh okay ok yeah yes no never mind bye sorry "
        "hola allo allô hallo alô oi pronto ciao 喂 你好 嗯",
    )
)


def _is_hang_up(text: str) -> bool:
    """Nothing but fillers ("Hello? Hello?", "Um, never mind"): the caller hung up without a message."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return len(words) < 2 and not re.search(r"\d", text) or all(w in _FILLERS for w in words)


def triage(text: str, language: str | None, context: CallContext | None = None) -> Triage:
    """The sticky note for one transcript."""
    context = context or CallContext()
    text = " ".join(text.split())
    lang = (language or "en").lower()
    if _is_hang_up(text):
        return no_speech_triage("no words", language)
    english = lang.startswith("en")
    name = find_caller_name(text)
    number = find_callback_number(
        text, lang, context.region, None if context.region_fixed else context.caller_id
    )
    email = find_email(text)
    refs = find_references(text, lang)
    request = find_request(text)
    sentiment, score = sentiment_of(text, lang)
    time_text, when = find_callback_time(text, lang, context.started_at)
    org = find_organisation(text, name) if english else None

    flags: list[str] = []
    spam_hits = len(_SPAM.findall(text))
    if spam_hits >= 1 or context.same_text_callers >= 3:
        flags.append("spam")
    if _WRONG_NUMBER.search(text):
        intent, confidence = "wrong_number", 0.9
    elif "spam" in flags:
        intent, confidence = (
            "spam_robocall",
            min(0.97, 0.7 + 0.1 * spam_hits + 0.05 * context.same_text_callers),
        )
    else:
        intent, confidence, _ = classify_intent(text, sentiment)
        if not english and intent == "other" and number:
            intent, confidence = "callback_request", 0.5
    low_confidence = context.confidence is not None and context.confidence < LOW_CONFIDENCE
    if low_confidence:
        flags.append("low_confidence")

    reasons: list[str] = []
    urgency = "normal"
    if intent in ("spam_robocall", "wrong_number"):
        urgency = "low"
    else:
        if m := _EMERGENCY.search(text):
            reasons.append(f"said “{m.group(0)}”")
        if m := _URGENT.search(text):
            reasons.append(f"said “{m.group(0)}”")
        if m := _TODAY.search(text):
            reasons.append(f"wants it “{m.group(0)}”")
        start = context.started_at or datetime.now(UTC)
        if when is not None and not _TODAY.search(text) and _is_deadline(time_text or "", when, start):
            reasons.append(f"deadline within 24 h ({time_text})")
        if context.repeat_calls or _REPEAT_WORDS.search(text):
            calls = (
                f"{context.repeat_calls} earlier call(s) from this number today"
                if context.repeat_calls
                else "says they called before"
            )
            reasons.append(calls)
        if sentiment == "negative":
            reasons.append("negative tone")
        if intent == "complaint" and sentiment != "positive":
            reasons.append("a complaint")  # unhappy customers are the ones who leave
        points = 2 * bool(_EMERGENCY.search(text)) + len(reasons)
        if _EMERGENCY.search(text) or points >= 3:
            urgency = "urgent"
        elif points >= 1:
            urgency = "high"
        elif intent == "personal":
            urgency = "low"

    who = name or ("A caller" if english else None)
    if english:
        if intent == "spam_robocall":
            summary = "Recorded sales or robocall message" + (f" ({org})" if org else "") + "."
        elif intent == "wrong_number":
            summary = f"{who} dialled the wrong number."
        else:
            subject = f"{who}{f' from {org}' if org else ''} {_VERBS[intent]}{_topic(refs)}"
            if time_text:
                subject += f", {time_text}"
            summary = _shorten(subject) + "."
    else:
        summary = _shorten(f"{name}: {request}" if name and request else request or text)
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
        urgency_reasons=tuple(reasons),
        sentiment=sentiment,
        sentiment_score=score,
        flags=tuple(flags),
        language=language,
        priority=priority_of(urgency, intent, context.repeat_calls, sentiment),
        fingerprint=fingerprint(text),
    )
