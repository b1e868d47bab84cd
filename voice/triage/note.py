"""The words on the sticky note: the sentence that says what the caller wants, and the one-line summary."""

from __future__ import annotations

import re

from voice.triage.model import Reference

_REQUEST_CUES = re.compile(
    r"call (me|us)? ?back|callback|call me|give me a call|get back to|please|need|want|would like|"
    r"calling (about|regarding|to|because)|question|appointment|reschedul|cancel|invoice|order|bill|"
    r"deliver|refund|problem|issue|urgent|asap|\?|llámame|llamar|rappel|zurückruf|rückruf|ligar|retorn|"
    # Asking, in es, de, fr, pt, it and zh: "¿me pueden...?", "quisiera", "könnten Sie", "pourriez-vous"...
    r"¿|\bme (?:puede|pueden|podría|podrían)\b|\bquer(?:ía|ia|emos|íamos|iamos)\b|\bquisiera|\bme gustaría|"
    r"\bnecesit|\bpor favor|\bdevolver|\b(?:könnten|können|würden) sie\b|\bich (?:möchte|hätte gern|brauche)|"
    r"\bbitte\b|\b(?:pourriez|pouvez)-vous|\bje (?:voudrais|souhaite|souhaiterais)|\bj'aimerais|"
    r"\bj'ai besoin|\bmerci de\b|\bgostaria|\bpoderia|\bpodem\b|\bpreciso|\bvorrei|\bpotrebbe|"
    r"\bpotreste|\bpuò\b|\bho bisogno|\bper (?:favore|cortesia)|请|麻烦|能不能|能否|想|希望|需要|帮我|"
    # Call me back: "márqueme", "rufen Sie mich an", "me liga", "richiamatemi", "回电"
    r"\bmárque|\bdevuélva|\brufen sie mich|\bme lig(?:a|ue)\b|\bligue|\brichiam|\bmi chiami|回电|回个电话",
    re.I,
)
# A clause that only greets or says who is calling ("Hola", "buenos días", "soy María López", "我是王磊"):
# the summary names the caller already, so a request sentence starts after it.
_OPENING = re.compile(
    r"(?:oui |yes |sí )?(?:hi|hello|hey|good (?:morning|afternoon|evening)|hola|"
    r"buen[oa]s (?:días|tardes|noches)|buenas|"
    r"bonjour|bonsoir|salut|coucou|allô|hallo|guten (?:morgen|tag|abend)|grüß gott|grüezi|servus|moin|olá|oi|"
    r"bom dia|alô|aló|oiga|"
    r"boa (?:tarde|noite)|buongiorno|buonasera|salve|ciao|pronto|你好|您好|喂)[\s!?¿¡.]*$|"
    r"(?:(?:hi|hello|hola|bonjour|hallo|olá|oi|buongiorno|ciao)\s+)?(?:this is|it's|my name is|soy|me llamo|"
    r"habla|le habla|aquí|je m'appelle|je suis|c'est|ici|ich bin|mein name ist|(?:hier|da) (?:ist|spricht)|"
    r"sou|aqui é|"
    r"é (?:o|a)|fala|meu nome é|sono|mi chiamo|parla|我是|我叫|我姓|这里是)\s*"
    # then a name, after an article or a title ("soy María López", "habla el licenciado Jorge Ramírez"), or
    # Chinese; not "it's not urgent", "soy yo", "ich bin die ganze Woche unterwegs"
    r"(?:(?:el|la|o|a|der|die|the|il|señor|señora|licenciad[oa]|doctor|doctora|ingenier[oa]|senhor|senhora|"
    r"dona|signor|signora)\s+){0,2}(?-i:[A-ZÀ-Þ\u4e00-\u9fff])\S*(?:\s+\S+){0,3}$|"
    # or the name alone, or before its cue ("Isabelle Martin", "Andreas Gruber hier", "Ana Silva falando")
    r"(?-i:[A-ZÀ-Þ][\w'-]+(?:\s+[A-ZÀ-Þ][\w'-]+){0,2})"
    r"(?:\s+(?:hier|am apparat|speaking|here|falando|al habla))?$",
    re.I,
)


def _sentences(text: str) -> list[str]:
    # Split after sentence punctuation, but not after titles ("Mr. Quilter").
    # Chinese puts no space after 。！？, so a sentence ends there with or without one.
    parts = re.split(
        r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)(?<=[.!?])\s+|(?<=[。？！])\s*", text
    )
    return [s.strip() for s in parts if s.strip()]


def _without_opening(sentence: str) -> str:
    """The sentence from its first clause that is not a greeting or the caller's introduction."""
    starts = [0] + [m.end() for m in re.finditer(r"[,，]\s*", sentence)]
    start = 0
    while start < len(starts) - 1 and _OPENING.match(
        sentence[starts[start] : starts[start + 1]].rstrip(",， ")
    ):
        start += 1
    rest = sentence[starts[start] :]
    return rest[:1].upper() + rest[1:] if start else sentence


def find_request(text: str) -> str | None:
    """The sentence that says what the caller wants, from after any greeting or introduction, shortened to
    about 25 words."""
    sentences = _sentences(text)
    if not sentences:
        return None
    scored = [(len(_REQUEST_CUES.findall(s)), -i, s) for i, s in enumerate(sentences)]
    if max(scored)[0] > 0:
        best = _without_opening(max(scored)[2])
    else:  # no sentence asks: the first that says more than hello and who is calling
        said = [
            rest for s in sentences if not _OPENING.match((rest := _without_opening(s)).rstrip(".!?。！？ "))
        ]
        best = said[0] if said else _without_opening(sentences[0])
    words = best.split()
    return " ".join(words[:25]) + ("…" if len(words) > 25 else "")


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


def summary_line(
    text: str,
    english: bool,
    intent: str,
    name: str | None,
    org: str | None,
    refs: tuple[Reference, ...],
    time_text: str | None,
    request: str | None,
    emergency: str | None = None,
) -> str:
    """English: who, from where, wants what, about which reference, when, and the emergency said (the words
    an agent must see first: "pipe has burst"). Other languages: the request sentence in the caller's own
    words."""
    if not english:
        return _shorten(f"{name}: {request}" if name and request else request or text)
    who = name or "A caller"
    if intent == "spam_robocall":
        return "Recorded sales or robocall message" + (f" ({org})" if org else "") + "."
    if intent == "wrong_number":
        return f"{who} dialled the wrong number."
    subject = f"{who}{f' from {org}' if org else ''} {_VERBS[intent]}{_topic(refs)}"
    if emergency:
        subject += f": {emergency}"
    if time_text:
        subject += f", {time_text}"
    return _shorten(subject) + "."
