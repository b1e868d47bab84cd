"""Urgency as a person would judge it: negation, emergencies in every language triage knows, and reasons
counted as docs/triage.md says (an emergency, or three reasons, is urgent; one or two high)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voice.triage.classify import triage
from voice.triage.model import CallContext
from voice.triage.text import fold
from voice.triage.urgency import urgency_of

MONDAY_9 = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
CTX = CallContext(started_at=MONDAY_9, caller_id="+12125550100", region="US")


def level(text: str, intent: str = "support", sentiment: str = "neutral", repeat_calls: int = 0) -> str:
    return urgency_of(text, intent, sentiment, None, None, CallContext(MONDAY_9, repeat_calls=repeat_calls))[
        0
    ]


@pytest.mark.parametrize(
    "said",
    [
        "Hi, it's not urgent, just call me back when you can about the invoice.",
        "This isn't urgent at all, whenever you get a chance.",
        "It's not an emergency, but the heating is making a noise.",
        "Nothing urgent, I just have a question about my order.",
        "No rush on this, call me whenever.",
        "Hola, no es urgente, llámeme cuando pueda.",
        "Bonjour, ce n'est pas urgent, rappelez-moi quand vous pourrez.",
        "Rien d'urgent, c'est pour une question sur la facture.",
        "Hallo, es ist nicht dringend, rufen Sie mich zurück, wenn Sie Zeit haben.",
        "Das eilt nicht, es geht um die Rechnung.",
        "Olá, não é urgente, me liga quando puder.",
        "Buongiorno, non è urgente, mi richiami con calma.",
        "你好，不急，有空的时候给我回个电话。",
        "你好，这个不紧急，方便的时候回电话。",
    ],
)
def test_negated_urgency_is_no_reason(said: str) -> None:
    assert level(said) == "normal"
    assert level(said, intent="personal") == "low"


def test_a_caller_who_says_it_can_wait_is_believed_over_vader() -> None:
    # VADER reads "no", "problem" as negative; the caller said there is no need to call back.
    said = "Just confirming Thursday at two. No need to call back unless there's a problem."
    assert urgency_of(said, "appointment", "negative", None, None, CallContext(MONDAY_9)) == ("normal", ())


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("There's water everywhere, the kitchen is flooded.", "en"),
        ("I can smell gas in the hallway, please send someone.", "en"),
        ("We have no heating and it's freezing, I have a baby.", "en"),
        ("I'm locked out of my flat and my keys are inside.", "en"),
        ("My father was taken to the hospital, I need to cancel.", "en"),
        ("Hay una inundación en el baño, por favor vengan.", "es"),
        ("Huele muchísimo a gas en la cocina.", "es"),
        ("Estamos sin calefacción desde ayer.", "es"),
        ("Me quedé fuera de casa, ¿pueden mandar a alguien?", "es"),
        ("Hay un incendio en el garaje.", "es"),
        ("Bei uns ist die Heizung komplett ausgefallen.", "de"),
        ("Wir haben eine Überschwemmung im Keller.", "de"),
        ("Im Treppenhaus gibt es starken Gasgeruch.", "de"),
        ("Ich habe mich ausgesperrt, der Schlüssel steckt innen.", "de"),
        ("Wir haben seit heute früh kein Wasser.", "de"),
        ("Ça sent très fort le gaz dans la cage d'escalier.", "fr"),
        ("Nous n'avons plus de chauffage depuis hier soir.", "fr"),
        ("Il y a une inondation dans la salle de bain.", "fr"),
        ("Je n'ai plus d'eau dans tout l'appartement.", "fr"),
        ("Tem um cheiro muito forte de gás na cozinha.", "pt"),
        ("Estamos sem água desde ontem.", "pt"),
        ("Fiquei trancado do lado de fora de casa.", "pt"),
        ("Minha mãe está no hospital.", "pt"),
        ("C'è una perdita, sta allagando tutto il bagno.", "it"),
        ("Siamo senza riscaldamento da due giorni.", "it"),
        ("楼上漏水了，请马上派人来。", "zh"),
        ("你好，我们家没有暖气了。", "zh"),
        ("喂，厨房着火了！", "zh"),
        ("紧急情况，请回电。", "zh"),
    ],
)
def test_emergencies_in_every_language(said: str, language: str) -> None:
    assert level(said) == "urgent", said
    t = triage(said, language, CTX)
    assert t.urgency == "urgent" and t.urgency_reasons[0].startswith("emergency: “")


@pytest.mark.parametrize(
    "said",
    [
        "Please update our firewall settings when you can.",
        "We met in Las Vegas last year, I'd like a quote.",
        "I have a question about my gas bill.",
        "I'm locked out of my account, can you reset my password?",
        "Hi, this is Lisa from City Hospital calling to confirm your appointment.",
        "We bought a brand new boiler from you and want a second one.",
        "There is no water damage, the inspection went fine.",
        "We'd like to book a fire safety inspection.",
        "Llamo del Hospital General para confirmar su cita.",
        "我们的空调有点问题，有空的时候来看看。",
        "Hello, this is Priya from the billing office at the hospital, calling about your account 448812.",
        "I work at the hospital and I'd like to change my appointment.",
        "Ciao, sono Giulia, lavoro all'ospedale e volevo sapere se la prenotazione di sabato è confermata.",
        "我在医院上班，想问一下发票的事。",
        "Ich arbeite im Krankenhaus und brauche einen Termin.",
        "Trabalho no hospital e queria remarcar a consulta.",
        "Trabajo en el hospital y quería cambiar la cita.",
        "Je travaille à l'hôpital et je voudrais changer mon rendez-vous.",
        "Ich bin im Krankenhaus angestellt und brauche einen Termin.",
        "I'm a nurse at the hospital, calling about my bill.",
        "Je suis infirmière à l'hôpital, je voudrais un rendez-vous.",
        "Ich bin Ärztin im Krankenhaus und brauche einen Termin.",
        "Sono infermiera, lavoro in ospedale.",
        "Estoy trabajando en el hospital, llámeme mañana.",
        "Please send the invoice to the hospital.",
        "I work in the emergency room, so please call after six.",
        "Trabajo en urgencias del hospital, llámeme.",
        "Je travaille aux urgences, rappelez-moi après 18 heures.",
        "Ich arbeite in der Notaufnahme, rufen Sie mich abends an.",
        "Lavoro al pronto soccorso, mi richiami dopo le sei.",
        "Trabalho no pronto-socorro, me ligue depois das seis.",
    ],
)
def test_no_emergency_from_lookalikes(said: str) -> None:
    got, reasons = urgency_of(said, "support", "neutral", None, None, CallContext(MONDAY_9))
    assert (got, reasons) == ("normal", ()), reasons


@pytest.mark.parametrize(
    "said",
    [
        "My mother is in hospital since last night, I need to cancel.",
        "My husband was rushed to the hospital this morning.",
        "She's still in the hospital, so we can't make it.",
        "We've been at the hospital all night with my dad.",
        "My dad's in hospital, can we move the appointment?",
        "We had to take my son to the hospital.",
        "Mi madre fue ingresada en el hospital anoche.",
        "Mon père a été hospitalisé hier.",
        "Mia madre è stata ricoverata ieri.",
        "Meu pai foi internado ontem.",
        "Meine Frau ist seit gestern im Krankenhaus.",
        "Mein Mann wurde ins Krankenhaus gebracht.",
        "我妈妈在医院，今天的预约取消。",
        "Mein Vater wurde gestern ins Krankenhaus eingeliefert.",
        "Meine Mutter liegt im Krankenhaus.",
        "Minha mãe está no hospital desde ontem.",
        "Mi padre está en el hospital, tengo que cancelar.",
        "Ma mère est à l'hôpital depuis hier.",
        "Mio padre è in ospedale da ieri.",
        "我爸爸在医院抢救，今天的预约取消吧。",
        "我妈妈住院了。",
    ],
)
def test_someone_in_hospital_is_an_emergency(said: str) -> None:
    got, reasons = urgency_of(said, "support", "neutral", None, None, CallContext(MONDAY_9))
    assert got == "urgent" and reasons[0].startswith("emergency: “"), reasons


@pytest.mark.parametrize(
    "said",
    [
        "Hi, I got my bill today and I have a question about it, could you call me back?",
        "Today I received your letter and I have a question.",
        "Ich habe heute Ihre Rechnung bekommen und habe eine Frage dazu.",
        "Heute habe ich Ihren Brief erhalten, ich habe eine Frage.",
        "Bonjour, j'ai reçu votre facture aujourd'hui et j'ai une question.",
        "Hola, hoy recibí la factura y tengo una pregunta.",
        "Olá, recebi hoje a fatura e tenho uma dúvida.",
        "Ciao, oggi ho ricevuto la bolletta e ho una domanda.",
        "Today I called about the bill, nobody picked up.",
        "Heute habe ich angerufen wegen der Rechnung.",
        "Ihr Techniker war heute da, alles gut.",
        "Aujourd'hui j'ai appelé pour la facture.",
        "Le technicien est passé aujourd'hui, merci.",
        "Hoy llamé por la factura.",
        "Oggi ho chiamato per la bolletta.",
        "Hoje liguei por causa da fatura.",
        "Bonjour, je vous appelle rapidement pour confirmer le rendez-vous de jeudi.",
        "Juste rapidement, c'est pour confirmer la livraison.",
    ],
)
def test_today_in_passing_and_a_quick_call_are_no_reason(said: str) -> None:
    assert urgency_of(said, "billing", "neutral", None, None, CallContext(MONDAY_9)) == ("normal", ())


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("Rappelez-moi rapidement, c'est pour la facture.", "said “Rappelez-moi rapidement”"),
        ("Merci de me rappeler le plus rapidement possible.", "said “le plus rapidement possible”"),
        ("I got your quote, can you call me back today?", "wants it “today”"),
        ("Please call me today because I missed your call.", "wants it “today”"),
        ("Ich habe Ihr Angebot bekommen, rufen Sie mich bitte heute zurück.", "wants it “heute”"),
    ],
)
def test_a_quick_call_back_and_today_asked_for_are_reasons(said: str, reason: str) -> None:
    assert urgency_of(said, "billing", "neutral", None, None, CallContext(MONDAY_9)) == ("high", (reason,))


@pytest.mark.parametrize(
    ("said", "intent", "language", "repeat_calls"),
    [
        (
            "This is my third call about this, the service is unacceptable, I need a call back today.",
            "complaint",
            "en",
            0,
        ),
        ("I've called three times, nobody called back, I want to complain, call today.", "support", "en", 0),
        ("I want to make a complaint, please call me back today.", "complaint", "en", 2),
        ("Es la tercera vez que llamo, es una vergüenza, necesito una respuesta hoy.", "complaint", "es", 0),
        ("C'est la troisième fois que j'appelle, c'est inadmissible, rappelez ce soir.", "other", "fr", 0),
        ("Ich rufe zum dritten Mal an, das ist eine Frechheit, bitte heute zurückrufen.", "other", "de", 0),
        ("É a terceira vez que ligo, isso é um absurdo, preciso de uma resposta hoje.", "complaint", "pt", 0),
        ("È la terza volta che chiamo, è inaccettabile, richiamatemi oggi.", "complaint", "it", 0),
        ("这是我第三次打电话了，我要投诉，今天必须给我回复。", "complaint", "zh", 0),
    ],
)  # fmt: skip
def test_three_reasons_are_urgent(said: str, intent: str, language: str, repeat_calls: int) -> None:
    got, reasons = urgency_of(
        said, intent, "neutral", None, None, CallContext(MONDAY_9, repeat_calls=repeat_calls)
    )
    assert got == "urgent" and len(reasons) >= 3, reasons
    assert not any(r.startswith("emergency") for r in reasons)


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("Please call me back as soon as possible about my bill.", "en"),
        ("Could you call me today about the quote?", "en"),
        ("Es urgente, llámeme sobre la factura.", "es"),
        ("Rappelez-moi dès que possible pour la facture.", "fr"),
        ("Il me faut la facture corrigée avant midi.", "fr"),
        ("Bitte rufen Sie mich so schnell wie möglich wegen der Rechnung zurück.", "de"),
        ("Preciso da fatura o mais rápido possível.", "pt"),
        ("Mi richiami il prima possibile per il preventivo.", "it"),
        ("我的账单多收了钱，请尽快给我打电话。", "zh"),
    ],
)
def test_one_reason_is_high(said: str, language: str) -> None:
    assert level(said, intent="billing") == "high", said


@pytest.mark.parametrize(
    "said",
    [
        "Ciao, sono io, ti richiamo stasera, un bacio.",
        "Coucou, c'est Léa, dis à maman que je passe ce soir.",
        "Hi Schatz, ich komme heute später, warte nicht mit dem Essen.",
        "Hey honey, I'll be home late tonight, love you.",
    ],
)
def test_today_in_the_callers_own_plans_is_no_reason(said: str) -> None:
    assert level(said, intent="personal") == "low"


def test_today_in_what_already_happened_is_no_reason() -> None:
    said = "We tried to deliver a package this afternoon but nobody was at reception, please call to rebook."
    assert level(said, intent="delivery") == "normal"
    assert level("Please call me this afternoon to rebook.", intent="delivery") == "high"


def test_repeat_calls_from_the_call_record_and_from_the_words_count_once() -> None:
    said = "Calling again about my order, I've called three times."
    got, reasons = urgency_of(said, "delivery", "neutral", None, None, CallContext(MONDAY_9, repeat_calls=2))
    assert got == "high" and reasons == ("2 earlier call(s) from this number today",)
    got, reasons = urgency_of(said, "delivery", "neutral", None, None, CallContext(MONDAY_9))
    assert got == "high" and len(reasons) == 1 and reasons[0].startswith("says they called before")


def test_spam_and_wrong_numbers_stay_low() -> None:
    assert level("Urgent! Your warranty expires today, press one.", intent="spam_robocall") == "low"
    assert level("Sorry, wrong number, there's a flood of calls today.", intent="wrong_number") == "low"


def test_when_you_can_yields_to_an_urgent_word_but_no_rush_does_not() -> None:
    assert level("Please call me whenever you can, it's urgent.", intent="billing") == "high"
    assert level("Call me when you get a chance, there's water everywhere in the kitchen.") == "urgent"
    assert level("Take your time, call me whenever you can about the invoice.") == "normal"


@pytest.mark.parametrize(
    "said",
    [
        "No rush on the invoice, but there is a gas leak in the flat downstairs.",
        "Hi, the boiler is fine, nothing urgent, but we smell gas near the meter.",
        "It's not an emergency for me but my neighbour is locked out of the house.",
        "It's not an emergency, but the basement is under water.",
        "No es urgente lo de la factura, pero tenemos una fuga de gas en la cocina.",
        "Keine Eile mit dem Angebot. Aber seit heute Nacht haben wir keine Heizung.",
        "Es ist kein Notfall, aber die Heizung ist ausgefallen.",
        "Ce n'est pas urgent pour la facture, par contre on a une fuite de gaz.",
        "Não é urgente a fatura, mas estamos sem água desde ontem.",
        "Non è urgente la fattura, però c'è una fuga di gas in cucina.",
        "发票的事不急，但是厨房漏水了。",
    ],
)
def test_no_rush_elsewhere_does_not_cancel_an_emergency(said: str) -> None:
    got, reasons = urgency_of(said, "support", "neutral", None, None, CallContext(MONDAY_9))
    assert got == "urgent" and reasons[0].startswith("emergency: “"), reasons


@pytest.mark.parametrize(
    "said",
    [
        "It's not an emergency, just a question about the invoice.",
        "Es ist kein Notfall, nur eine Frage zur Rechnung.",
        "No es una emergencia, solo una pregunta sobre la factura.",
        "Ce n'est pas une urgence, juste une question sur la facture.",
        "Não é uma emergência, só uma pergunta sobre a fatura.",
        "Non è un'emergenza, solo una domanda sulla fattura.",
        "不是紧急的事，就是问一下发票。",
    ],
)
def test_a_negated_emergency_stays_cancelled(said: str) -> None:
    assert urgency_of(said, "billing", "neutral", None, None, CallContext(MONDAY_9)) == ("normal", ())


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("No rush on the invoice. The quote though, I need it today.", "wants it “today”"),
        ("Keine Eile mit der Rechnung. Das Angebot brauche ich aber heute.", "wants it “heute”"),
        ("La factura no es urgente. El presupuesto lo necesito hoy.", "wants it “hoy”"),
        ("La facture, rien ne presse. Le devis, il me le faut aujourd'hui.", "wants it “aujourd'hui”"),
    ],
)
def test_no_rush_drops_time_pressure_only_in_its_own_sentence(said: str, reason: str) -> None:
    assert urgency_of(said, "billing", "neutral", None, None, CallContext(MONDAY_9)) == ("high", (reason,))
    calm = said.split(".")[0] + ", I need it today."
    assert level(calm, intent="billing") == "normal"


@pytest.mark.parametrize(
    "said",
    [
        "I'll be in the office today until five, call any time.",
        "Ich bin heute bis 17 Uhr erreichbar.",
        "Estoy en casa hoy toda la tarde, llámeme.",
        "I'm home today, call me whenever.",
    ],
)
def test_today_when_the_caller_is_available_is_no_deadline(said: str) -> None:
    assert level(said, intent="callback_request") == "normal"


@pytest.mark.parametrize(
    "said",
    [
        "I've been trying to reach you all week about my refund.",
        "Following up on my earlier voicemail about the contract.",
        "I left you a message yesterday about the invoice.",
        "Ya llamé ayer y nadie me ha devuelto la llamada.",
        "C'est la deuxième fois que je vous appelle pour la facture.",
        "Ich habe gestern schon angerufen wegen der Rechnung.",
        "Já liguei ontem sobre a fatura.",
        "Ho già chiamato per la fattura.",
        "这已经是第三次了，账单还是不对。",
        "我昨天已经打过，还没人回电话。",
    ],
)
def test_an_earlier_call_said_in_words_is_a_reason(said: str) -> None:
    got, reasons = urgency_of(said, "billing", "neutral", None, None, CallContext(MONDAY_9))
    assert got == "high" and reasons[0].startswith("says they called before"), reasons


@pytest.mark.parametrize(
    "said", ["你好，我家瓦斯外洩了，請盡快派人來。", "你好，我們家沒有暖氣了。", "我媽媽在醫院，要取消預約。"]
)
def test_traditional_chinese_emergencies(said: str) -> None:
    assert level(said) == "urgent"


def test_calling_today_is_no_wish_for_today() -> None:
    assert level("Hi, I'm calling today about my invoice.", intent="billing") == "normal"
    assert level("Hi, I'm calling about my invoice, please call me back today.", intent="billing") == "high"


def test_negation_a_few_words_before() -> None:
    assert level("It doesn't need to be done today, next week is fine.", intent="billing") == "normal"
    assert level("We have no heat and the pipes are frozen, it is urgent.") == "urgent"
    assert level("I can't believe it, we have a flood in the basement.") == "urgent"


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("Rebentou um cano na cozinha, está tudo alagado.", "pt"),
        ("Die Tür ist mir zugefallen und der Schlüssel steckt innen.", "de"),
        ("我爸爸被送到医院了，下午的预约要取消。", "zh"),
        ("The water's been cut off since this morning.", "en"),
        ("Se ha estropeado la caldera, estamos a cinco grados.", "es"),
    ],
)
def test_more_ways_to_say_an_emergency(said: str, language: str) -> None:
    assert level(said) == "urgent", said


@pytest.mark.parametrize(
    "said",
    [
        "Je vous appelle pour la troisième fois, ce n'est pas normal, rappelez-moi aujourd'hui.",
        "Llamo por tercera vez, es una falta de respeto, llámenme hoy.",
        "Ich rufe zum dritten Mal an, eine Zumutung, bitte rufen Sie mich sofort zurück.",
        "Estou ligando pela terceira vez, estou revoltada, me liguem hoje.",
        "Chiamo per la terza volta, è assurdo, richiamatemi subito.",
        "I'm calling for the third time, this is unacceptable, call me back right away.",
        "我已经打了三次电话了，太不像话了，今天必须给我答复。",
    ],
)
def test_complaint_third_call_and_today_said_otherwise_are_urgent(said: str) -> None:
    got, reasons = urgency_of(said, "billing", "neutral", None, None, CallContext(MONDAY_9))
    assert got == "urgent" and len(reasons) == 3, reasons


@pytest.mark.parametrize(
    "said",
    [
        "Es ist nicht eilig, rufen Sie mich morgen zurück.",
        "Não tem urgência, pode ligar amanhã.",
        "Non c'è urgenza, mi richiami domani.",
        "No hay urgencia, llámeme mañana.",
        "不用着急，明天回我电话就行。",
        "It's not an emergency, but please call me back as soon as you can.",
    ],
)
def test_more_ways_to_say_it_can_wait(said: str) -> None:
    assert urgency_of(said, "billing", "negative", None, None, CallContext(MONDAY_9)) == ("normal", ())


@pytest.mark.parametrize(
    ("said", "folded"),
    [
        ("Llámame, ÉCOLE", "llamame, ecole"),
        ("Überschwemmung’s", "uberschwemmung's"),
        ("İstanbul", "istanbul"),  # "İ".lower() is two characters; folded first, it is one
        ("漏水了，快来！", "漏水了,快来!"),
    ],
)
def test_fold_keeps_one_character_for_one(said: str, folded: str) -> None:
    assert fold(said) == folded and len(fold(said)) == len(said)
