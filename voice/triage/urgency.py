"""How soon to call back: urgent, high, normal or low, with the reasons a person would give.

An emergency (a flood, a fire, a gas leak, no heating or water, locked out, someone in hospital) is urgent;
otherwise each reason counts: urgent words, "today", a deadline within 24 h, an earlier call, a negative tone,
a complaint. Three reasons are urgent, one or two high. A cue the caller negates ("it's not urgent", "not an
emergency", "no es urgente", "不紧急") is no reason, and a caller who says there is no rush ("whenever you get
a chance", "sin prisa", "keine Eile") gets no time-pressure reasons at all. Cue words in en, es, fr, de, pt,
it and zh; matched with accents folded, so "inundacion" is "inundación".
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta

from voice.triage.model import CallContext


def _fold(text: str) -> str:
    """Accents off, one character for one, so a match's offsets are the original text's."""
    folded = text.translate(_FOLD).lower()
    if len(folded) != len(text):  # a letter whose lower case is longer ("İ"): keep it as it was
        folded = "".join(c if len(c.lower()) > 1 else c.lower() for c in text.translate(_FOLD))
    return folded


_FOLD = {
    code: base[0]
    for code in range(0xC0, 0x250)
    if len(base := unicodedata.normalize("NFKD", chr(code))) > 1 and base[0].isascii()
} | {ord("’"): "'"}


def _cues(*latin: str, cjk: str = "") -> re.Pattern[str]:
    """Whole words and phrases (written without accents), and Chinese as plain text (no spaces to bound)."""
    words = r"\b(?:" + "|".join(_fold(w) for w in latin) + r")\b"
    return re.compile(words + (f"|{cjk}" if cjk else ""))


_EMERGENCY = _cues(
    # en
    r"emergency(?! contact)",
    r"flood(?:s|ed|ing)?",
    r"burst (?:pipe|water (?:pipe|main))",
    r"pipe (?:has )?burst",
    r"(?:water|sewage) (?:is )?(?:everywhere|pouring|coming through the ceiling|leak(?:ing)? everywhere)",
    r"gas (?:leak|smell)",
    r"(?:smell(?:s|ing)?|leaking)(?: \w+){0,3} gas",
    r"carbon monoxide",
    r"(?:on|caught|a|house|kitchen|electrical) fire(?! (?:safety|inspection|drill|extinguisher|door|insurance"
    r"|alarm|sale))",
    r"fire (?:in|at) (?:the|my|our)",
    r"smoke (?:everywhere|coming|pouring|in the)",
    r"(?:in|to|at|into) (?:the )?hospital",
    r"hospitali[sz]ed",
    r"emergency room",
    r"ambulance",
    r"life[- ]threatening",
    r"no (?:heat|heating)",
    r"(?:don't|do not|doesn't|does not) have (?:any )?(?:heat|heating|water)",
    r"(?:heating|boiler|furnace) (?:is (?:out|off|broken|not working)"
    r"|(?:has )?(?:stopped|died|broke(?:n)? down)"
    r"|(?:isn't|is not|won't|doesn't) (?:working|work|turn on|come on))",
    r"no (?:running )?water(?! damage)",
    r"water (?:is |has been )?(?:cut|shut) off",
    r"locked out(?! of (?:my|the|our|his|her) (?:\w+ )?(?:account|e-?mail|computer|laptop|phone|app|portal"
    r"|profile|system))",
    r"(?:someone|somebody|he|she|they) (?:is|are|was|were|got) (?:badly )?(?:hurt|injured)",
    r"broken into|break-in",
    # es
    r"emergencia",
    r"es una urgencia",
    r"inundacion(?:es)?",
    r"(?:se (?:ha |esta )?)?inunda(?:do|da|ndo|ndose)",
    r"incendio",
    r"fuego",
    r"fuga de gas",
    r"(?:huele|olor|fuga)(?: \w+){0,3} (?:a|de) gas",
    r"sin calefaccion",
    r"no (?:hay|tenemos|tengo|funciona la) calefaccion",
    r"calefaccion (?:\w+ ){0,2}(?:no funciona|se (?:ha )?(?:roto|estropeado|averiado)|averiada|rota)",
    r"sin agua",
    r"no (?:hay|tenemos|tengo) agua",
    r"me (?:he )?qued(?:ado|e) (?:fuera|afuera)|nos (?:hemos )?qued(?:ado|amos) (?:fuera|afuera)",
    r"(?:en el|al) hospital",
    r"(?:en )?urgencias",
    r"ambulancia",
    # fr
    r"c'est une urgence",
    r"une urgence",
    r"inondation",
    r"inonde(?:e|es|s)?",
    r"degats? des eaux",
    r"incendie",
    r"au feu",
    r"(?:il y a le|prend) feu",
    r"fuite de gaz",
    r"(?:odeur de|sent le) gaz",
    r"(?:pas|plus) de chauffage",
    r"chauffage (?:\w+ ){0,2}(?:en panne|ne (?:marche|fonctionne) (?:plus|pas))",
    r"(?:odeur|sent|sens)(?: \w+){0,3} (?:de|le|du) gaz",
    r"(?:plus|pas) d'eau",
    r"(?:enferme|bloque)(?:e|s|es)? dehors",
    r"a l'hopital",
    r"aux urgences",
    # de
    r"notfall",
    r"uberschwemm(?:ung|t)",
    r"wasserschaden",
    r"rohrbruch",
    r"unter wasser",
    r"feuer(?:wehr)?",
    r"(?:ein|einen|der|den) brand",
    r"(?:es )?brennt",
    r"gas(?:geruch|leck|leitung)",
    r"riecht(?: \w+){0,3} nach gas",
    r"keine heizung",
    r"heizung (?:\w+ ){0,2}(?:ausgefallen|kaputt)|heizung (?:funktioniert|geht) nicht",
    r"kein (?:warmes )?wasser",
    r"ausgesperrt",
    r"(?:mich|uns) ausgeschlossen",
    r"(?:im|ins) krankenhaus",
    r"notaufnahme",
    r"krankenwagen",
    # pt
    r"emergencia",
    r"inundacao",
    r"(?:inundad|alagad)[oa]s?",
    r"alagamento",
    r"incendio",
    r"pegando fogo",
    r"fogo",
    r"(?:vazamento|fuga|cheiro)(?: \w+){0,3} de gas",
    r"sem aquecimento",
    r"aquecimento (?:\w+ ){0,2}(?:nao (?:funciona|liga)|parou|quebrou|pifou)",
    r"sem agua",
    r"(?:nao tem|nao ha|estamos sem|estou sem|ficamos sem|fiquei sem) agua",
    r"trancad[oa]s? (?:do lado de )?fora",
    r"fiquei (?:trancad[oa] )?(?:do lado de )?fora",
    r"(?:no|ao|para o) hospital",
    r"pronto[- ]socorro",
    r"ambulancia",
    # it
    r"emergenza",
    r"allag(?:amento|at[oaie]|ando|a)",
    r"inondazione",
    r"incendio",
    r"(?:a|al) fuoco",
    r"(?:fuga|perdita|odore|puzza)(?: \w+){0,3} di gas",
    r"senza riscaldamento",
    r"riscaldamento (?:\w+ ){0,2}(?:non funziona|rotto|guasto|spento)",
    r"senza acqua|senz'acqua",
    r"(?:non c'e|manca) (?:piu )?(?:l')?acqua",
    r"(?:rimast[oaie] )?chius[oaie] fuori",
    r"(?:in|all') ?ospedale",
    r"pronto soccorso",
    r"ambulanza",
    cjk="紧急|漏水|水管(?:爆|破)|(?:被)?淹了|着火|火灾|失火|(?:煤气|燃气|天然气)泄漏|漏气|煤气味|没有暖气|暖气(?:坏了|不热|停了|没了)"
    "|停水|没(?:有)?水了|被锁在(?:门)?外(?:面)?|锁在门外|进不去家|(?:在|去|进|送)医院|住院|救护车",
)
_URGENT = _cues(
    r"urgent(?:ly)?",
    r"asap|a\.s\.a\.p",
    r"as soon as (?:possible|you can|you get this)",
    r"right away",
    r"immediately",
    r"critical",
    r"time[- ]sensitive",
    r"straight away",
    r"urgente(?:s|mente)?",
    r"urgencia",
    r"con urgencia",
    r"lo (?:antes|mas pronto) posible",
    r"cuanto antes",
    r"(?:de )?inmediato|inmediatamente",
    r"en urgence",
    r"des que possible",
    r"au plus vite|le plus (?:vite|rapidement) possible",
    r"immediatement|tout de suite",
    r"dringend(?:e[nrsm]?)?",
    r"eilig|es eilt(?! nicht)",
    r"sofort",
    r"umgehend",
    r"so (?:schnell|bald) wie moglich|schnellstmoglich|moglichst (?:schnell|bald)",
    r"com urgencia",
    r"o mais (?:rapido|breve) possivel|o quanto antes|assim que possivel",
    r"imediatamente",
    r"con urgenza",
    r"il prima possibile|al piu presto|quanto prima",
    r"subito",
    cjk="尽快|马上|立刻|立即|赶快|赶紧|急事|很急|着急|急着",
)
_TODAY = _cues(
    r"today",
    r"tonight",
    r"this (?:afternoon|evening)",
    r"by (?:the )?end of (?:the )?day",
    r"end of business",
    r"within the (?:hour|next hour)",
    r"before (?:\d{1,2}|noon|five|six|five o'clock)",
    r"hoy",
    r"esta (?:tarde|noche)",
    r"aujourd'hui",
    r"ce soir|cet apres-midi",
    r"heute(?: abend| nachmittag)?",
    r"hoje",
    r"esta noite",
    r"oggi",
    r"stasera|oggi pomeriggio",
    cjk="今天|今晚|今日",
)
# "Today" in the caller's own plans is not when they want an answer: "ti richiamo stasera", "je passe ce
# soir", "ich komme heute später", "I'll be home tonight".
_OWN_PLANS = _cues(
    r"i'll (?:call|try|ring|be|come|see|pop|stop|drop)|i will (?:call|try|be|come)|i'm (?:coming|leaving)",
    r"see you",
    r"(?:te|le|lo|la) (?:vuelvo a llamar|llamo|llamare)|(?:paso|llego|vuelvo)|nos vemos",
    r"je (?:vous |te )?rappell?e(?:rai)?|je (?:passe|viens|rentre|serai|arrive)|on se voit",
    r"ich (?:rufe|melde mich|komme|bin)|wir sehen uns",
    r"(?:te|lhe) ligo|volto a ligar|(?:eu )?(?:passo|chego|vou passar)|a gente se ve",
    r"(?:ti|la) richiamo|richiamero|(?:passo|arrivo|vengo)|ci vediamo",
    cjk="我再打|我晚点再打|我会再打|我.{0,3}(?:回来|过来|回家)",
)
# Nor is "today" in what already happened: "we tried to deliver this afternoon", "I called today".
_PAST_EVENT = _cues(
    r"tried|came|stopped by|dropped (?:off|by)|delivered|called|visited|missed|arrived|went|happened",
    r"intentamos|vinimos|pasamos|llame|nous sommes passes|j'ai appele|wir waren|ich habe angerufen",
    r"tentamos|passamos|liguei|siamo passati|ho chiamato",
)
# Deadlines said in other languages (English ones come from the callback time: "before noon", "by 5").
_DEADLINE_WORDS = _cues(
    r"antes (?:del mediodia|de las \d{1,2})",
    r"avant (?:midi|\d{1,2} ?h(?:eures)?|ce soir)",
    r"(?:vor|bis) (?:heute )?(?:mittag|\d{1,2} uhr)",
    r"(?:antes do meio-dia|ate (?:as )?\d{1,2} ?h(?:oras)?|ate o meio-dia)",
    r"entro (?:mezzogiorno|le \d{1,2}|stasera|oggi)",
    cjk="中午之前|中午前|下班前|今天之内|\\d{1,2}点(?:之|以)?前",
)
_REPEAT_WORDS = _cues(
    # en
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) "
    r"(?:time (?:that )?(?:i(?:'ve| have| am|'m)? )?(?:call|tr|ring|phon)\w*|call|message|voicemail)",
    r"(?:called|rung|rang|phoned|tried (?:calling|to call|to reach))(?: you| here| your office)? "
    r"(?:several|a few|many|multiple|three|two|four|five|\d+|a couple of|a bunch of) times",
    r"(?:called|rang|phoned) (?:you )?(?:twice|before|earlier|yesterday|already|last week)",
    r"already (?:called|rang|phoned|left (?:you )?a message)",
    r"(?:still )?(?:haven't|have not|never) (?:heard|gotten a call|got a call) back",
    r"(?:nobody|no one|no-one) (?:has )?(?:ever )?(?:called|rung|got|gotten|gets) (?:me )?back",
    r"calling (?:again|back again)",
    r"(?:left|leaving) (?:you )?(?:another|several|two|three|a few|multiple) (?:messages?|voicemails?)",
    r"every time I call",
    # es
    r"(?:segunda|tercera|cuarta|quinta) (?:vez que (?:le |te )?llamo|llamada)",
    r"ya (?:he )?llam(?:e|ado)",
    r"(?:he llamado|llame) (?:varias|muchas|tres|dos|cuatro) veces",
    r"(?:llamo|vuelvo a llamar) (?:otra vez|de nuevo)",
    r"nadie me (?:ha )?(?:devuelto|devolvio) la llamada|nadie me ha llamado",
    # fr
    r"(?:deuxieme|troisieme|quatrieme|énieme|nieme) (?:fois que j'appelle|appel)",
    r"j'ai deja appele",
    r"j'ai appele (?:plusieurs|trois|deux|quatre) fois",
    r"personne ne m'a (?:encore )?rappele",
    # de
    r"(?:zum )?(?:zweiten|dritten|vierten|funften) mal",
    r"(?:zweiter|dritter|vierter) anruf",
    r"(?:schon|bereits) (?:mehrmals |zweimal |dreimal |mehrfach |oft )?angerufen",
    r"(?:niemand|keiner) hat (?:mich )?zuruckgerufen",
    # pt
    r"(?:segunda|terceira|quarta|quinta) (?:vez que (?:eu )?(?:ligo|estou ligando|liguei)|ligacao)",
    r"ja liguei",
    r"liguei (?:varias|muitas|duas|tres|quatro) vezes",
    r"ninguem (?:me )?(?:retornou|ligou de volta)",
    # it
    r"(?:seconda|terza|quarta|quinta) (?:volta che (?:chiamo|telefono)|chiamata)",
    r"ho gia chiamato",
    r"ho chiamato (?:piu|tre|due|diverse|tante|molte) volte",
    r"nessuno mi ha (?:ancora )?richiamato",
    cjk="第[二三四五2-5]次(?:打|来电|给你们打)|打了(?:好几|几|两|三|很多)次|已经打(?:了|过)|又打|再次(?:打|来电)"
    "|没(?:有)?人回(?:电话|复)|一直没人回",
)
_COMPLAINT = _cues(
    r"complain\w*|complaint",
    r"unacceptable|ridiculous|outrageous|disgraceful",
    r"speak (?:to|with) (?:a|your|the) (?:manager|supervisor)",
    r"queja\w*|quejar\w*|reclamacion|reclamo|inaceptable",
    r"plainte|reclamation|inadmissible|inacceptable|scandaleux",
    r"beschwerde|beschweren|unverschamt|inakzeptabel",
    r"reclamacao|reclamar|inaceitavel|absurdo",
    r"lamentela|reclamo|inaccettabile|vergognoso",
    r"vergüenza|verguenza|vergonha|vergogna|honteux|c'est une honte|frechheit|skandal",
    cjk="投诉|不满意|太差了|太离谱|太过分",
)
# The caller says it can wait: then no time pressure counts, and an emergency word is one reason, not urgent.
_NO_RUSH = _cues(
    r"no (?:rush|hurry|pressure|big rush)",
    r"not (?:in a|in any) (?:hurry|rush)",
    r"(?:not|nothing|isn't|is not|not really) (?:very |that |too |super |terribly )?(?:urgent|pressing)",
    r"non-urgent",
    r"(?:not|isn't|is not|no) (?:an? )?(?:emergency|urgency|big deal|priority)",
    r"whenever (?:you (?:can|get|have)|is convenient)",
    r"when(?:ever)? you get (?:a |the )?(?:chance|moment|minute|second)",
    r"when you have (?:a |the )?(?:chance|moment|minute|second|time)",
    r"at your (?:convenience|leisure)",
    r"(?:it |this |that )?can wait",
    r"take your time",
    r"no need to (?:call|ring|get back)",
    r"not time[- ]sensitive",
    r"no es urgente|nada urgente|no es una emergencia",
    r"sin prisa|no hay prisa|no (?:me )?corre prisa|no hay apuro",
    r"cuando (?:pueda|puedas|tenga (?:un momento|tiempo)|tengas (?:un momento|tiempo)|le venga bien)",
    r"(?:ce n'est )?pas (?:tres |si )?(?:urgent|presse|une urgence)",
    r"rien (?:d'urgent|ne presse)|sans urgence",
    r"quand vous (?:pourrez|aurez (?:un moment|le temps)|avez (?:un moment|le temps))",
    r"a votre convenance",
    r"nicht (?:so )?dringend|nichts dringendes|keine eile|kein notfall|es eilt nicht|hat zeit",
    r"wenn sie (?:zeit haben|dazu kommen|einen moment haben)",
    r"nao e (?:urgente|uma emergencia|emergencia)|nada urgente|sem pressa|nao (?:tem|ha) pressa",
    r"quando (?:puder|tiver (?:um )?(?:tempo|tempinho|momento))",
    r"non e (?:urgente|un'emergenza)|niente di urgente|nulla di urgente|con calma|senza fretta",
    r"nessuna fretta|non c'e fretta",
    r"quando (?:puo|puoi|ha (?:un momento|tempo)|hai (?:un momento|tempo))",
    cjk="不急|不着急|不紧急|不是很急|不用急|不是急事|不是紧急|有空(?!调)|方便的时候",
)
# Words before a cue that take it back: "not urgent", "no es urgente", "nicht dringend", "non è urgente".
_NEGATORS = frozenset(
    re.findall(
        r"\S+",
        "not no nothing never none without nada nunca ni tampoco pas ne n' rien jamais nicht kein keine "
        "keinen keiner nichts nie não nem non niente nulla mai",
    )
)
_CLAUSE = re.compile(r"[,.;:!?]|\b(?:but|and|pero|y|mais|et|aber|und|mas|ma|e)\b|但是|但|可是", re.I)
_CJK_NEGATION = re.compile(r"(?:不|没|别|非|无需|不用|并不|不是)(?:很|太|那么)?$")


def _clause_before(text: str, start: int, chars: int = 60) -> str:
    return _CLAUSE.split(text[max(0, start - chars) : start])[-1]


def _negated(text: str, m: re.Match[str]) -> bool:
    """ "it's not urgent", "not an emergency", "no es urgente", "nicht dringend", "不紧急"; not "no heat"
    or "pas de chauffage", where the negation is the emergency."""
    first = m.group(0).split()[0]
    if first in _NEGATORS or first in ("plus", "sin", "sem", "senza", "sans") or first.endswith("n't"):
        return False  # the negation is the cue: "no heat", "pas de chauffage", "plus d'eau", "sin agua"
    if first[:1] in "不没":
        return False
    clause = _clause_before(text, m.start()).lower()
    words = re.findall(r"[\w']+", clause)[-4:]
    if any(w in _NEGATORS or w.endswith("n't") or w.startswith("n'") for w in words):
        return True
    return bool(_CJK_NEGATION.search(clause))


def _find(pattern: re.Pattern[str], folded: str, text: str) -> str | None:
    """The first cue not taken back, as the caller said it."""
    for m in pattern.finditer(folded):
        if not _negated(text, m):
            return text[m.start() : m.end()]
    return None


def _today(folded: str, text: str) -> str | None:
    for m in _TODAY.finditer(folded):
        before = " ".join(_clause_before(folded, m.start()).split()[-5:])
        after = _CLAUSE.split(folded[m.end() : m.end() + 20])[0]
        if _negated(text, m) or _PAST_EVENT.search(before):
            continue
        if not _OWN_PLANS.search(f"{before} {m.group(0)} {after}"):
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


def _time_reasons(
    folded: str, text: str, time_text: str | None, when: datetime | None, context: CallContext
) -> list[str]:
    """Time pressure: urgent words, today, a deadline within 24 h."""
    reasons: list[str] = []
    if urgent := _find(_URGENT, folded, text):
        reasons.append(f"said “{urgent}”")
    if today := _today(folded, text) or _find(_DEADLINE_WORDS, folded, text):
        reasons.append(f"wants it “{today}”")
    start = context.started_at or datetime.now(UTC)
    if when is not None and not today and _is_deadline(time_text or "", when, start):
        reasons.append(f"deadline within 24 h ({time_text})")
    return reasons


def _reasons(
    text: str, intent: str, sentiment: str, time_text: str | None, when: datetime | None, context: CallContext
) -> tuple[str | None, list[str]]:
    """The emergency said, and the other reasons. A caller who says it can wait ("no rush", "not an
    emergency") is believed: no emergency, no time pressure, and VADER's "negative" for those words
    ignored."""
    folded = _fold(text)
    calm = _find(_NO_RUSH, folded, text) is not None
    emergency = None if calm else _find(_EMERGENCY, folded, text)
    reasons = [] if calm else _time_reasons(folded, text, time_text, when, context)
    if context.repeat_calls:
        reasons.append(f"{context.repeat_calls} earlier call(s) from this number today")
    elif said := _find(_REPEAT_WORDS, folded, text):
        reasons.append(f"says they called before (“{said}”)")
    if sentiment == "negative" and not calm:
        reasons.append("negative tone")
    if (intent == "complaint" or _find(_COMPLAINT, folded, text)) and sentiment != "positive":
        reasons.append("a complaint")  # unhappy customers are the ones who leave
    return emergency, reasons


def urgency_of(
    text: str, intent: str, sentiment: str, time_text: str | None, when: datetime | None, context: CallContext
) -> tuple[str, tuple[str, ...]]:
    """The urgency and why: an emergency, or three reasons, is urgent; one or two reasons are high."""
    if intent in ("spam_robocall", "wrong_number"):
        return "low", ()
    emergency, reasons = _reasons(text, intent, sentiment, time_text, when, context)
    if emergency:
        return "urgent", (f"emergency: “{emergency}”", *reasons)
    if len(reasons) >= 3:
        return "urgent", tuple(reasons)
    if reasons:
        return "high", tuple(reasons)
    return ("low" if intent == "personal" else "normal"), ()
