"""What the call is about: hang-ups, robocalls, wrong numbers, and otherwise the intent whose cue words
score highest. Also the robocall fingerprint (the same words left by many numbers)."""

from __future__ import annotations

import hashlib
import re


def phrases(*words: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of ``words`` as whole words."""
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)


_SPAM = phrases(
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
_WRONG_NUMBER = phrases(
    r"wrong number",
    r"(?:dialed|dialled|called) the wrong",
    r"meant to call",
    r"sorry,? (?:i think )?i (?:have|got) the wrong",
    r"not the right number",
    r"(?:isn't|is not) the right number",
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


_FILLERS = frozenset(
    re.findall(
        r"\S+",
        "hello hi hey um uh er erm hmm oh okay ok yeah yes no never mind bye sorry "
        "hola allo allô hallo alô oi pronto ciao 喂 你好 嗯",
    )
)


def is_hang_up(text: str) -> bool:
    """Nothing but fillers ("Hello? Hello?", "Um, never mind"): the caller hung up without a message."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return len(words) < 2 and not re.search(r"\d", text) or all(w in _FILLERS for w in words)


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


def call_intent(
    text: str, sentiment: str, english: bool, has_number: bool, same_text_callers: int
) -> tuple[str, float, bool]:
    """The intent, its confidence, and whether the call looks like spam (robocall words, or the same
    words left by three or more other numbers)."""
    spam_hits = len(_SPAM.findall(text))
    spam = spam_hits >= 1 or same_text_callers >= 3
    if _WRONG_NUMBER.search(text):
        return "wrong_number", 0.9, spam
    if spam:
        return "spam_robocall", min(0.97, 0.7 + 0.1 * spam_hits + 0.05 * same_text_callers), spam
    intent, confidence, _ = classify_intent(text, sentiment)
    if not english and intent == "other" and has_number:
        return "callback_request", 0.5, spam
    return intent, confidence, spam
