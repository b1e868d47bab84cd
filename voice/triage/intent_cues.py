"""The cue phrases intent listens for, weighted, per intent, in en, es, fr, de, pt, it and zh.

Latin-script cues are whole words, matched on folded text (lower case, accents off: "llámame" is "llamame"),
so a transcript that drops accents still matches; they are written with accents and folded when compiled.
Chinese has no spaces between words, so its cues are matched as plain patterns. A cue word shared by two
languages ("cancelar", "consulta") is written once. Each top-level alternative is a cue of its own
("cita|turno" is two, each weighing as much as one English cue), so a message saying both counts both."""

from __future__ import annotations

Cues = dict[str, list[tuple[str, float]]]
_CITA = r"(?:\w+ ){0,2}(?:cita|consulta|turno|hora|horário|marcação|reserva)"  # es, pt: "cambiar la cita"
_WORKS = r"(?:work|sync|load|connect|print|charg|start|turn|respond|open|tak|accept)\w*"  # "won't connect"

WORD_CUES: Cues = {
    "appointment": [
        # en
        (r"appointment|reschedul\w*|book(?:ed)? a table", 2.0),
        (r"book (?:a|an|me)|schedule (?:a|an)|table for", 1.5),
        (r"confirm (?:my|the|our) (?:visit|booking|reservation)|move (?:my|the) (?:visit|booking)", 1.5),
        (r"consultation|check-?up", 1.0),
        (r"cleaning|(?:an? )?(?:slots?|opening)", 0.8),
        (r"meeting|reservation", 1.2),
        # es, pt ("consulta" is also "a question" in Spanish, so it weighs less than "cita")
        (r"cita|turno|marcação|agendamento", 2.0),
        (r"consulta|horário|reserva|reservar|agendar", 1.2),
        (r"reprogramar|remarcar|reagendar|desmarcar", 2.0),
        (r"(?:pedir|reservar|agendar|programar|sacar|cambiar|mover|pasar|adelantar|atrasar) " + _CITA, 2.0),
        (r"(?:trocar|mudar|alterar|adiar|marcar) " + _CITA, 2.0),
        (r"mesa para|tengo hora|pedir hora", 1.5),
        # fr
        (r"rendez-vous|rdv", 2.0),
        (r"réserver|réservation|créneau", 1.2),
        (r"(?:décaler|reporter|déplacer|avancer|changer|modifier|prendre) (?:\w+ ){0,2}rendez-vous", 1.0),
        # de
        (r"termin|termins|\w+termin|terminvereinbarung", 1.5),
        (r"(?:vereinbaren|ausmachen|verschieben|verlegen|absagen|umbuchen)", 1.0),
        (r"reservierung|reservieren|tisch für|sprechstunde", 1.5),
        # it
        (r"appuntamento", 2.0),
        (r"prenot\w+", 1.5),
        (r"(?:spostare|rinviare|anticipare|fissare|prendere) (?:\w+ ){0,2}(?:appuntamento|visita)", 1.0),
        (r"visita", 0.8),
    ],
    "billing": [
        # en
        (r"invoice|overcharg\w*|card on file|update (?:the|my) (?:credit )?card|double[- ]charged", 2.0),
        (r"late fee", 2.0),
        (r"bill(?:ed|ing)?|refund", 1.8),
        (r"charge[ds]?|statement|pay (?:my|the|this|an?)", 1.2),
        (r"payment|renewal|direct debit", 1.5),
        (r"balance|receipt", 1.0),
        (r"credit card", 0.8),
        # es, pt
        (r"factura\w*|fatura\w*|nota fiscal", 2.0),
        (r"boleto|recibo", 1.5),
        (r"cobr(?:o|os|aron|ado|ada|ança|ar|aram|am)|cargo|cargos", 1.5),
        (r"pago|pagos|pagamento|paguei|importe|saldo|mensalidade|domiciliación", 1.5),
        (r"reembolso|estorno|devolución del dinero|devolver el dinero", 1.8),
        (r"(?:cobr\w+|carg\w+|pag\w+) (?:\w+ )?dos veces|doble cobro", 2.0),
        (r"(?:cobr\w+|pag\w+) (?:\w+ )?duas vezes", 2.0),
        (r"valor (?:errado|cobrado|a mais)|cobrado a mais|de más", 1.2),
        (r"(?:recibo|conta) de (?:la )?(?:luz|água|agua|gás|gas|teléfono|telefone|internet)", 2.0),
        (r"cuota|cuotas|recargo|transferencia", 1.5),
        # fr
        (r"factur\w+|prélèvement|prélevé\w*|débité\w*", 2.0),
        (r"paiement|payé|payer|montant|échéance", 1.5),
        (r"remboursement|rembourser|remboursé\w*", 1.8),
        (r"cotisation|mensualité|relances|lettre de relance|virement", 1.5),
        # de
        (r"rechnung\w*|abrechnung|abgebucht|abbuchung|lastschrift|mahnung", 2.0),
        (r"zahlung\w*|bezahlt|bezahlen|überwiesen|überweisung|betrag|gebühr\w*", 1.5),
        (r"rückerstattung|erstatten|erstattung|gutschrift", 1.8),
        (r"beitrag|monatsbeitrag|beiträge", 1.2),
        (r"doppelt (?:\w+ ){0,2}(?:berechnet|abgebucht|bezahlt)", 2.0),
        # it
        (r"fattur\w+|bolletta|bollette|addebit\w*", 2.0),
        (r"pagato|pagare|importo", 1.5),
        (r"rimborso", 1.8),
        (r"canone|rata|sollecito|bonifico", 1.5),
    ],
    "support": [
        # en
        (r"not working", 2.0),
        (r"(?:isn't|aren't|wasn't|is not|are not|won't|will not|doesn't|does not) " + _WORKS, 2.0),
        (r"(?:stopped|keeps?|still not) " + _WORKS, 2.0),
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
        (r"leak\w*|drip\w*", 1.5),
        (r"repair\w*", 1.5),
        (r"crash(?:es|ed|ing)?", 2.0),
        (r"(?:isn't|is not|not) responding", 1.5),
        (r"fix", 1.0),
        (r"technician|engineer|plumber|electrician", 1.2),
        (r"send (?:someone|somebody|a plumber|an electrician|a technician)", 2.0),
        (r"(?:pop|come) (?:round|over|out) (?:\w+ ){0,2}(?:look|fix|check)|take a look at", 1.2),
        (r"burst pipe|water everywhere|(?:is|are) leaking|flood\w*", 2.0),
        (r"no (?:hot water|water|heat|heating|power|electricity|signal|internet|service)", 2.0),
        (r"smell (?:of )?gas|smells? (?:\w+ ){0,2}gas|gas leak|on fire|fire in|smoke", 2.0),
        (r"restart\w*|reboot\w*|verification code|freez(?:es|ing)|froze", 1.2),
        (r"(?:making|makes) (?:a|an|this) (?:\w+ )?noise|(?:clanking|banging|grinding|rattling) noise", 1.5),
        (r"ticket|case (?:number|no)|(?:about|regarding|re) (?:my |the |our )?case", 1.2),
        (r"heard nothing back|haven't heard back|(?:any|an) update on", 0.8),
        # es
        (r"no funciona\w*|dejó de funcionar|ha dejado de funcionar|no anda|no sirve", 2.0),
        (r"se (?:ha )?(?:roto|rompió|estropeado|estropeó|averiado|averió|descompuso)", 2.0),
        (r"roto|rota|averiado|avería|falla", 1.5),
        (r"no (?:me )?(?:enciende|prende|arranca|conecta|carga|imprime|abre)", 2.0),
        (r"no (?:puedo|podemos) (?:\w+ ){0,2}(?:entrar|acceder|conectar\w*|iniciar sesión)", 2.0),
        (r"contraseña|incidencia", 1.5),
        (r"problemas? (?:con|en|de|com|no|na)", 1.5),
        (r"reparar|reparación|arreglar|arreglo|técnico|mantenimiento", 1.2),
        (r"fuga|gotea\w*|goteo|gotera|tubería|cañería", 2.0),
        (r"inund\w+|incendio|humo|olor a gas|huele a gas", 2.0),
        (r"(?:sin|no hay|no tenemos|no tengo|no tiene) (?:\w+ )?(?:luz|agua|calefacción|corriente)", 2.0),
        (r"(?:sin|no hay|no tenemos|no tengo|no tiene) (?:\w+ )?(?:internet|señal|conexión)", 2.0),
        (r"(?:sin|no hay|no tenemos|no tengo|no tiene) (?:\w+ )?(?:línea|cobertura)", 2.0),
        (r"se (?:me )?(?:ha )?(?:bloqueado|bloqueó|colgado|cuelga|cayó)|está caído|bloquead[oa]", 1.5),
        (r"código de (?:verificación|acceso)|reinici\w+", 1.2),
        (r"(?:manden|mandar|envíen|enviar) a alguien|que venga alguien", 1.5),
        # pt
        (r"(?:não|nao) (?:está |tá |esta )?(?:funciona\w*|liga|conecta|carrega|abre|imprime)", 2.0),
        (r"parou de funcionar|quebr\w+|estragad[oa]|avariad[oa]|avaria|defeito", 2.0),
        (r"(?:não|nao) consigo (?:\w+ ){0,2}(?:entrar|acessar|aceder|conectar|fazer login)", 2.0),
        (r"senha|chamado|assistência técnica", 1.5),
        (r"conserto|consertar|reparo|reparação|arrumar", 1.2),
        (r"vazamento|vazando|infiltração|alag\w+|incêndio|fogo|cheiro de gás", 2.0),
        (r"sem (?:luz|água|energia|internet|sinal|aquecimento|gás)", 2.0),
        (r"mand(?:em|ar|e) alguém", 1.5),
        (r"andamento|nenhuma resposta|nenhum retorno", 0.8),
        (r"(?:internet|sistema|site|rede|servidor|app) (?:\w+ )?(?:caiu|fora do ar)|fora do ar", 2.0),
        (r"trav(?:a|ou|ando)|reiniciei|código de verificação", 1.5),
        # fr
        (r"ne (?:marche|fonctionne) (?:pas|plus)|(?:marche|fonctionne) (?:pas|plus)", 2.0),
        (r"en panne|panne|cassé\w*|bug|bogue|erreur", 1.5),
        (r"(?:problème|souci) (?:de|d'|avec)", 1.5),
        (r"je n'arrive (?:pas|plus) à|connexion|mot de passe", 1.2),
        (r"réparer|réparation|dépannage|dépanner|technicien", 1.5),
        (r"fuite|dégât des eaux|inond\w+|incendie|odeur de gaz|sent (?:\w+ ){0,2}le gaz", 2.0),
        (r"(?:plus|pas) d'(?:eau|électricité)", 2.0),
        (r"(?:plus|pas) de (?:chauffage|courant|lumière|réseau|internet)", 2.0),
        (r"envoyer quelqu'un|que quelqu'un (?:vienne|passe)", 1.5),
        (r"dossier|aucune nouvelle|pas de nouvelles|sans nouvelles", 0.8),
        (
            r"(?:ça|appli\w*|application|logiciel|site|ordinateur|il|elle) plante|beugue|bugue|hors service",
            1.2,
        ),
        (r"redémarr\w+|me connecter|code de vérification", 1.2),
        (r"bloqué\w*", 1.0),
        # de
        (r"funktioniert (?:\w+ ){0,3}nicht|geht (?:\w+ ){0,2}nicht mehr|kaputt|defekt", 2.0),
        (r"störung|ausgefallen|fehler\w*|problem(?:e)? mit", 1.5),
        (r"reparatur|reparieren|techniker|passwort|kennwort", 1.5),
        (r"(?:kann|können) (?:\w+ ){0,3}nicht (?:\w+ ){0,2}(?:anmelden|einloggen|verbinden|zugreifen)", 2.0),
        (r"kein (?:warmes )?wasser|keine heizung|kein strom|kein internet|kein netz", 2.0),
        (r"rohrbruch|wasserrohrbruch|undicht|tropft|wasserschaden|leckt|überschwemm\w*", 2.0),
        (r"riecht (?:\w+ ){0,2}nach gas|gasgeruch|brennt|feuer", 2.0),
        (r"schicken sie (?:bitte )?(?:jemanden|einen techniker)", 1.5),
        (r"(?:strom|internet|wasser|netz|heizung) (?:\w+ ){0,2}(?:weg|ausgefallen)", 2.0),
        (r"stromausfall|außer betrieb", 2.0),
        (r"stürzt (?:\w+ )?ab|abgestürzt|hängt sich auf", 2.0),
        (r"lässt sich (?:\w+ ){0,2}nicht (?:mehr )?(?:öffnen|schließen|einschalten|starten|aufmachen)", 2.0),
        (r"jemanden vorbei\w*|vorbeikommen|neu gestartet|gesperrt", 1.2),
        # it
        (r"non funziona\w*|ha smesso di funzionare|guasto|guasta|si è rott[oa]|rott[oa]", 2.0),
        (r"non riesco a (?:\w+ ){0,2}(?:accedere|entrare|collegar\w*|connetter\w*)", 2.0),
        (r"riparazione|riparare|aggiustare|tecnico|assistenza|errore", 1.2),
        (r"perdita d'acqua|perde acqua|infiltrazione|allag\w+|odore di gas|puzza di gas|fuoco", 2.0),
        (r"senza (?:acqua|luce|corrente|riscaldamento|internet|linea)", 2.0),
        (r"mand(?:ate|are|i) qualcuno", 1.5),
        (r"non va(?! bene)|fuori servizio|si blocca|si è bloccat\w*|bloccat[oa]|riavviat\w*", 1.5),
    ],
    "sales_lead": [
        # en
        (r"quote|pricing|interested in|bulk order|brochure|price list|catalog(?:ue)?", 2.0),
        (r"price[sd]?|do you do|buy(?:ing)?|sign (?:up|us up)|(?:more )?information about your", 1.2),
        (r"(?:would|will|does it) cost|purchas\w*|how much|demo|new customer", 1.5),
        (r"\d+ (?:units|licen[cs]es|seats)|open (?:an|a new) account", 1.5),
        (r"renovations?", 1.0),
        (r"estimate", 1.8),
        (r"looking (?:for|to get|into)", 0.8),
        (r"rates", 0.6),
        # es, pt
        (r"presupuesto|cotización|cotizar|orçamento|cotação", 2.0),
        (r"precio|precios|preço|preços|tarifas|catálogo|folleto|folheto", 1.2),
        (r"cuánto (?:cuesta|cuestan|cobran|sale|vale)|quanto (?:custa|fica|sai|cobram)", 1.5),
        (r"me interesa|nos interesa|interesad[oa]s? en", 2.0),
        (r"interessad[oa]s? em|tenho interesse|temos interesse", 2.0),
        (r"comprar|adquirir|contratar (?:sus|el|los|la|os|o|a|seus|vossos) \w+", 1.2),
        (r"licencias|licenças", 1.0),
        (r"(?:hacen|hacéis|vocês fazem|fazem) (?:\w+ )?\w+|reforma|reformas", 1.0),
        # fr
        (r"devis", 2.0),
        (r"tarif|tarifs|prix|acheter|achat", 1.2),
        (r"combien (?:ça coûte|coûte|coûtent|ça coûterait)", 1.5),
        (r"intéressé\w* par", 2.0),
        (r"renseignements? sur|informations sur (?:vos|votre)", 1.2),
        (r"vous faites|rénovation|travaux", 1.0),
        # de
        (r"angebot|kostenvoranschlag", 2.0),
        (r"preis|preise|preisliste|katalog|broschüre", 1.2),
        (r"was kostet|wie ?viel kostet|was würde (?:\w+ ){0,3}kosten", 1.5),
        (r"interessier\w*|interesse an", 2.0),
        (r"kaufen|anschaffen|lizenzen", 1.0),
        (r"machen sie auch|renovierung|umbau|sanierung", 1.0),
        # it
        (r"preventivo", 2.0),
        (r"prezz\w+|listino|catalogo", 1.2),
        (r"quanto cost\w+", 1.5),
        (r"interessat\w+ (?:a|al|ai|alla)|interesse per", 2.0),
        (r"acquistare|comprare", 1.2),
        (r"fate anche|ristrutturazione|lavori di", 1.0),
    ],
    "complaint": [
        # en
        (r"complain\w*", 2.5),
        (r"unacceptable|gone downhill|never (?:showed|turned) up", 2.0),
        (r"speak (?:to|with) (?:a|your|the) (?:manager|supervisor)|(?:poor|bad|lousy) service", 2.0),
        (r"disappoint\w*|unhappy|rude|not (?:happy|satisfied|pleased)", 1.8),
        (r"terribl\w*|escalat\w*|awful|worst|ridiculous|no[- ]show", 1.5),
        (r"frustrat\w*|still waiting|angry|upset", 1.2),
        (r"(?:second|third|fourth|fifth) time (?:i'm|i am|i've|i have) (?:call|rung|ring)\w*", 1.2),
        (
            r"nobody (?:has )?(?:called|rung|got|gotten) (?:me )?back|i expect (?:someone|somebody|you) to",
            1.0,
        ),
        # Saying so: "I want to make a complaint", "quiero poner una queja", "ich möchte mich beschweren"
        (r"(?:make|file|lodge|register) a (?:formal )?complaint", 2.0),
        (r"annoyed|fed up|livid|furious", 1.5),
        (
            r"(?:poner|presentar|hacer) una (?:queja|reclamación)|(?:fazer|registrar|abrir) uma reclamação",
            2.0,
        ),
        (r"(?:faire|déposer) une (?:réclamation|plainte)|porter plainte", 2.0),
        (r"(?:fare|presentare) (?:un )?reclamo", 2.0),
        (r"(?:möchte|will) mich beschweren|beschwerde einreichen", 2.0),
        (
            r"maleducad[oa]|grosero|grosera|impoli|désagréable|unfreundlich|grosseir[oa]|maleducat[oa]|scortese",
            1.8,
        ),
        # es
        (r"queja\w*|quejar\w*", 2.5),
        (r"reclamación|reclamo", 1.5),
        (r"inaceptable|inadmisible|una vergüenza|vergonzoso|indignad[oa]|harto|harta", 2.0),
        (r"pésimo|fatal|decepcionad[oa]|enfadad[oa]|enojad[oa]", 1.5),
        (r"mal servicio|nunca vino|no vino nadie|nadie vino", 2.0),
        (r"nadie me (?:da|ha dado|dio|llama|ha llamado|devuelve|contesta)", 1.5),
        (r"(?:segunda|tercera|cuarta|quinta) vez que (?:les )?llamo", 1.2),
        (r"no estoy (?:content[oa]|satisfech[oa])", 1.8),
        (r"(?:muy |estoy )molest[oa]|ni se disculp\w+|(?:horas|días) tarde", 1.5),
        (r"hablar con (?:el|un|su) (?:encargado|gerente|supervisor|responsable)", 2.0),
        # pt
        (r"reclamação|reclamar", 2.0),
        (r"inaceitável|um absurdo|absurdo|vergonha|falta de respeito|péssimo", 2.0),
        (r"insatisfeit\w*|decepcionad\w*|chatead\w*", 1.8),
        (r"(?:segunda|terceira|quarta) vez que (?:eu )?ligo", 1.2),
        (
            r"ninguém (?:me )?(?:liga|ligou|retorna|retornou|responde|apareceu|veio)|nunca (?:veio|apareceu)",
            1.5,
        ),
        (r"falar com o (?:gerente|responsável|supervisor)", 2.0),
        # fr
        (r"plainte|réclamation", 2.0),
        (r"inadmissible|inacceptable|scandaleux|honteux|une honte", 2.0),
        (r"déçu\w*|mécontent\w*|en colère|furieux|furieuse|ras le bol|marre", 1.8),
        (r"pas normal", 1.2),
        (r"énervé\w*|agacé\w*", 1.5),
        (r"(?:deuxième|troisième|quatrième) fois que j'appelle", 1.2),
        (r"personne ne (?:me )?(?:rappelle|répond)|personne n'est venu|jamais venu\w*", 1.5),
        (r"parler (?:au|à un|à votre|à la) (?:responsable|directeur|directrice|supérieur)", 2.0),
        # de
        (r"beschwerde|beschweren", 2.5),
        (r"unverschämt\w*|frechheit|zumutung|inakzeptabel|skandal\w*", 2.0),
        (r"enttäuscht|unzufrieden|verärgert|sauer|wütend", 1.8),
        (r"zum (?:zweiten|dritten|vierten|x-ten) mal", 1.2),
        (r"niemand (?:ruft|hat) (?:mich )?zurück\w*|keiner meldet sich", 1.5),
        (r"nie gekommen|niemand (?:ist )?gekommen", 1.5),
        (r"schlechter service|(?:ihrem|ihren|den) (?:vorgesetzten|chef)", 2.0),
        # it
        (r"reclamo|lamentela|lamentar\w*", 2.0),
        (r"inaccettabile|vergogna|vergognoso|scandaloso|pessimo", 2.0),
        (r"delus\w+|insoddisfatt\w+|arrabbiat\w+", 1.8),
        (r"seccat[oa]|stufo|stufa", 1.5),
        (r"(?:seconda|terza|quarta) volta che chiamo", 1.2),
        (r"nessuno (?:mi )?(?:richiama|ha richiamato|risponde|è venuto)|non è mai venuto", 1.5),
    ],
    "cancellation": [
        # en
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
        # es, pt
        (r"cancelar|cancelación|cancelamento|anular|desistir", 1.2),
        (
            r"(?:cancelar|anular|rescindir) (?:\w+ ){0,2}(?:suscripción|cuenta|servicio|membresía|contrato)",
            3.0,
        ),
        (r"(?:cancelar|anular|rescindir) (?:\w+ ){0,2}(?:póliza|plan|abono|línea|seguro)", 3.0),
        (r"(?:cancelar|encerrar) (?:\w+ ){0,2}(?:assinatura|conta|serviço|plano|matrícula|contrato)", 3.0),
        (r"dar(?:me|nos|lo|la)? de baja|(?:tramitar|solicitar|pedir) la baja", 3.0),
        (r"rescindir|rescisión|rescisão", 2.5),
        (r"no (?:quiero|queremos) renovar|(?:não|nao) (?:quero|queremos) (?:mais )?renovar", 2.5),
        # fr
        (r"résilier|résiliation|désabonner|désinscrire", 2.5),
        (r"annul\w*", 1.2),
        (r"annuler (?:mon|notre|le|ma|l') ?(?:abonnement|contrat|compte|forfait|adhésion|commande)", 3.0),
        (r"mettre fin à (?:mon|notre|le|ma)|ne (?:pas|plus) renouveler", 2.5),
        # de
        (r"kündig\w*", 2.5),
        (r"stornier\w*|abbestellen|abmelden", 1.5),
        (r"(?:vertrag|abo|abonnement|mitgliedschaft|konto|zugang) (?:\w+ ){0,5}(?:beenden|auflösen)", 2.5),
        (r"nicht (?:mehr )?verlängern", 2.5),
        # it
        (r"disdire|annullare|cancellare", 1.2),
        (r"disdetta|recedere|recesso", 2.5),
        (r"(?:disdire|cancellare|annullare) (?:\w+ |l'){0,2}(?:abbonamento|contratto|servizio|polizza)", 3.0),
        (r"non (?:voglio|vogliamo) rinnovare", 2.5),
    ],
    "delivery": [
        # en
        (r"deliver(?:y|ies|ed)?|parcel|shipment|courier|(?:hasn't|has not|never) arrived", 2.0),
        (r"package|tracking (?:number)?", 1.8),
        (r"ship|ships|shipped|shipping", 1.5),
        (r"driver|dispatch\w*|arrived|drop(?:ped)? off", 1.2),
        (r"pick ?up", 0.8),
        # es, pt
        (r"entrega\w*|envío|paquete|pacote|encomenda|repartidor|mensajería|paquetería", 2.0),
        (r"entregador|transportadora|correios|rastreamento|rastreio", 2.0),
        (r"pedido|frete", 1.5),
        (r"mensajero|transportista|cartero|carteiro|motoboy", 2.0),
        (r"seguimiento", 1.0),
        (r"(?:no|aún no|todavía no) (?:me )?(?:ha llegado|llegó|llega)", 2.0),
        (r"(?:não|nao) (?:\w+ )?(?:chegou|recebi)", 2.0),
        # fr
        (r"livr\w+|colis|transporteur", 2.0),
        (r"commande|expédi\w+", 1.5),
        (r"suivi", 1.0),
        (r"pas (?:encore )?reçu", 2.0),
        (r"livreur|facteur", 1.5),
        # de
        (r"liefer\w*|geliefert|paket\w*|sendung\w*|zustell\w*|kurier", 2.0),
        (r"bestellung|versand\w*|verschickt", 1.5),
        (r"nicht (?:angekommen|eingetroffen)", 2.0),
        (r"paketbote|postbote|bote", 1.5),
        # it
        (r"consegn\w+|pacco|pacchi|spedizione|spedit\w+|corriere", 2.0),
        (r"ordine", 1.5),
        (r"postino|fattorino", 2.0),
        (r"non (?:mi )?è (?:ancora )?arrivat\w+", 2.0),
    ],
    "personal": [
        # en
        (r"mom|mum|dad|grandma|grandpa|auntie|uncle|it's (?:just )?me", 2.0),
        (r"honey|sweetie|sweetheart|darling", 2.5),
        (r"just (?:wanted|calling) to (?:say hi|check in|catch up|see how you)|miss you", 2.5),
        (r"love you", 3.0),
        (r"birthday|the kids", 1.5),
        (r"dinner|buddy", 1.0),
        (r"mate", 0.4),
        (r"family", 0.8),
        # es, pt, fr, de, it
        (
            r"mamá|papá|abuel[oa]|abuelit[oa]|mãe|pai|vó|vô|vovó|vovô|avó|avô|maman|papa|mamie|papi"
            r"|mama|oma|opa|omi|opi|mamma|papà|nonna|nonno",
            2.0,
        ),
        (
            r"cariño|mi amor|mi vida|querid[oa]|meu amor|meu bem|chéri\w*|mon cœur|mon amour|schatz|liebling"
            r"|tesoro|amore",
            2.5,
        ),
        (
            r"te quiero|te extraño|te echo de menos|te amo|saudade\w*|je t'aime|je t'embrasse|ich liebe dich"
            r"|hab dich lieb|vermisse dich|ti voglio bene|mi manchi",
            3.0,
        ),
        (r"besos|un beso|besitos|beijo\w*|bisous|bises|kuss|küsschen|bussi|un bacio|baci|bacioni", 2.5),
        (r"soy yo|sou eu|c'est moi|ich bin's|ich bins|sono io", 2.0),
        (r"cumpleaños|aniversário|anniversaire|geburtstag|compleanno", 1.5),
        (r"cena|jantar|almoço|dîner|abendessen|mit dem essen", 1.0),
    ],
    "callback_request": [
        # en
        (r"call (?:me|us) back|give (?:me|us) a (?:call|ring)", 1.5),
        (r"return (?:my|the|this) call|returning (?:your|my) call|get back to (?:me|us)|callback", 1.5),
        (r"ring (?:me|us)(?: back)?|give (?:me|us) a bell", 1.5),
        (r"reach me|call me (?:at|on)|(?:have|had) a (?:quick )?word", 1.2),
        (r"speak (?:to|with) (?:you|someone)|talk to (?:you|someone)", 1.0),
        # es, pt
        (
            r"llám(?:ame|eme|enme|anos|enos)|llamame|márqueme|me (?:puede|pueden|podría) (?:llamar|marcar)",
            1.5,
        ),
        (r"(?:devolver|devuélva|regres\w+)(?:me)? la llamada", 1.5),
        (r"me lig(?:a|ue|uem)|ligue(?:-me)?|liga-me|retorn(?:ar|e|em|o)|me retorna", 1.5),
        (r"entr(?:e|ar|em) em contato|comuníquese|contactar(?:me|nos)", 1.2),
        # fr
        (r"rappel\w*|me recontacter|recontactez-moi", 1.5),
        # de
        (r"zurückrufen|rückruf|rufen sie mich (?:\w+ ){0,3}(?:an|zurück)|melden sie sich", 1.5),
        # it
        (r"richiam\w+|mi (?:chiami|chiamate|contatti)", 1.5),
    ],
}

# Chinese: matched without word boundaries.
CJK_CUES: Cues = {
    "appointment": [
        ("预约|挂号|约个时间|约时间", 2.0),
        ("会议|改期|改约|改时间|改到|订位|订座|预订", 1.5),
        ("体检|复诊|看牙|推迟", 1.0),
    ],
    "billing": [
        ("账单|多收|发票|扣款|扣费|扣了|重复扣|收了两次", 2.0),
        ("付款|收费|缴费|交费|话费|电费|水费", 1.5),
        ("退款", 1.8),
        ("费用", 1.2),
    ],
    "support": [
        ("坏了|不能用|用不了|打不开|开不了|连不上|登录不了|登不上|上不了网|没有?网|没信号|故障", 2.0),
        ("漏水|水管|爆了|跑水|着火|失火|冒烟|煤气味|燃气味|漏气|停电|没电|停水|没有?水|没有?暖气", 2.0),
        ("维修|报修|修理|出问题|出了问题|有问题|派人|上门|售后|技术支持|工单|密码|验证码", 1.5),
        ("宕机|断网|掉线|死机|卡住了|被锁|锁住了", 2.0),
        ("进度|没有结果|没有回复|没人回复", 1.0),
    ],
    "sales_lead": [
        ("价格|报价|采购", 2.0),
        ("感兴趣|多少钱|购买|想买|订购", 1.5),
        ("合作|了解一下", 1.0),
    ],
    "complaint": [
        ("投诉", 2.5),
        ("不满意|太不像话|太过分|太差|什么态度|气死", 2.0),
        ("一直没人|没人管|没人理|赔偿", 1.5),
        ("第三次|第二次|好几次", 1.2),
    ],
    "cancellation": [
        ("取消", 1.2),
        ("取消(?:订阅|会员|合同|服务|套餐|订单|账户|账号|业务)|退订", 3.0),
        ("注销|解约|退掉|不续|不再续|退会员|停掉", 2.0),
        ("不用了|不要了", 1.5),
    ],
    "delivery": [
        ("快递|送货|包裹|发货|物流|还没收到|没收到", 2.0),
        ("还没有?到|配送|派送|快递员|签收|外卖", 1.5),
        ("送错", 2.0),
        ("订单", 1.2),
    ],
    "personal": [
        ("妈|爸|奶奶|爷爷|外婆|姥姥|姥爷|外公", 2.0),
        ("老公|老婆|宝贝|亲爱的|想你|爱你", 2.5),
        ("是我啊|是我呀|是我[，,。.]", 1.5),
        ("生日", 1.5),
        ("吃饭", 1.0),
    ],
    "callback_request": [("回电话|给我打电话|回电|回个电话|回拨|联系我", 1.5)],
}
