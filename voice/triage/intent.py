"""What the call is about: hang-ups, robocalls, wrong numbers, and otherwise the intent whose cue words
score highest, in every language triage knows (en, es, fr, de, pt, it, zh; the cues are in intent_cues).
Also the robocall fingerprint (the same words left by many numbers)."""

from __future__ import annotations

import hashlib
import re

from voice.triage.intent_cues import CJK_CUES, WORD_CUES
from voice.triage.text import HAN, fold, phrases


def alternatives(pattern: str) -> list[str]:
    """A pattern's top-level alternatives: "cita|turno" is two cues, each weighing as one English cue."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(pattern):
        escaped = i > 0 and pattern[i - 1] == "\\"
        if c in "([" and not escaped:
            depth += 1
        elif c in ")]" and not escaped:
            depth -= 1
        elif c == "|" and depth == 0 and not escaped:
            parts.append(pattern[start:i])
            start = i + 1
    return [*parts, pattern[start:]]


Cue = tuple[str, re.Pattern[str], float]


def _literal_prefix(pattern: str) -> str:
    """The plain text every match of ``pattern`` starts with ("" if none): a cheap test before the search."""
    n = 0
    while n < len(pattern) and (pattern[n].isalnum() or pattern[n] in " '-,"):
        n += 1
    if n < len(pattern) and pattern[n] in "?*{":  # a quantifier makes the last character optional
        n -= 1
    return pattern[:n]


def compile_cues() -> dict[str, list[Cue]]:
    """Each intent's cues as (the text a match starts with, the pattern on folded text, the weight)."""
    compiled: dict[str, list[Cue]] = {}
    for intent, cues in WORD_CUES.items():
        latin = [(fold(a), w) for p, w in cues for a in alternatives(p)]
        cjk = [(a, w) for p, w in CJK_CUES.get(intent, []) for a in alternatives(p)]
        compiled[intent] = [(_literal_prefix(p), re.compile(r"\b(?:" + p + r")\b"), w) for p, w in latin] + [
            (_literal_prefix(p), re.compile(p), w) for p, w in cjk
        ]
    return compiled


# A single digit or key said on its own ("press 1 now"), not the start of a phone number ("marque 91 234").
_KEY = r"(?:[0-9](?![\s\d]*\d)|{words})"


# Robocall phrases that give a recorded sales or scam call away on their own.
_SPAM = phrases(
    # en
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
    # es
    r"(?:pulse|pulsa|presione|presiona|oprima|oprime|marque|marca) (?:ahora |ya )?"
    r"(?:el |la tecla |la opción |el número )?"
    + _KEY.format(words="uno|dos|tres|nueve|cero|asterisco|almohadilla"),
    r"(?:ha|has) sido (?:preaprobad|premiad)[oa]",
    r"(?:ha|has) ganado (?:un|una|el premio)|resultado ganador",
    r"garantía extendida|extensión de (?:su |la )?garantía|(?:préstamo|crédito) preaprobado",
    r"para (?:no recibir más|darse de baja de (?:esta|nuestra) lista|ser eliminado de)|no cuelgue",
    r"(?:este es|le dejamos|tiene) un (?:aviso|mensaje) (?:importante|urgente|final)",
    r"(?:orden|mandato) de (?:arresto|detención|captura)",
    # fr
    r"(?:appuyez|appuyer|tapez|taper|composez|pressez) (?:maintenant |sur )?(?:la touche |le numéro |le )?"
    + _KEY.format(words="un|deux|trois|neuf|zéro|étoile|dièse"),
    r"vous avez été (?:tiré au sort|pré-?approuvé)\w*|vous avez gagné",
    r"garantie prolongée|extension de garantie|pour ne plus (?:recevoir|être appelé)|ne raccrochez pas",
    r"(?:ceci est|voici) un (?:message|avis) (?:important|urgent|final)|mandat d'arrêt",
    # de
    r"(?:drücken|wählen|tippen) sie (?:jetzt |bitte |einfach )?(?:die |auf (?:die )?)?(?:taste )?"
    + _KEY.format(words="eins|zwei|drei|neun|null|stern|raute"),
    r"taste " + _KEY.format(words="eins|zwei|neun|null"),
    r"sie wurden (?:\w+ )?ausgelost|sie haben (?:\w+ ){0,6}gewonnen",
    r"garantieverlängerung|erweiterte garantie|legen sie nicht auf|haftbefehl",
    r"(?:dies ist|das ist) eine (?:wichtige|dringende|letzte) (?:mitteilung|nachricht|information)",
    r"um keine weiteren anrufe",
    # pt
    r"(?:digite|tecle|pressione|aperte|disque) (?:agora |já )?(?:o |a tecla |o número )?"
    + _KEY.format(words="um|dois|três|nove|zero"),
    r"(?:você|o senhor|a senhora) foi (?:pré-?aprovad|sorteado|sorteada|contemplad)\w*",
    r"você ganhou|(?:crédito|empréstimo) pré-?aprovado|garantia estendida|extensão de garantia",
    r"para não receber mais|não desligue|mandado de prisão",
    r"(?:esta é|este é) uma? (?:mensagem|aviso|comunicado) (?:importante|urgente)",
    # it
    r"(?:premi|premete|prema|digiti|digita|schiacci) (?:ora |adesso |subito )?"
    r"(?:il tasto |il numero |il |tasto )?" + _KEY.format(words="uno|due|tre|nove|zero"),
    r"(?:è|sei) stat[oa] estratt\w*|(?:ha|hai) vinto (?:un|una|il)",
    r"garanzia (?:estesa|prolungata)|estensione di garanzia|per non ricevere più|non riattacchi",
    r"(?:questo è|questa è) un\w* (?:messaggio|avviso|comunicazione) (?:importante|urgente)",
    r"mandato di arresto",
    cjk=r"按\s*[0-9](?!\s*\d)|按[零一二三四五六七八九]号?键|请按[零一二三四五六七八九]|按[井星]号"
    r"|恭喜(?:您|你)(?:获得|中|被|已)|中奖|(?:您|你)(?:已经?)?被抽中|这是一条(?:重要|紧急|最后)"
    r"|(?:银行卡|信用卡|账户|社保卡|医保卡|身份证)(?:已经?|被|将|涉嫌)被?(?:冻结|停用|盗用|盗刷|暂停|异常)"
    r"|涉嫌(?:洗钱|犯罪)|额度(?:已经?)?(?:提升|提高)|不要挂机|请勿挂机|延长保修",
)
# Words a robocall often says but a real caller may too. A marker (a recorded voice, "you have been
# selected") with a second kind of hint is spam: a recorded voice offering a free loan. A lure (free, a
# discount, a loan, subsidies) and a threat (the tax office, suspicious activity) without a marker are what an
# accountant says too ("das Finanzamt hat geschrieben, die Erstberatung ist kostenlos"), so they are not.
_RECORDED = phrases(
    r"(?:mensaje|llamada|mensagem|chamada|ligação|messaggio|chiamata) (?:automátic|automatizad|grabad"
    r"|gravad|automatic|registrat)\w*",
    r"message (?:automatique|enregistré|préenregistré)|appel automatique",
    r"automatische (?:nachricht|ansage)|automatischer anruf|bandansage",
    r"automated (?:call|message)|(?:pre-?)?recorded message",
    cjk=r"自动语音|语音通知|自动通知|这是一条",
)
_SELECTED = phrases(
    r"(?:ha|has) sido (?:seleccionad|elegid)[oa]|vous avez été (?:sélectionné|choisi)\w*",
    r"sie wurden (?:\w+ )?ausgewählt|(?:você|o senhor|a senhora) foi (?:selecionad|escolhid)\w*",
    r"(?:è|sei) stat[oa] (?:selezionat|scelt)\w*",
    cjk=r"(?:您|你)(?:已经?)?被选中",
)
_BAIT = (
    phrases(
        r"gratis|gratuit\w*|kostenlos\w*|grátis",
        r"(?:oferta|descuento|promoción|offre|promotion|angebot|rabatt|desconto|promoção|offerta|sconto"
        r"|promozione) (?:exclusiv\w+|especial|spécial\w*|speciale)|exklusives? angebot",
        r"por tiempo limitado|durée limitée|nur für kurze zeit|por tempo limitado|tempo limitato",
        r"aides? de l'état|ayudas? del gobierno|staatliche förderung|incentivo fiscale",
        r"paneles solares|panneaux solaires|isolation|solaranlage|painéis solares|pannelli solari",
        r"(?:préstamo|kredit|empréstimo|prestito)s?|verlosung|gewinnspiel|sorteo|sorteio|concorso a premi",
        r"compañía eléctrica|fournisseur d'énergie|stromanbieter|companhia elétrica|fornitore di energia",
        cjk=r"免费|限时|优惠|贷款|信用卡中心",
    ),
    phrases(
        r"actividad sospechosa|activité suspecte|verdächtige aktivität|atividade suspeita|attività sospetta",
        r"hacienda|agencia tributaria|finanzamt|impôts|receita federal|agenzia delle entrate",
        r"lawsuit (?:\w+ ){0,2}against you|legal action|tax department|suspicious activity",
        cjk=r"可疑交易|税务局|公安局",
    ),
)
_WRONG_NUMBER = phrases(
    # en
    r"wrong number",
    r"(?:dialed|dialled|called) the wrong",
    r"meant to call",
    r"sorry,? (?:i think )?i (?:have|got) the wrong",
    r"not the right number",
    r"(?:isn't|is not) the right number",
    r"(?:dialled|dialed) (?:it )?wrong|misdial\w*",
    # es
    r"(?:me equivoqué|me he equivocado|me confundí|me he confundido) de (?:número|teléfono|persona)",
    # not a number on file ("tienen un número equivocado en el sistema")
    r"número equivocado(?! (?:en|de mi|registrado))|marqué mal|no es (?:este|el) número (?:de|que)",
    # fr
    r"trompée? de numéro|(?:mauvais|faux) numéro(?! (?:dans|enregistré|sur))",
    r"erreur de numéro|pas le bon numéro",
    # de
    r"falsch verbunden|verwählt",
    r"falsche nummer(?! (?:von|im|in|hinterlegt|gespeichert|eingetragen|angegeben))",
    # pt
    r"liguei (?:\w+ ){0,3}errado|número errado(?! (?:no|na|cadastrado|registrado))|(?:foi|é) engano",
    r"liguei por engano",
    # it
    r"ho sbagliato numero|numero sbagliato(?! (?:nel|nella|registrato|in))",
    cjk=r"打错了|打错电话|打错号码|拨错|号码错了",
)
_INTENT_RX = compile_cues()

# What a caller says who leaves no message: greetings, "can you hear me?", "is anyone there?", fillers.
_HANG_UP_PHRASES = phrases(
    r"(?:is )?(?:any|some)(?:one|body) there",
    r"can you hear me",
    r"never mind",
    r"hay alguien|me (?:escucha|escuchas|oye|oyes)|se (?:oye|escucha)",
    r"il y a quelqu'un|(?:vous )?m'entendez|tant pis",
    r"(?:hören|verstehen) sie mich|ist da (?:jemand|wer)|na ja",
    r"tem alguém(?: aí)?|(?:está|tá) me (?:ouvindo|escutando)",
    r"c'è qualcuno|mi (?:sente|senti)|va bene",
    cjk=r"有人吗|有人在吗|听得到吗|听得见吗|听到吗|喂|你好|您好|嗯|哦|啊|哎|算了",
)
_FILLERS = frozenset(
    fold(w)
    for w in re.findall(
        r"\S+",
        "hello hi hey um uh er erm hm hmm mm oh okay ok yeah yes no bye sorry good morning afternoon evening "
        "hola aló alo bueno buenas buenos días tardes noches oiga diga dígame eh pues nada vale "
        "allo allô bon bonjour bonsoir ben euh oui bah "
        "hallo ja äh ähm nein tschüss guten tag morgen abend "
        "alô oi olá ué hum ninguém bem bom boa dia tarde noite "
        "pronto ciao sì boh mah ehm niente buongiorno buonasera salve",
    )
)


def _asks_for_a_call(folded: str) -> bool:
    return any(prefix in folded and rx.search(folded) for prefix, rx, _ in _INTENT_RX["callback_request"])


def is_hang_up(text: str) -> bool:
    """Nothing but fillers ("Hello? Hello?", "¿Bueno? ¿Hola?", "喂？有人吗？", "Um, never mind"), a
    bracketed sound ("[silence]"), or a single word: the caller hung up without a message. A single word
    that asks for a call back ("Llámame.", "Richiamami.") is a message."""
    if _asks_for_a_call(fold(text)):
        return False
    folded = _HANG_UP_PHRASES.sub(" ", fold(re.sub(r"[\[(*♪][^\])*♪\d]*[\])*♪]", " ", text)))
    words = re.findall(r"[^\W\d_]+", HAN.sub(" ", folded))
    # A Chinese word is about two characters: count them so, not the run between two commas as one.
    size = len(words) + (len(HAN.findall(folded)) + 1) // 2
    return size < 2 and not re.search(r"\d", text) or all(w in _FILLERS for w in words) and size == len(words)


def fingerprint(text: str) -> str | None:
    """Robocalls say the same words to everyone: a hash of the first words, digits and names aside."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    if len(words) < 8:
        return None
    return hashlib.sha1(" ".join(words[:40]).encode()).hexdigest()


def classify_intent(text: str, sentiment: str = "neutral") -> tuple[str, float, dict[str, float]]:
    folded = fold(text)
    scores = {
        intent: sum(w for prefix, rx, w in cues if prefix in folded and rx.search(folded))
        for intent, cues in _INTENT_RX.items()
    }
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
    """The intent, its confidence, and whether the call looks like spam (a robocall phrase, a robocall
    marker with a second kind of hint, or the same words left by three or more other numbers)."""
    folded = fold(text)
    spam_hits = len(_SPAM.findall(folded))
    markers = sum(1 for kind in (_RECORDED, _SELECTED) if kind.search(folded))
    hints = markers + sum(1 for kind in _BAIT if kind.search(folded)) if markers else 0
    spam = spam_hits >= 1 or hints >= 2 or same_text_callers >= 3
    if _WRONG_NUMBER.search(folded):
        return "wrong_number", 0.9, spam
    if spam:
        hits = spam_hits + (hints if hints >= 2 else 0)
        return "spam_robocall", min(0.97, 0.7 + 0.1 * hits + 0.05 * same_text_callers), spam
    intent, confidence, _ = classify_intent(text, sentiment)
    if not english and intent == "other" and has_number:
        return "callback_request", 0.5, spam
    return intent, confidence, spam
