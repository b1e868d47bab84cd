"""Caller names and organisations in every language triage knows (issue 19, item 3)."""

from __future__ import annotations

import time

import pytest

from voice.triage.classify import triage
from voice.triage.names import find_caller_name, find_organisation

# Chinese: 我是 / 我叫 / 这里是 / 我姓, titles (先生, 女士, 小姐, 老师, 医生) dropped.
ZH_NAMES = [
    ("你好，我是张伟，请回电话，号码是13800138000。", "张伟"),
    ("您好，我叫李娜，我想预约下周二。", "李娜"),
    ("这里是王先生，麻烦回个电话。", "王"),
    ("你好，我是陈女士，我的快递还没到。", "陈"),
    ("喂，我是刘小姐，想问一下账单的事。", "刘"),
    ("我是赵老师，孩子今天不舒服。", "赵"),
    ("您好，我是欧阳娜娜想问一下价格。", "欧阳娜娜"),
    ("你好我是王小明明天再打给你", "王小明"),
    ("我姓黄，电话是13912345678。", "黄"),
    ("我是顺丰快递的张伟，您的包裹到了。", "张伟"),
    ("您好，我是远航物流的周先生，您的货已经发出。", "周"),
    ("您好，我是蓝天环保设备的黄经理。", "黄"),
    ("您好，我这边是平安保险的，姓王。", "王"),
    ("你好，我是物业的刘经理，明天停水。", "刘"),
    ("你好，我是Tony，想问一下报价。", "Tony"),
    ("喂，你好，我是京东物流的快递员小张，您的包裹放在门卫了。", "张"),
    ("您好，我是平安保险的客服李娜，关于您的保单。", "李娜"),
    ("我是物业的刘经理明天停水", "刘"),
    ("您好，我是ABC公司的Lisa Wang，请回电。", "Lisa Wang"),
    ("你好，免贵姓欧阳，想问一下发票。", "欧阳"),
    ("你好，我是陳大文，請回電話。", "陳大文"),
]


@pytest.mark.parametrize(("text", "name"), ZH_NAMES)
def test_chinese_names(text: str, name: str) -> None:
    assert find_caller_name(text, "zh") == name


@pytest.mark.parametrize(
    "text",
    [
        "您好，这里是北京协和医院，提醒您明天的预约。",
        "我是你们的老客户，网络又断了。",
        "我是想问一下退款的事。",
        "喂，你好，我是楼下的邻居，你家漏水了。",
    ],
)
def test_chinese_without_a_name(text: str) -> None:
    assert find_caller_name(text, "zh") is None


NAMES = [
    # French: je m'appelle, c'est, ici, de la part de, mon nom est, ... à l'appareil
    ("fr", "Bonjour, je m'appelle Pierre Dupont, je vous appelle au sujet de ma facture.", "Pierre Dupont"),
    ("fr", "Oui bonjour, c'est Camille, rappelez-moi quand vous pouvez.", "Camille"),
    ("fr", "Ici Julien Moreau, j'ai un souci avec ma commande.", "Julien Moreau"),
    ("fr", "Je vous appelle de la part de Nathalie Girard.", "Nathalie Girard"),
    ("fr", "Bonjour, mon nom est Hélène Rousseau.", "Hélène Rousseau"),
    ("fr", "Bonsoir, Thomas Lefèvre à l'appareil.", "Thomas Lefèvre"),
    # Portuguese: meu nome é, aqui é/fala, sou o/a, é o/a ... falando, me chamo
    ("pt", "Olá, meu nome é João Pereira e preciso de ajuda.", "João Pereira"),
    ("pt", "Oi, aqui é a Fernanda, me liga de volta por favor.", "Fernanda"),
    ("pt", "Bom dia, aqui fala o Ricardo Gomes.", "Ricardo Gomes"),
    ("pt", "Boa tarde, sou o Tiago, cliente de vocês.", "Tiago"),
    ("pt", "Oi, é a Beatriz Lopes falando, tudo bem?", "Beatriz Lopes"),
    ("pt", "Olá, eu me chamo Rafael Nunes.", "Rafael Nunes"),
    ("pt", "Oi, é a Maria da Silva falando.", "Maria da Silva"),
    ("pt", "Olá, aqui é a Maria das Dores, me ligue.", "Maria das Dores"),
    ("pt", "Bom dia, é o João dos Santos falando.", "João dos Santos"),
    ("pt", "Alô, é da parte do senhor Augusto, ele pediu para ligar de volta.", "Augusto"),
    # Spanish: me llamo, soy, habla, le habla, mi nombre es, de parte de
    ("es", "Hola, me llamo Lucía Fernández y llamo por la factura.", "Lucía Fernández"),
    ("es", "Buenas tardes, soy Diego Ramírez, llámeme por favor.", "Diego Ramírez"),
    ("es", "Hola, le habla Marta Ruiz.", "Marta Ruiz"),
    ("es", "Buenos días, mi nombre es Andrés Molina.", "Andrés Molina"),
    ("es", "Llamo de parte de Sofía Herrera por lo del presupuesto.", "Sofía Herrera"),
    ("es", "Hola, soy Juan de la Cruz, llámeme.", "Juan de la Cruz"),
    # German: mein Name ist, hier ist/spricht, ich bin, ... am Apparat, ich heiße
    ("de", "Guten Tag, mein Name ist Jonas Becker, ich rufe wegen der Rechnung an.", "Jonas Becker"),
    ("de", "Hallo, hier ist Lena, bitte ruf mich zurück.", "Lena"),
    ("de", "Guten Morgen, hier spricht Stefan Wolf.", "Stefan Wolf"),
    ("de", "Hallo, ich bin Katrin Hoffmann und habe eine Frage.", "Katrin Hoffmann"),
    ("de", "Ja, Neumann am Apparat, guten Tag.", "Neumann"),
    ("de", "Brandt, guten Tag, ich rufe an wegen der Rechnung.", "Brandt"),
    ("de", "Ja, Huber, grüß Gott, bitte um Rückruf.", "Huber"),
    # Italian: mi chiamo, sono, parla, il mio nome è
    ("it", "Buongiorno, mi chiamo Giorgio Conti.", "Giorgio Conti"),
    ("it", "Salve, sono Chiara Romano, vi chiamo per la fattura.", "Chiara Romano"),
    ("it", "Pronto, parla Alessandro.", "Alessandro"),
    ("it", "Buonasera, il mio nome è Paolo Greco.", "Paolo Greco"),
    # English: the patterns that were there, and "it's NAME at ...", "call NAME right away at"
    ("en", "Hi, this is Karen Whitfield, call me back at 614-555-0142.", "Karen Whitfield"),
    ("en", "Hi, it's Steve at Corner Cafe, 0161 496 0211.", "Steve"),
    ("en", "I need to cancel my order. Please call Amy Nguyen right away at 281-555-0137.", "Amy Nguyen"),
]


# Without a cue word: after a greeting (a full name, or a first name and where from), "it's me, NAME",
# a role then the name, an article before the name, "it's NAME" followed by what they do.
NAMES += [
    ("en", "Hello, Priya Raman from Northgate Insurance, about your claim.", "Priya Raman"),
    ("en", "Hi, uh, yeah, Jim Baxter, I'm calling about the fence.", "Jim Baxter"),
    ("en", "Hi, it's Anna, Anna Kowalski, call me when you can.", "Anna Kowalski"),
    ("es", "Hola, soy Pilar, Pilar Navarro, le llamo por la reserva.", "Pilar Navarro"),
    ("en", "Hello there, Rosa Diaz from Brooklyn Bagels, call me.", "Rosa Diaz"),
    ("en", "Good morning, Tom at Brightline Print, call me on 617-555-0101.", "Tom"),
    ("fr", "Bonjour, Élodie Fabre, je vous rappelle pour le devis.", "Élodie Fabre"),
    ("es", "Buenas tardes, Rocío Vidal, de Mudanzas Express, le llamo por el presupuesto.", "Rocío Vidal"),
    ("de", "Hallo, ich bin's, Uwe. Ruf mich zurück.", "Uwe"),
    ("en", "Hey, it's me, Danny. Call me when you're free.", "Danny"),
    ("es", "Hola, soy yo, Paco, llámame.", "Paco"),
    ("en", "Hi, I'm the building manager, Oscar Reyes, please call me.", "Oscar Reyes"),
    ("it", "Buongiorno, sono il custode, Franco Neri, vi chiamo per l'ascensore.", "Franco Neri"),
    ("de", "Hallo, hier ist die Petra, bitte zurückrufen.", "Petra"),
    ("pt", "Olá, daqui fala o Rui Teixeira, do condomínio.", "Rui Teixeira"),
    ("de", "Grüezi, da ist Urs Keller, wegen der Offerte.", "Urs Keller"),
    ("en", "Hey, it's Nina Park following up on the quote.", "Nina Park"),
    # Fillers between the cue and the name; "X mein Name"; "le saluda"
    ("en", "Yeah hi, this is, um, Derek Olsen, call me back.", "Derek Olsen"),
    ("fr", "Bonjour, euh, c'est Sandrine Morel, rappelez-moi.", "Sandrine Morel"),
    ("de", "Hallo, äh, hier ist Jan Krüger.", "Jan Krüger"),
    ("de", "Guten Tag, Schneider mein Name, ich rufe wegen der Rechnung an.", "Schneider"),
    ("es", "Hola, buenas tardes, le saluda Patricia Gómez, de Viajes Sol.", "Patricia Gómez"),
    ("en", "Hi, this is Nurse Patel from the clinic.", "Patel"),
]


@pytest.mark.parametrize(("lang", "text", "name"), NAMES)
def test_names_in_every_language(lang: str, text: str, name: str) -> None:
    assert find_caller_name(text, lang) == name


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("it", "Buongiorno, sono molto preoccupato per la bolletta."),
        ("es", "Hola, soy cliente y tengo un problema con la factura."),
        ("de", "Guten Tag, ich bin Kunde bei Ihnen und habe ein Problem."),
        ("de", "Hallo, hier ist Ihre Zahnarztpraxis."),
        ("fr", "Bonjour, c'est très urgent, rappelez-moi."),
        ("pt", "Oi, sou cliente há dez anos."),
        ("en", "Hi, this is Marco's mom, he left his jacket."),
        ("en", "Hi, it's Christmas Eve, call me back."),
        ("en", "Hi Laura, just calling to say the parcel arrived."),
        ("en", "Hello Mr. Grant, calling about your order from last week."),
        ("en", "Hi Lisa, calling to confirm your appointment tomorrow."),
        ("en", "Sarah, hi, it's me again, call me."),
        ("de", "Anna, hallo, ich bin's nochmal."),
        ("fr", "Bonjour Madame Perrin, je vous appelle au sujet de votre commande."),
        ("en", "Good morning, Accounts Payable here, about invoice 4471."),
        ("de", "Guten Tag, hier ist der Kundendienst von Vodafone."),
        ("de", "Hallo, hier ist der Hausmeister, das Wasser ist morgen abgestellt."),
        ("en", "Hi, this is Bluewater Plumbing, your engineer is on the way."),
        ("de", "Guten Tag, hier ist die Praxis Dr. Brandt, wir müssen Ihren Termin verschieben."),
        ("fr", "Bonjour, ici Pharmacie du Centre, votre commande est prête."),
    ],
)
def test_no_name_where_none_is_said(lang: str, text: str) -> None:
    assert find_caller_name(text, lang) is None


TITLES = [
    ("de", "Hallo, hier ist Herr Schmidt, bitte rufen Sie zurück.", "Schmidt"),
    ("de", "Guten Tag, mein Name ist Frau Dr. Weber.", "Weber"),
    ("en", "Hi, this is Doctor Lim, please call me back.", "Lim"),
    ("en", "Hello, my name is Mrs. Patel.", "Patel"),
    ("en", "Hi it's Professor Hughes here.", "Hughes"),
    ("fr", "Ici Madame Leroy, rappelez-moi.", "Leroy"),
    ("fr", "Bonjour, c'est M. Durand.", "Durand"),
    ("fr", "Bonjour, je m'appelle Mademoiselle Petit.", "Petit"),
    ("es", "Le habla la señora Martínez.", "Martínez"),
    ("es", "Buenas, soy el Sr. Ortega.", "Ortega"),
    ("es", "Llamo de parte de Don Ramón Castillo.", "Ramón Castillo"),
    ("pt", "Aqui fala o Senhor Carlos Mendes.", "Carlos Mendes"),
    ("pt", "Bom dia, aqui é a Dona Rosa.", "Rosa"),
    ("it", "Salve, sono la signora Bianchi.", "Bianchi"),
    ("it", "Parla il Dottor Esposito.", "Esposito"),
    ("it", "Buongiorno, sono la dottoressa Galli.", "Galli"),
]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Hallo, bitte um Rückruf. Handy 0171 2345678, danke."),
        ("de", "Hallo, eine Frage zur Rechnung. Telefon 030 1234567."),
        ("de", "Meine Nummer ist 0171 2345678, nein, Entschuldigung, 0171 2345679."),
        ("en", "Hi, question about my bill. Cell 312 555 0142, thanks."),
        ("en", "Hi, about my parcel. Order 44718, please call."),
        ("en", "Hi, Apartment 304, the heat is out again."),
        ("es", "Hola, una pregunta. Móvil 612 345 678."),
        ("de", "Hallo. Zimmer 204, die Heizung geht nicht."),
        ("fr", "Bonjour. Appartement 304, le chauffage ne marche pas."),
    ],
)
def test_a_word_before_a_number_is_no_sign_off_name(lang: str, text: str) -> None:
    assert find_caller_name(text, lang) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi, the sink is leaking, Lisa Tran, 714 555 0118.", "Lisa Tran"),
        ("Hi, the sink is leaking. Lisa, 714-555-0118.", "Lisa"),
        ("Call me back, Tom at 212 555 0134.", "Tom"),
    ],
)
def test_a_name_before_a_phone_number_signs_off(text: str, name: str) -> None:
    assert find_caller_name(text, "en") == name


@pytest.mark.parametrize(("lang", "text", "name"), TITLES)
def test_titles_dropped_in_every_language(lang: str, text: str, name: str) -> None:
    assert find_caller_name(text, lang) == name


def test_don_and_dona_are_english_first_names() -> None:
    assert find_caller_name("Hi, this is Don Fletcher, call me back.", "en") == "Don Fletcher"
    assert find_caller_name("Hi, this is Dona Reyes, call me back.", "en") == "Dona Reyes"


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("en", "Mr."),
        ("en", "Mrs"),
        ("en", "Ms."),
        ("en", "Miss"),
        ("en", "Dr."),
        ("en", "Doctor"),
        ("en", "Professor"),
        ("de", "Herr"),
        ("de", "Frau"),
        ("de", "Frau Dr."),
        ("fr", "Monsieur"),
        ("fr", "Madame"),
        ("fr", "Mademoiselle"),
        ("fr", "M."),
        ("fr", "Mme"),
        ("es", "Señor"),
        ("es", "Señora"),
        ("es", "Señorita"),
        ("es", "Sr."),
        ("es", "Sra."),
        ("es", "Don"),
        ("es", "Doña"),
        ("pt", "Senhor"),
        ("pt", "Senhora"),
        ("pt", "Sr."),
        ("pt", "Sra."),
        ("pt", "Dona"),
        ("it", "Signor"),
        ("it", "Signora"),
        ("it", "Sig."),
        ("it", "Dottor"),
        ("it", "Dottore"),
        ("it", "Dottoressa"),
    ],
)
def test_every_title_is_dropped(lang: str, title: str) -> None:
    cue = {"en": "this is", "de": "hier ist", "fr": "ici", "es": "le habla", "pt": "aqui fala", "it": "parla"}
    assert find_caller_name(f"Hola, {cue[lang]} {title} Ventura, gracias.", lang) == "Ventura"


@pytest.mark.parametrize("title", ["先生", "女士", "小姐", "老师", "医生"])
def test_every_chinese_title_is_dropped(title: str) -> None:
    assert find_caller_name(f"你好，我是孙{title}，请回电话。", "zh") == "孙"


@pytest.mark.parametrize(
    ("lang", "text", "name"),
    [
        ("en", "hello my name is john smith, call me at 555 0100", "John Smith"),
        ("es", "hola me llamo carlos y quería preguntar por el pedido", "Carlos"),
        ("fr", "bonjour je m'appelle pierre dupont", "Pierre Dupont"),
        ("de", "hallo mein name ist anna schmidt und ich rufe an", "Anna Schmidt"),
        ("it", "buongiorno mi chiamo marco, richiamatemi", "Marco"),
    ],
)
def test_lower_case_name_after_a_strong_cue(lang: str, text: str, name: str) -> None:
    assert find_caller_name(text, lang) == name


@pytest.mark.parametrize(
    "text", ["hello my name is on the account already", "hi this is john, call me", "hola soy carlos"]
)
def test_lower_case_words_after_a_weak_cue_are_no_name(text: str) -> None:
    assert find_caller_name(text) is None


ORGANISATIONS = [
    # English: from / with / at, after the name or after "calling"
    ("en", "Hi, this is Maria Lopez from Acme Plumbing, call me back.", "Acme Plumbing"),
    ("en", "Hello, this is Deborah from the Riverside Community Center.", "Riverside Community Center"),
    ("en", "Hi, this is Dave with Comcast about your service.", "Comcast"),
    ("en", "Hi, it's Steve at Corner Cafe, 0161 496 0211.", "Corner Cafe"),
    ("en", "I'm calling on behalf of Northwind Traders about your order.", "Northwind Traders"),
    ("en", "Hi, this is Paul, I work at Stanton Metals, call me back.", "Stanton Metals"),
    ("en", "Hi, this is Dana Whitlock, Meadowbrook Dental, call me on 555 0199.", "Meadowbrook Dental"),
    # Spanish: de la empresa X, de X after a name
    ("es", "Buenos días, soy Laura García de la empresa Limpiezas Brillo.", "Limpiezas Brillo"),
    ("es", "Hola, me llamo Carlos Pérez, de Telefónica, le llamo por su línea.", "Telefónica"),
    ("es", "Habla Jorge del Banco Santander.", "Banco Santander"),
    ("es", "Hola, le llamamos de Seguros Atlántida por su póliza.", "Seguros Atlántida"),
    # French: de la société X, de chez X, d'X after a name
    ("fr", "Bonjour, c'est Marie de la société Orange.", "Orange"),
    ("fr", "Bonjour, c'est M. Durand de chez Darty.", "Darty"),
    ("fr", "Bonjour, ici Sophie d'EDF, je vous appelle pour votre compteur.", "EDF"),
    # German: von der Firma X, von X after a name
    ("de", "Guten Tag, mein Name ist Anna Schmidt von der Firma Bauer GmbH.", "Bauer GmbH"),
    ("de", "Hallo, hier ist Thomas Müller von Siemens, bitte rufen Sie zurück.", "Siemens"),
    ("de", "Hier spricht Frau Dr. Weber von der Praxis Dr. Weber.", "Praxis Dr. Weber"),
    # Portuguese: da empresa X, da X after a name, aqui é da X
    ("pt", "Olá, meu nome é João Pereira e estou ligando da empresa Vivo.", "Vivo"),
    ("pt", "Oi, aqui é a Ana da Claro, sobre a sua fatura.", "Claro"),
    ("pt", "Bom dia, aqui é da Clínica Sorriso.", "Clínica Sorriso"),
    ("pt", "Oi, é o Rui dos Correios, tenho uma encomenda para você.", "Correios"),
    # Italian: della ditta X, di X after a name
    ("it", "Sono Luca della ditta Ferri Costruzioni.", "Ferri Costruzioni"),
    ("it", "Buongiorno, sono Giulia di Fastweb, la chiamo per il contratto.", "Fastweb"),
    # An organisation introducing itself
    ("en", "Hi, this is Bluewater Plumbing, your engineer is on the way.", "Bluewater Plumbing"),
    (
        "de",
        "Guten Tag, hier ist die Praxis Dr. Brandt, wir müssen Ihren Termin verschieben.",
        "Praxis Dr. Brandt",
    ),
    ("fr", "Bonjour, ici Pharmacie du Centre, votre commande est prête.", "Pharmacie du Centre"),
    # "here"/"hier" between the name and where from; a kind said in lower case before the name
    ("de", "Hallo, Vogel hier, von der Hausverwaltung Lindner, wegen der Heizung.", "Hausverwaltung Lindner"),
    ("es", "Hola, buenas, te llamo de la clínica dental Sonrisas por tu cita.", "clínica dental Sonrisas"),
    (
        "it",
        "Salve, sono Marta dello studio dentistico Sorriso, per il controllo.",
        "studio dentistico Sorriso",
    ),
    ("fr", "Bonjour, ici Madame Lefebvre, de la mairie de Lyon.", "mairie de Lyon"),
    ("es", "Buenos días, le llamo del ayuntamiento de Getafe por su solicitud.", "ayuntamiento de Getafe"),
    # A department of the organisation; a call on behalf of one; a message from one
    ("de", "Guten Tag, hier ist der Kundendienst von Vodafone, es geht um Ihren Vertrag.", "Vodafone"),
    ("fr", "Bonjour, ici le service client de Bouygues, concernant votre box.", "Bouygues"),
    ("en", "Hi, this is the billing department at Harlow Energy, please call us.", "Harlow Energy"),
    ("en", "Hi, this is John from accounting at Acme Corp, call me.", "Acme Corp"),
    ("en", "Hello, it's Mia from the front office at Lakeside Dental.", "Lakeside Dental"),
    ("fr", "Bonjour, je vous appelle de la part du cabinet Leblanc, pour votre dossier.", "cabinet Leblanc"),
    ("en", "Hello, this is a message from Northfield Pharmacy, your order is ready.", "Northfield Pharmacy"),
    ("fr", "Oui bonjour, c'est Nathalie du Crédit Agricole, pour votre prêt.", "Crédit Agricole"),
    ("es", "Sí, hola, llamaba de Correos por un paquete retenido.", "Correos"),
    ("pt", "Bom dia, falo em nome da empresa Construtora Lima, sobre a obra.", "Construtora Lima"),
    ("it", "Salve, chiamo da parte della Termotecnica Rossi per la caldaia.", "Termotecnica Rossi"),
    ("en", "It's Dr. Okafor from St. Luke's, about your results.", "St. Luke's"),
    # Chinese: X公司 / X银行 / X医院 ..., before 的 or after 我是 / 这里是
    ("zh", "我是顺丰快递的张伟，您的包裹到了。", "顺丰快递"),
    ("zh", "您好，这里是北京协和医院，提醒您明天的预约。", "北京协和医院"),
    ("zh", "你好，我是中国银行的刘小姐，关于您的信用卡。", "中国银行"),
    ("zh", "我是华信科技有限公司的李明，想跟您谈合作。", "华信科技有限公司"),
    ("zh", "您好，我是远航物流的周先生，您的货已经发出。", "远航物流"),
    ("zh", "你好，我是晨光文具店的马丽，想确认订单。", "晨光文具店"),
    ("zh", "您好，我是蓝天环保设备的黄经理。", "蓝天环保设备"),
    ("zh", "你好，我是王芳，是阳光幼儿园的老师。", "阳光幼儿园"),
    ("zh", "您好，我是来自星辰软件公司的客服。", "星辰软件公司"),
    ("zh", "我是Apple的Kevin，明天再联系。", "Apple"),
]


@pytest.mark.parametrize(("lang", "text", "org"), ORGANISATIONS)
def test_organisations_in_every_language(lang: str, text: str, org: str) -> None:
    assert find_organisation(text, find_caller_name(text, lang)) == org


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Hi, this is Jenny, calling for Doctor Lim, please call back."),
        ("en", "Hi, this is Anna with Doctor Lim, about your results."),
        ("en", "Hi, this is Jenny from Dr. Patel's office."),
        ("en", "Hey, it's Sam, I'm at Marco's, call me."),
        ("en", "Hi it's Rachel, I'll be there from Monday."),
        ("en", "You have a message from John Smith."),
        ("en", "Hi, this is Maria Lopez, from Maria Lopez."),
        ("de", "Hallo, hier ist Anna Schmidt von Montag bis Freitag erreichbar."),
        ("es", "Hola, soy Ana López, de lunes a viernes estoy en casa."),
        ("pt", "Oi, é a Maria da Silva falando."),
        ("zh", "我是你们的老客户，网络又断了。"),
        ("zh", "您好，这里是客服中心，您的账户有异常，请按1。"),
        ("zh", "你好，我是物业的刘经理，明天停水。"),
        ("en", "Hi, I'll be at the hospital Monday, call me."),
        ("en", "Hi, I have a problem with Outlook, it keeps crashing."),
        ("en", "Hey, I'll pick you up at Heathrow on Friday."),
        ("en", "Hi, this is Jake, Tom asked me to call you."),
    ],
)
def test_no_organisation_from_a_title_a_possessive_a_weekday_or_the_caller(lang: str, text: str) -> None:
    assert find_organisation(text, find_caller_name(text, lang)) is None


@pytest.mark.parametrize(
    ("lang", "text", "org"),
    [
        (
            "es",
            "Buenos días, soy Laura García de la empresa Limpiezas Brillo. Llámeme al 612 345 678.",
            "Limpiezas Brillo",
        ),
        ("de", "Hallo, hier ist Thomas Müller von Siemens. Rufen Sie mich an.", "Siemens"),
        ("zh", "我是顺丰快递的张伟，您的包裹到了，请回电话。", "顺丰快递"),
    ],
)
def test_triage_card_carries_the_organisation_in_every_language(lang: str, text: str, org: str) -> None:
    assert triage(text, lang).organisation == org


def test_names_and_organisations_stay_fast() -> None:
    texts = [text for _, text, _ in NAMES + ORGANISATIONS] + [text for text, _ in ZH_NAMES]
    started = time.perf_counter()
    for text in texts:
        find_organisation(text, find_caller_name(text))
    per_text_ms = (time.perf_counter() - started) * 1000 / len(texts)
    assert per_text_ms < 2.0  # a small share of triage's 20 ms budget per voicemail
