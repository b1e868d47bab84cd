"""Intent, spam and no-message in every language triage knows: the cue phrases a native speaker would use
for each class (several phrasings each, none taken from the labelled sets), and lookalikes that must not
become spam, a hang-up or the wrong class. The request sentence (note.find_request) in each language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voice.triage.classify import triage
from voice.triage.intent import is_hang_up
from voice.triage.model import CallContext
from voice.triage.note import find_request

CTX = CallContext(started_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC), region="US")

CASES: list[tuple[str, str, str]] = [
    # --- spam_robocall ------------------------------------------------------------------------------------
    (
        "es",
        "spam_robocall",
        "Le informamos que su vehículo puede optar a una garantía extendida. Presione 1 ahora.",
    ),
    ("es", "spam_robocall", "Enhorabuena, usted ha sido seleccionado para recibir un regalo. Oprima el dos."),
    (
        "es",
        "spam_robocall",
        "Este es un aviso importante de su banco. Para hablar con un agente marque el 9.",
    ),
    (
        "es",
        "spam_robocall",
        "Mensaje grabado: préstamos rápidos sin papeleo y gratis el primer mes, llame ya.",
    ),
    (
        "fr",
        "spam_robocall",
        "Ceci est un message important concernant votre compte. Appuyez sur la touche 1.",
    ),
    ("fr", "spam_robocall", "Félicitations, vous avez gagné un séjour de rêve. Pour le réclamer, tapez 2."),
    (
        "fr",
        "spam_robocall",
        "Vous avez été choisi pour un bilan énergétique gratuit grâce aux aides de l'État.",
    ),
    (
        "de",
        "spam_robocall",
        "Dies ist eine wichtige Mitteilung zu Ihrem Stromvertrag. Drücken Sie die Taste 1.",
    ),
    (
        "de",
        "spam_robocall",
        "Sie haben bei unserer Verlosung ein Auto gewonnen! Rufen Sie uns sofort zurück.",
    ),
    (
        "de",
        "spam_robocall",
        "Ihre Garantieverlängerung läuft ab. Wählen Sie jetzt die Eins, um zu verlängern.",
    ),
    (
        "pt",
        "spam_robocall",
        "Você foi selecionado para receber um cartão sem anuidade. Tecle 1 para saber mais.",
    ),
    (
        "pt",
        "spam_robocall",
        "Esta é uma mensagem importante do seu banco. Pressione nove para falar conosco.",
    ),
    ("pt", "spam_robocall", "Parabéns, você ganhou um prêmio! Aperte o um para resgatar agora mesmo."),
    (
        "it",
        "spam_robocall",
        "Gentile cliente, è stato selezionato per un'offerta esclusiva. Prema il tasto 1.",
    ),
    (
        "it",
        "spam_robocall",
        "Complimenti, ha vinto un buono regalo da cinquecento euro, digiti uno per riceverlo.",
    ),
    ("zh", "spam_robocall", "您好，恭喜您获得本店周年庆大奖，领取请按1。"),
    ("zh", "spam_robocall", "这是一条重要通知，您的社保卡已被冻结，详情请按9转人工服务。"),
    ("zh", "spam_robocall", "您的银行卡涉嫌洗钱，请立即联系我们，否则将被冻结。"),
    # --- no_message -----------------------------------------------------------------------------------------
    ("es", "no_message", "¿Aló? ¿Aló? ¿Me escucha?"),
    ("es", "no_message", "Eh... bueno, nada."),
    ("es", "no_message", "Hola, buenas tardes. ¿Hola?"),
    ("fr", "no_message", "Allô ? Vous m'entendez ? ... Bon, tant pis."),
    ("fr", "no_message", "Oui, allô ? Il y a quelqu'un ?"),
    ("de", "no_message", "Hallo? ... Ist da jemand? ... Hallo?"),
    ("de", "no_message", "Äh, ja, hallo? Nein."),
    ("pt", "no_message", "Alô? Tá me ouvindo? ... Alô?"),
    ("pt", "no_message", "Oi? Oi... tem alguém aí?"),
    ("it", "no_message", "Pronto? Pronto? Mi sente?"),
    ("it", "no_message", "Ehm... niente, va bene."),
    ("zh", "no_message", "喂？喂？听得到吗？"),
    ("zh", "no_message", "喂，您好……嗯……算了。"),
    ("en", "no_message", "Hm. Hello? Anyone there?"),
    ("en", "no_message", "[silence]"),
    # --- wrong_number ---------------------------------------------------------------------------------------
    ("es", "wrong_number", "¿Carmen? Ay, perdone, me equivoqué de número. Disculpe la molestia."),
    ("es", "wrong_number", "Hola, creo que marqué mal, buscaba la pizzería. Perdón."),
    ("fr", "wrong_number", "Bonjour Pierre... ah pardon, je me suis trompé de numéro. Excusez-moi."),
    ("fr", "wrong_number", "Oh, excusez-moi, c'est un mauvais numéro, désolée."),
    ("de", "wrong_number", "Oh, Entschuldigung, ich bin wohl falsch verbunden. Auf Wiederhören."),
    ("de", "wrong_number", "Hallo Klaus? Ach, da hab ich mich verwählt, sorry."),
    ("pt", "wrong_number", "Oi, é da farmácia? Ah, desculpa, liguei para o número errado."),
    ("pt", "wrong_number", "Desculpe, foi engano. Tchau."),
    ("it", "wrong_number", "Pronto, Marco? Oh, mi scusi, ho sbagliato numero."),
    ("it", "wrong_number", "Scusi, credo che sia il numero sbagliato, arrivederci."),
    ("zh", "wrong_number", "喂，是张师傅吗？哦，对不起，我打错电话了。"),
    ("zh", "wrong_number", "不好意思，我拨错号了，再见。"),
    # --- billing --------------------------------------------------------------------------------------------
    ("es", "billing", "Les llamo porque en el último recibo me han cobrado dos veces la cuota de noviembre."),
    ("es", "billing", "Hola, tengo una duda con el importe de mi factura, me parece que está mal calculado."),
    ("fr", "billing", "On m'a prélevé deux fois ce mois-ci, j'aimerais être remboursé s'il vous plaît."),
    ("fr", "billing", "Je ne comprends pas le montant de ma dernière facture, pouvez-vous m'expliquer ?"),
    ("de", "billing", "Guten Tag, auf meiner Rechnung steht ein Betrag, den ich nicht nachvollziehen kann."),
    ("de", "billing", "Sie haben den Monatsbeitrag doppelt abgebucht, ich hätte gern eine Erstattung."),
    ("pt", "billing", "Olá, a minha fatura deste mês veio com um valor errado, podem verificar?"),
    ("pt", "billing", "Bom dia, o boleto ainda não chegou e o pagamento vence amanhã."),
    ("it", "billing", "Buongiorno, nella bolletta di ottobre c'è un importo che non mi torna."),
    ("it", "billing", "Salve, mi avete addebitato due volte il canone, vorrei un rimborso."),
    ("zh", "billing", "你好，我这个月的账单好像多扣了一百块钱，麻烦帮我查一下。"),
    ("zh", "billing", "您好，我想开一张发票，上周付款的那笔。"),
    # --- appointment ----------------------------------------------------------------------------------------
    ("es", "appointment", "Hola, quería pedir cita con la doctora para la semana que viene."),
    ("es", "appointment", "Buenas, tengo hora el lunes y necesito cambiarla al miércoles si se puede."),
    ("fr", "appointment", "Bonjour, je voudrais prendre rendez-vous pour un détartrage."),
    ("fr", "appointment", "Bonjour, je dois décaler mon rendez-vous de jeudi, je ne serai pas disponible."),
    ("de", "appointment", "Hallo, ich möchte gern einen Termin für eine Kontrolle vereinbaren."),
    ("de", "appointment", "Guten Tag, ich muss meinen Termin am Freitag leider absagen und neu ausmachen."),
    ("pt", "appointment", "Olá, gostaria de marcar uma consulta com o dentista na próxima semana."),
    ("pt", "appointment", "Oi, preciso remarcar meu horário de terça, surgiu um imprevisto."),
    ("it", "appointment", "Buongiorno, vorrei prenotare una visita per mia figlia."),
    ("it", "appointment", "Salve, devo spostare l'appuntamento di domani a lunedì prossimo."),
    ("zh", "appointment", "你好，我想预约下周二上午洗牙。"),
    ("zh", "appointment", "您好，我明天的复诊能不能改到下午？"),
    # --- support --------------------------------------------------------------------------------------------
    ("es", "support", "Hola, la lavadora que compramos no enciende desde ayer, ¿pueden mandar a un técnico?"),
    ("es", "support", "Buenos días, no puedo entrar a mi cuenta, me dice que la contraseña es incorrecta."),
    ("fr", "support", "Ma box internet ne fonctionne plus depuis ce matin, tous les voyants sont rouges."),
    ("fr", "support", "Bonjour, il y a une fuite sous l'évier de la cuisine, il faudrait envoyer quelqu'un."),
    ("de", "support", "Hallo, unser Router ist kaputt, wir haben seit gestern kein Internet."),
    ("de", "support", "Guten Tag, die Spülmaschine zeigt eine Fehlermeldung und pumpt nicht ab."),
    ("pt", "support", "Oi, o ar-condicionado parou de funcionar e está pingando água."),
    ("pt", "support", "Bom dia, não consigo acessar o aplicativo, aparece um erro toda vez."),
    ("it", "support", "Buongiorno, la caldaia è guasta, siamo senza riscaldamento da due giorni."),
    ("it", "support", "Salve, il computer non si accende più, potete mandare un tecnico?"),
    ("zh", "support", "你好，我家的路由器坏了，一直连不上网。"),
    ("zh", "support", "您好，热水器出问题了，麻烦派个师傅上门维修一下。"),
    # --- sales_lead -----------------------------------------------------------------------------------------
    (
        "es",
        "sales_lead",
        "Hola, me gustaría saber cuánto cuesta instalar aire acondicionado en un piso de 80 metros.",
    ),
    ("es", "sales_lead", "Estamos interesados en sus servicios de limpieza para nuestra oficina."),
    ("fr", "sales_lead", "Bonjour, je souhaiterais un devis pour refaire la toiture de ma maison."),
    ("fr", "sales_lead", "Bonjour, nous sommes intéressés par vos formations, quels sont vos tarifs ?"),
    ("de", "sales_lead", "Guten Tag, wir hätten gern ein Angebot für zwanzig Bürostühle."),
    ("de", "sales_lead", "Was kostet bei Ihnen eine Gartenpflege im Monat? Ich interessiere mich dafür."),
    ("pt", "sales_lead", "Olá, queria pedir um orçamento para pintar o apartamento."),
    ("pt", "sales_lead", "Temos interesse em comprar cem unidades do seu produto, qual é o preço?"),
    ("it", "sales_lead", "Buongiorno, vorrei un preventivo per il rifacimento della cucina."),
    ("it", "sales_lead", "Salve, siamo interessati ai vostri servizi, quanto costa l'abbonamento annuale?"),
    ("zh", "sales_lead", "你好，我想了解一下你们的课程，多少钱一节？"),
    ("zh", "sales_lead", "您好，我们公司想采购一批打印机，麻烦报个价。"),
    # --- complaint ------------------------------------------------------------------------------------------
    ("es", "complaint", "Quiero poner una queja, el repartidor fue muy maleducado y me tiró el paquete."),
    ("es", "complaint", "Llevo dos semanas esperando y nadie me da una solución, esto es inaceptable."),
    ("fr", "complaint", "Je voudrais faire une réclamation, c'est inadmissible, personne ne me rappelle."),
    ("fr", "complaint", "Je suis très mécontent du service, c'est la troisième fois que j'appelle."),
    ("de", "complaint", "Ich möchte mich beschweren, Ihr Mitarbeiter war unverschämt zu mir."),
    ("de", "complaint", "Ich bin sehr enttäuscht, das ist jetzt zum dritten Mal, dass niemand kommt."),
    ("pt", "complaint", "Quero fazer uma reclamação, o atendimento de vocês é péssimo."),
    ("pt", "complaint", "Isso é um absurdo, é a terceira vez que eu ligo e ninguém resolve nada."),
    ("it", "complaint", "Voglio fare un reclamo, il tecnico non si è mai presentato, è inaccettabile."),
    ("it", "complaint", "Sono molto deluso dal vostro servizio, è una vergogna."),
    ("zh", "complaint", "我要投诉你们的快递员，态度太差了。"),
    ("zh", "complaint", "你们这服务太不像话了，我已经打了好几次电话都没人管。"),
    # --- cancellation ---------------------------------------------------------------------------------------
    ("es", "cancellation", "Quería darme de baja del servicio de televisión a partir del mes que viene."),
    ("es", "cancellation", "Buenas, quiero cancelar mi suscripción, ya no la uso."),
    ("fr", "cancellation", "Bonjour, je souhaite résilier mon contrat d'assurance habitation."),
    ("fr", "cancellation", "Bonjour, j'aimerais annuler mon abonnement à la salle de sport."),
    ("de", "cancellation", "Guten Tag, ich möchte meinen Handyvertrag zum Monatsende kündigen."),
    ("de", "cancellation", "Hallo, bitte beenden Sie meinen Vertrag, ich will ihn nicht mehr verlängern."),
    ("pt", "cancellation", "Olá, quero cancelar a minha assinatura da revista."),
    ("pt", "cancellation", "Bom dia, gostaria de pedir a rescisão do contrato de internet."),
    ("it", "cancellation", "Buongiorno, vorrei disdire l'abbonamento alla palestra."),
    ("it", "cancellation", "Salve, chiamo per la disdetta del contratto del gas."),
    ("zh", "cancellation", "你好，我想取消会员，下个月不续了。"),
    ("zh", "cancellation", "您好，我要注销这个账户，麻烦处理一下。"),
    # --- delivery -------------------------------------------------------------------------------------------
    ("es", "delivery", "Hola, el paquete que pedí hace diez días todavía no me ha llegado."),
    ("es", "delivery", "Buenas, ¿a qué hora pasa el repartidor? No voy a estar en casa por la mañana."),
    ("fr", "delivery", "Bonjour, mon colis est indiqué livré mais je n'ai rien reçu."),
    ("fr", "delivery", "Bonjour, je voudrais savoir quand ma commande sera expédiée."),
    ("de", "delivery", "Hallo, mein Paket ist laut Sendungsverfolgung zugestellt, aber es ist nicht da."),
    ("de", "delivery", "Guten Tag, wann kommt denn die Lieferung vom Sofa? Ich warte seit drei Wochen."),
    ("pt", "delivery", "Oi, a minha encomenda ainda não chegou e o rastreio não atualiza."),
    ("pt", "delivery", "Olá, o entregador deixou o pacote no vizinho errado."),
    ("it", "delivery", "Buongiorno, il pacco non mi è ancora arrivato, il corriere non si è visto."),
    ("it", "delivery", "Salve, volevo sapere quando parte la spedizione del mio ordine."),
    ("zh", "delivery", "你好，我的包裹显示已签收，但是我没收到。"),
    ("zh", "delivery", "您好，我买的东西什么时候发货？都一个星期了。"),
    # --- personal -------------------------------------------------------------------------------------------
    ("es", "personal", "Hola cariño, soy mamá, llámame cuando salgas del trabajo. Un beso."),
    ("es", "personal", "Oye, soy yo, que el sábado es el cumpleaños de la abuela, no te olvides."),
    ("fr", "personal", "Coucou ma chérie, c'est papa, on t'attend pour le dîner dimanche. Bisous."),
    ("fr", "personal", "Salut, c'est moi, je voulais juste prendre de tes nouvelles. Je t'embrasse."),
    ("de", "personal", "Hallo Schatz, ich bin's, vergiss nicht, Brot mitzubringen. Kuss."),
    ("de", "personal", "Hi, hier ist Mama, ruf mal an wegen Omas Geburtstag am Sonntag."),
    ("pt", "personal", "Oi filha, é a mãe, me liga quando puder. Beijos."),
    ("pt", "personal", "Oi amor, sou eu, tô chegando tarde hoje, não me espera pro jantar."),
    ("it", "personal", "Ciao tesoro, sono la mamma, chiamami quando puoi. Un bacio."),
    ("it", "personal", "Ehi, sono io, domenica pranziamo dalla nonna, ti voglio bene."),
    ("zh", "personal", "儿子，我是妈妈，周末回家吃饭吧。"),
    ("zh", "personal", "老公，是我，今晚我加班，晚点回去。"),
    # --- callback_request (no subject) ----------------------------------------------------------------------
    ("es", "callback_request", "Hola, soy Rocío Vega, por favor devuélvame la llamada cuando pueda."),
    ("fr", "callback_request", "Bonjour, c'est Luc Martin, merci de me rappeler dès que possible."),
    ("de", "callback_request", "Guten Tag, hier spricht Petra Lang, bitte rufen Sie mich zurück."),
    ("pt", "callback_request", "Olá, é o Rui Alves, por favor retorne a minha ligação."),
    ("it", "callback_request", "Buongiorno, sono Paolo Greco, mi richiami per favore."),
    ("zh", "callback_request", "您好，我是陈先生，麻烦您方便的时候给我回个电话。"),
    # --- more ways to say it ------------------------------------------------------------------------------
    (
        "es",
        "spam_robocall",
        "Aviso de la Agencia Tributaria: tiene una deuda pendiente. Pulse el número uno.",
    ),
    ("de", "wrong_number", "Oh, Entschuldigung, falsche Nummer. Tschüss."),
    ("es", "support", "Buenas, el router no tiene conexión desde anoche, ya lo reinicié dos veces."),
    ("es", "support", "Hola, se me ha bloqueado la cuenta y no me llega el código de verificación."),
    ("fr", "support", "Bonjour, l'application plante à chaque fois que j'essaie de me connecter."),
    ("de", "support", "Hallo, bei uns ist seit heute Morgen der Strom weg, im ganzen Haus."),
    ("de", "support", "Das Garagentor lässt sich nicht mehr öffnen, können Sie jemanden vorbeischicken?"),
    ("pt", "support", "Bom dia, o sistema está fora do ar desde cedo e ninguém aqui consegue trabalhar."),
    ("es", "billing", "Hola, quería saber por qué este mes la cuota ha subido veinte euros."),
    ("es", "delivery", "Hola, el mensajero vino cuando no estaba y dejó un aviso, ¿cuándo vuelve a pasar?"),
    ("zh", "delivery", "你好，我的外卖送错地址了。"),
    ("de", "cancellation", "Hallo, ich möchte mein Abo zum Ende des Monats beenden."),
    ("zh", "cancellation", "你好，我想把宽带停掉，下个月不用了。"),
    ("es", "sales_lead", "Hola, ¿hacen ustedes reformas de cocina? Me gustaría que vinieran a ver la mía."),
    ("es", "complaint", "Estoy muy molesta, el técnico llegó tres horas tarde y ni se disculpó."),
    ("en", "support", "Hi, our alarm system keeps beeping and we can't turn it off."),
    ("en", "support", "Hello, the lift in block C is stuck on the third floor again."),
    ("en", "support", "Hi, I'm having trouble getting into the portal, it says my account is locked."),
    ("en", "billing", "Hello, I need a copy of my receipt for the repair last month for my insurance."),
    ("en", "personal", "Hey love, it's Granny, just ringing to say hello, give us a call when you're free."),
    ("en", "wrong_number", "Oh, I'm sorry, I was trying to reach my daughter, I must have dialled wrong."),
    (
        "en",
        "spam_robocall",
        "This is an automated call from the tax department. There is a lawsuit filed against you.",
    ),
    ("es", "appointment", "Buenas, ¿tienen hueco el viernes para un corte de pelo?"),
    ("es", "delivery", "Hola, tenía que llegar hoy mi compra y nadie ha venido."),
    ("es", "personal", "Hola tía, soy Lucía, ¿vienes a cenar el domingo? Un abrazo."),
    ("fr", "sales_lead", "Pourriez-vous m'envoyer une proposition tarifaire pour l'entretien du jardin ?"),
    ("pt", "sales_lead", "Boa tarde, gostaria de saber o valor de um site para a minha loja."),
    ("it", "support", "Buongiorno, il condizionatore fa un rumore strano e non rinfresca più."),
    ("it", "complaint", "Sono molto scontento, il servizio clienti non mi ha mai risposto."),
    ("zh", "sales_lead", "你好，想问一下你们的会议室怎么收费？"),
    (
        "es",
        "appointment",
        "Llamo de parte de mi madre, tenía revisión el día doce, ¿se podría cambiar para el jueves?",
    ),
    (
        "pt",
        "appointment",
        "Bom dia, eu tinha marcado a limpeza de pele para quinta. Dá para passar para a outra semana?",
    ),
    (
        "en",
        "appointment",
        "Morning, I was booked in for a boiler service on Friday, is there any chance of a Saturday?",
    ),
    ("es", "cancellation", "Hola, tengo el seguro del hogar con ustedes y no quiero renovarlo en marzo."),
    ("es", "sales_lead", "Buscamos un proveedor de GPS para treinta camiones, nos gustaría una oferta."),
    (
        "fr",
        "support",
        "Bonjour, depuis la mise à jour l'imprimante n'est plus reconnue par l'ordinateur, rien à faire.",
    ),
    ("zh", "billing", "你好，我家这个月的燃气费比平时多了三倍，是不是抄表错了？"),
    ("zh", "support", "您好，我们公司的网络一直断断续续的，电话也打不出去，请派技术人员过来。"),
    ("zh", "cancellation", "你好，我想取消我在你们这里办的健身卡，能退多少钱？"),
    (
        "en",
        "delivery",
        "Hi, the furniture was meant to come on Saturday and nobody turned up. When is it coming?",
    ),
    ("en", "cancellation", "Please cancel my car cover when it runs out, I've switched to another provider."),
    ("it", "cancellation", "Buongiorno, ho cambiato gestore, vorrei disdire la linea fissa."),
    (
        "en",
        "complaint",
        "I've been a customer for ten years and never been treated like this, it's disgraceful.",
    ),
    ("en", "support", "Hi, the card reader in our shop keeps declining every card."),
    ("en", "cancellation", "Hi, it's Jo, we won't need the cleaning service after this month."),
    ("en", "appointment", "Hi, just confirming I'm still okay for two thirty tomorrow with Dr Shah."),
    ("fr", "complaint", "Franchement je ne suis pas contente du tout, on m'a raccroché au nez deux fois."),
    ("fr", "cancellation", "Bonjour, je ne souhaite pas reconduire mon contrat l'année prochaine."),
    ("pt", "complaint", "Estou revoltada, o técnico marcou e não apareceu pela terceira vez."),
    (
        "it",
        "complaint",
        "Guardi, sono veramente indignato, mi avete mandato il prodotto sbagliato due volte.",
    ),
    ("it", "support", "Buongiorno, la connessione internet cade continuamente, non riusciamo a lavorare."),
    ("zh", "complaint", "你们送来的东西是坏的，换了两次还是坏的，太让人失望了。"),
    # --- English: classes the old cues missed ---------------------------------------------------------------
    ("en", "callback_request", "Hi, it's Priya Nair returning your call from this morning. Speak soon."),
    ("en", "support", "Hi, the Wi-Fi in the back office is still not connecting after the update."),
    ("en", "support", "Hello, the shower tap has been dripping all week, could someone pop round to fix it?"),
    ("en", "support", "Hi, there's a strong smell of gas in the stairwell of building B."),
    ("en", "sales_lead", "Hello, could you send me a brochure for your wedding packages?"),
    (
        "en",
        "complaint",
        "I'm really unhappy with the work done on my fence, nobody has called me back about it.",
    ),
    ("en", "delivery", "Hi, my order still says processing, I just want to know when it'll ship."),
]


@pytest.mark.parametrize(
    ("language", "intent", "text"), CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)]
)
def test_intent_in_every_language(language: str, intent: str, text: str) -> None:
    t = triage(text, language, CTX)
    assert t.intent == intent, (t.intent, t.intent_confidence)
    assert ("spam" in t.flags) == (intent == "spam_robocall")
    assert ("no_speech" in t.flags) == (intent == "no_message")


# Lookalikes: robocall words a real caller says, a number that starts like a key, a greeting before a
# message, a subject beside a word of another class.
NOT_SPAM: list[tuple[str, str, str]] = [
    ("es", "billing", "Hola, en la factura de octubre no aparece el descuento que me prometieron."),
    ("es", "sales_lead", "Buenas, vi que la primera revisión es gratis, ¿cuánto cuesta después?"),
    ("es", "personal", "¡Felicidades, cariño! Ha ganado el Madrid, te llamo luego. Besos."),
    ("es", "callback_request", "Hola, soy Pedro, márqueme al 91 234 56 78 por favor."),
    ("fr", "personal", "Coucou, c'est moi, je suis prête, je passe te chercher pour le dîner."),
    ("fr", "billing", "Bonjour, j'ai reçu un message automatique disant que mon paiement a échoué."),
    ("de", "billing", "Hallo, das Finanzamt hat mir geschrieben, ich brauche eine Kopie Ihrer Rechnung."),
    ("de", "sales_lead", "Ist die Beratung bei Ihnen kostenlos? Wir suchen ein Angebot für Solaranlagen."),
    ("pt", "billing", "Olá, recebi uma mensagem automática sobre a fatura, mas o valor está errado."),
    ("it", "billing", "Buongiorno, la bolletta è arrivata senza lo sconto, può controllare?"),
    ("zh", "appointment", "你好，我按时到了，可是医生不在，想重新预约一下。"),
    ("zh", "appointment", "你好，我想取消下周三的预约，改到周五。"),
    ("fr", "appointment", "Je dois annuler mon rendez-vous de mardi, merci de me proposer une autre date."),
    ("it", "appointment", "Buongiorno, devo disdire l'appuntamento di giovedì, lo possiamo spostare?"),
    ("de", "appointment", "Hallo, ich muss den Termin morgen leider absagen, können wir ihn verschieben?"),
    ("es", "support", "Hola, hay un problema con la calefacción, no funciona. Le habla Rosa."),
    ("es", "support", "Hola, tengo un gran problema con la caldera, no enciende."),
    ("pt", "other", "Opa, tudo bem? Aqui é o Marcos da oficina, o seu carro já está pronto."),
    (
        "es",
        "support",
        "Hola, ustedes tienen un número equivocado en el sistema y no me llegan los avisos de la avería.",
    ),
    ("de", "billing", "Sie haben eine falsche Nummer von mir hinterlegt, die Rechnung kam nie an."),
]


@pytest.mark.parametrize(
    ("language", "intent", "text"), NOT_SPAM, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(NOT_SPAM)]
)
def test_lookalikes_keep_their_class(language: str, intent: str, text: str) -> None:
    t = triage(text, language, CTX)
    assert t.intent == intent and "spam" not in t.flags and "no_speech" not in t.flags, t.intent


# Words a robocall says, said by a real caller: one kind of hint is not spam.
@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "es",
            "Hola, soy Laura de la farmacia, la primera consulta es gratis y tenemos una oferta especial.",
        ),
        ("fr", "Bonjour, c'est la mairie, une réunion gratuite sur les aides de l'État aura lieu jeudi."),
        ("pt", "Olá, é da imobiliária, o senhor foi selecionado para a segunda fase. Ligue para nós."),
        ("de", "Guten Tag, Sie wurden für das Vorstellungsgespräch ausgewählt, bitte rufen Sie zurück."),
        ("it", "Buongiorno, il sopralluogo è gratuito e il preventivo anche, mi richiami."),
    ],
)
def test_one_kind_of_robocall_hint_is_not_spam(language: str, text: str) -> None:
    assert "spam" not in triage(text, language, CTX).flags


# An accountant's lure (a free first consultation) and threat (the tax office): no robocall marker, not spam.
TAX_ADVISERS = [
    ("fr", "Ici le cabinet comptable Martin, pour vos impôts le premier rendez-vous est gratuit."),
    ("de", "Steuerberatung Klein hier, wegen Ihrer Post vom Finanzamt: das Erstgespräch ist kostenlos."),
    (
        "de",
        "Hier ist Petra Vogel, das Finanzamt hat geschrieben, die Erstberatung ist kostenlos, 030 1234567",
    ),
    ("es", "Soy Marta de la gestoría, por lo de Hacienda, el trámite es gratis. Llámeme al 600 123 456."),
    ("pt", "É a Carla da contabilidade, sobre a Receita Federal, a primeira consulta é grátis. Me liga."),
    ("it", "Sono Paola dello studio Rossi, per l'Agenzia delle Entrate la prima consulenza è gratuita."),
    (
        "en",
        "The IRS sent a letter, the first consultation is free, this is Dana Lee, call me at 312 555 0142.",
    ),
]


@pytest.mark.parametrize(("language", "text"), TAX_ADVISERS)
def test_a_lure_and_a_threat_without_a_robocall_marker_are_not_spam(language: str, text: str) -> None:
    t = triage(text, language, CTX)
    assert t.intent != "spam_robocall" and "spam" not in t.flags, t.intent


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "Dies ist eine automatische Ansage vom Finanzamt: Ihre Beratung ist kostenlos."),
        ("fr", "Message enregistré : vous avez été sélectionné pour une isolation gratuite."),
        ("es", "Mensaje grabado de Hacienda: tiene una actividad sospechosa en su cuenta."),
    ],
)
def test_a_robocall_marker_with_a_lure_or_threat_is_spam(language: str, text: str) -> None:
    assert triage(text, language, CTX).intent == "spam_robocall"


@pytest.mark.parametrize(
    ("language", "text"), [("es", "Llámame."), ("en", "Call me."), ("it", "Richiamami."), ("pt", "Liga-me.")]
)
def test_one_word_asking_for_a_call_is_a_callback_request(language: str, text: str) -> None:
    t = triage(text, language, CTX)
    assert t.intent == "callback_request" and "no_speech" not in t.flags, t.intent


@pytest.mark.parametrize(
    "text",
    [
        "我们家没有暖气了。",
        "厨房着火了！",
        "请尽快给我回电话",
        "Hola, ¿me puede llamar?",
        "Allô, c'est Paul, rappelle-moi.",
    ],
)
def test_a_short_message_is_not_a_hang_up(text: str) -> None:
    assert not is_hang_up(text)


REQUESTS = [
    (
        "Hola, buenos días, soy María López, tengo cita el jueves a las cuatro de la tarde, pero no puedo "
        "ir, me la pueden cambiar al viernes por la mañana. Mi número es el 612 345 678. Muchas gracias.",
        "Tengo cita el jueves",
    ),
    (
        "Hola, soy Inés. Es por lo del jueves. ¿Me pueden mandar el presupuesto por correo? Gracias.",
        "presupuesto",
    ),
    ("Buenas tardes, habla Jorge. Quisiera saber si tienen disponibilidad el sábado. Gracias.", "Quisiera"),
    ("Guten Tag, Müller hier. Könnten Sie mir die Unterlagen noch einmal schicken? Danke.", "Unterlagen"),
    ("Hallo, hier ist Eva. Ich möchte meinen Termin verschieben. Tschüss.", "Termin verschieben"),
    ("Bonjour, c'est Julie. Pourriez-vous m'envoyer le devis par mail ? Merci, au revoir.", "devis"),
    ("Bonjour, ici Marc. Je voudrais savoir où en est ma commande. Bonne journée.", "commande"),
    ("Olá, é a Ana. Gostaria de saber se a encomenda já saiu. Obrigada.", "encomenda"),
    ("Bom dia, fala o Rui. Poderia me enviar a segunda via do boleto? Valeu.", "boleto"),
    ("Buongiorno, sono Luca. Vorrei spostare la visita a lunedì. Grazie, arrivederci.", "visita"),
    ("Salve, sono Anna. Potrebbe richiamarmi per il preventivo? Grazie mille.", "preventivo"),
    ("你好，我是王磊。麻烦帮我查一下订单。谢谢。", "订单"),
    (
        "你好，我是张伟。我的订单号是A2291，还没发货，麻烦回个电话。谢谢。",
        "我的订单号是A2291",
    ),  # no space after 。
    # No sentence asks: the first that says more than hello and who is calling.
    (
        "Servus, Andrea Huber hier. Die Heizung im Keller macht seit gestern komische Geräusche. Tschüss.",
        "Heizung",
    ),
    ("Hola, buenas, Ramón Ortiz. Tengo una pregunta sobre el contrato. Gracias.", "Tengo una pregunta"),
    ("您好，我是李娜，能不能把明天的预约改到周五？谢谢。", "预约"),
]


@pytest.mark.parametrize(("text", "wanted"), REQUESTS)
def test_request_sentence_in_every_language(text: str, wanted: str) -> None:
    request = find_request(text)
    assert request and wanted in request and len(request.split()) <= 26, request
