"""The words urgency listens for, in en, es, fr, de, pt, it and zh: emergencies, urgent words, today and
deadlines, earlier calls, complaints, and a caller saying it can wait. Written without accents: text and
patterns are both folded ("inundación" is "inundacion"), one character for one, so offsets stay the same."""

from __future__ import annotations

import re

from voice.triage.text import phrases

EMERGENCY = phrases(
    # en
    r"emergency(?! contact)",
    r"flood(?:s|ed|ing)?",
    r"(?:is|are|was|got) (?:completely )?under ?water",
    r"burst (?:pipe|water (?:pipe|main))|pipe (?:has |just )?burst",
    r"(?:water|sewage) (?:is |it's )?(?:everywhere|pouring|gushing"
    r"|coming (?:in )?through the (?:ceiling|roof|wall))",
    r"gas (?:leak|smell)",
    r"(?:smell(?:s|ing)?|leaking)(?: \w+){0,3} gas",
    r"carbon monoxide",
    r"pipes? (?:are |is |have |has )?(?:frozen|froze)|frozen pipes?|sewage (?:is )?(?:backing|coming) up",
    r"(?:smell of|smells? like) burning|burning smell|sparks? (?:coming|flying)|sparking",
    r"(?:on|caught|a|house|kitchen|electrical) fire(?! (?:safety|inspection|drill|extinguisher|door|insurance"
    r"|alarm|sale))",
    r"fire (?:in|at) (?:the|my|our)",
    r"smoke (?:everywhere|coming|pouring|in the)",
    # A person in or taken to hospital, not the hospital as a place ("the billing office at the hospital",
    # "I work at the hospital", "I'm a nurse at the hospital"): between "is" and "in hospital" only an
    # adverb ("is still in hospital"); between "taken" and "to hospital" the person ("rushed my dad to").
    r"(?:is|are|was|were|'s|'re|been|be|ended up|end up|stay(?:s|ing)?|lying|kept)"
    r"(?: (?:still|now|currently|already|back|also|both|all|stuck))? in (?:the )?hospital"
    r"(?! (?:building|car park|parking|cafeteria|office|billing))",
    r"(?:i'm|i am|we're|we are|been)(?: (?:still|now|currently|already|here|just|all))? at (?:the )?hospital"
    r"(?! (?:building|car park|parking|cafeteria|office|billing|reception))",
    r"(?:taken|rushed|admitted|brought|airlifted|on (?:the|his|her|my|our|their) way) (?:\w+ ){0,2}"
    r"(?:to|into|in) (?:the )?hospital",
    r"(?:taking|took|take|drove|driving|drive) (?:him|her|them|me|us|my \w+|our \w+) to (?:the )?hospital",
    r"hospitali[sz]ed",
    r"emergency room|a&e",
    r"ambulance",
    r"life[- ]threatening",
    r"no (?:heat|heating)|without (?:any )?(?:heat|heating|water)",
    r"(?:don't|do not|doesn't|does not) have (?:any )?(?:heat|heating|water)",
    r"(?:heating|heat|boiler|furnace)(?:'s| is| has| has been)? (?:completely |totally )?"
    r"(?:not working|out|off|broken|stopped(?: working)?|died|broke(?:n)? down|gone off|packed up)",
    r"(?:heating|heat|boiler|furnace) (?:isn't|is not|won't|doesn't|does not) "
    r"(?:working|work|turn on|come on)",
    r"no (?:running )?water(?! damage| pressure)",
    r"water(?:'s| is| has)?(?: been)? (?:cut|shut|turned) off",
    r"locked (?:myself |ourselves |\w+ )?out(?! of (?:my|the|our|his|her) (?:\w+ )?"
    r"(?:account|e-?mail|computer|laptop|phone|app|portal|profile|system))",
    r"can't get in(?:to)? (?:my|the|our) (?:house|flat|home|apartment)",
    r"(?:someone|somebody|he|she|they) (?:is|are|was|were|got) (?:badly )?(?:hurt|injured)",
    r"broken into|break-in",
    # es
    r"emergencia",
    r"es una urgencia",
    r"inundacion(?:es)?",
    r"(?:se (?:ha |esta )?)?inunda(?:do|da|ndo|ndose)",
    r"agua por todas partes",
    r"(?:tuberia|caneria) (?:rota|reventada)|(?:se )?(?:rompio|revento) (?:una|la) (?:tuberia|caneria)",
    r"incendio",
    r"fuego",
    r"(?:huele|olor|fuga)(?: \w+){0,3} (?:a|de) gas",
    r"sin calefaccion",
    r"no (?:hay|tenemos|tengo|funciona la) calefaccion",
    r"calefaccion (?:\w+ ){0,2}(?:no funciona|se (?:ha )?(?:roto|estropeado|averiado)|averiada|rota)",
    r"(?:estropeado|roto|averiado) la (?:calefaccion|caldera)",
    r"caldera (?:\w+ ){0,2}(?:no funciona|rota|averiada|estropeada)",
    r"sin agua",
    r"no (?:hay|tenemos|tengo) agua",
    r"(?:nos )?(?:cortaron|han cortado) el agua|corte de agua",
    r"me (?:he )?qued(?:ado|e) (?:fuera|afuera)|nos (?:hemos )?qued(?:ado|amos) (?:fuera|afuera)",
    r"no (?:puedo|podemos) entrar (?:a|en) (?:mi |la |nuestra )?casa",
    r"(?:esta|estan|estoy|estamos|estaba|sigue)(?: (?:todavia|aun|ahora|ya|ingresad[oa]s?|internad[oa]s?))? "
    r"(?:en el|al) hospital",
    r"(?:ingresad[oa]s?|internad[oa]s?|llevaron|llevado|llevada|llevamos|llevando|trasladad[oa]s?) "
    r"(?:\w+ ){0,2}(?:en el|al) hospital",
    r"hospitalizad[oa]s?",
    r"(?:en )?urgencias",
    r"ambulancia",
    # fr
    r"c'est une urgence",
    r"une urgence",
    r"inondation",
    r"inonde(?:e|es|s)?",
    r"degats? des eaux",
    r"de l'eau partout",
    r"(?:tuyau|canalisation|conduite) (?:a )?(?:eclate|explose)e?",
    r"incendie",
    r"au feu",
    r"(?:il y a le|prend|pris) feu",
    r"(?:un|le) feu (?:dans|a|au)",
    r"fuite de gaz",
    r"(?:odeur|sent|sens)(?: \w+){0,3} (?:de|le|du) gaz",
    r"(?:pas|plus) de chauffage",
    r"(?:chauffage|chaudiere) (?:\w+ ){0,2}(?:en panne|ne (?:marche|fonctionne) (?:plus|pas))",
    r"(?:plus|pas) d'eau|coupure d'eau",
    r"(?:enferme|bloque)(?:e|s|es)? dehors",
    r"(?:peux|pouvons) (?:pas|plus) (?:rentrer|entrer) chez",
    r"(?:est|suis|sont|sommes|etait)(?: (?:encore|toujours|maintenant|actuellement|deja))? a l'hopital",
    r"(?:transporte|emmene|amene|conduit|admis|parti|hospitalise)(?:e|s|es)? (?:\w+ ){0,2}a l'hopital",
    r"hospitalise(?:e|s|es)?",
    r"aux urgences",
    # de
    r"notfall",
    r"uberschwemm(?:ung|t)",
    r"wasserschaden",
    r"\w*rohrbruch",
    r"unter wasser",
    r"feuer(?:wehr)?",
    r"(?:ein|einen|der|den) brand",
    r"(?:es )?brennt",
    r"gas(?:geruch|leck)",
    r"riecht(?: \w+){0,3} nach gas",
    r"keine heizung|heizungsausfall",
    r"heizung (?:\w+ ){0,2}(?:ausgefallen|kaputt)|heizung (?:funktioniert|geht) nicht",
    r"kein wasser|kein fliessendes wasser|wasser (?:ist )?abgestellt",
    r"ausgesperrt",
    r"tur (?:ist )?(?:mir )?zugefallen|schlussel (?:steckt|liegt) (?:\w+ ){0,2}(?:innen|drinnen|drin)",
    r"wasser (?:lauft|sprudelt|kommt|tropft) (?:\w+ ){0,2}(?:uberall|decke|wand)",
    r"(?:mich|uns) ausgeschlossen",
    r"(?:komme|kommen) nicht (?:mehr )?(?:rein|in die wohnung|ins haus)",
    r"(?:liegt|liege|lag|liegen|lagen) (?:\w+ ){0,3}im krankenhaus",
    r"(?:ist|bin|sind|war|waren)(?: (?:noch|gerade|jetzt|schon|wieder|seit \w+|immer noch)){0,2} "
    r"im krankenhaus(?! (?:angestellt|beschaftigt|tatig))",
    r"ins krankenhaus(?: \w+)? (?:gebracht|eingeliefert|gekommen|gefahren)",
    r"(?:muss|musste|mussten|musst) (?:\w+ ){0,3}ins krankenhaus|eingeliefert",
    r"notaufnahme",
    r"krankenwagen",
    # pt
    r"emergencia",
    r"inundacao",
    r"(?:inundad|alagad)[oa]s?",
    r"alagamento",
    r"cano (?:estourou|estourado|rompeu|furou)|estourou (?:um|o) cano",
    r"incendio",
    r"peg(?:ando|ou) fogo",
    r"rebentou (?:\w+ ){0,2}(?:cano|tubo|canalizacao)|(?:cano|tubo|canalizacao) (?:rebentou|rebentado)",
    r"fogo",
    r"(?:vazamento|fuga|cheiro)(?: \w+){0,3} de gas",
    r"sem aquecimento",
    r"(?:aquecimento|aquecedor) (?:\w+ ){0,2}(?:nao (?:funciona|liga)|parou|quebrou|pifou)",
    r"sem agua",
    r"(?:nao tem|nao ha|estamos sem|estou sem|ficamos sem|fiquei sem) agua",
    r"(?:faltou|falta de|cortaram a) agua",
    r"trancad[oa]s? (?:do lado de )?fora",
    r"fiquei (?:trancad[oa] )?(?:do lado de )?fora",
    r"nao (?:consigo|conseguimos) entrar em casa",
    r"(?:esta|estao|estou|estamos|estava)(?: (?:ainda|agora|ja|internad[oa]s?))? (?:no|ao) hospital",
    r"(?:levad[oa]s?|levaram|levei|levamos|internad[oa]s?|socorrid[oa]s?|foi) (?:\w+ ){0,2}"
    r"(?:no|ao|para o) hospital",
    r"(?:hospitalizad|internad)[oa]s?",
    r"pronto[- ]socorro",
    r"ambulancia",
    # it
    r"emergenza",
    r"allag(?:amento|at[oaie]|ando|a)",
    r"inondazione",
    r"(?:tubo|tubatura) (?:rott[oa]|scoppiat[oa])|(?:e )?scoppiat[oa] (?:un|il|la) tub(?:o|atura)",
    r"incendio",
    r"(?:a|al) fuoco|(?:preso|prende|prendendo) fuoco",
    r"(?:fuga|perdita|odore|puzza)(?: \w+){0,3} di gas",
    r"senza riscaldamento",
    r"(?:riscaldamento|caldaia) (?:\w+ ){0,2}(?:non funziona|rott[oa]|guast[oa]|spent[oa])",
    r"senza acqua|senz'acqua",
    r"(?:non c'e|manca) (?:piu )?(?:l')?acqua",
    r"(?:rimast[oaie] )?chius[oaie] fuori",
    r"non riesco (?:a|ad) entrare in casa",
    r"(?:e|sono|siamo|stato|stata)(?: (?:ancora|gia|ora|adesso|ricoverat[oaie]))? (?:in|all') ?ospedale",
    r"(?:portat[oaie]|ricoverat[oaie]|finit[oaie]|corso|corsa) (?:\w+ ){0,2}(?:in|all') ?ospedale",
    r"ricoverat[oaie]",
    r"pronto soccorso",
    r"ambulanza",
    cjk="紧急|緊急|漏水|水管(?:爆|破)|(?:被)?淹了|着火|著火|失火|火灾|火災|(?:煤气|燃气|天然气|瓦斯)(?:泄漏|外洩|外泄|漏氣)"
    "|漏气|漏氣|煤气味|瓦斯味|没有暖气|沒有暖氣|暖气(?:坏了|不热|停了|没了)|停暖|(?:没有|不)供暖|暖氣(?:壞了|不熱)|停水|没(?:有)?水了|沒(?:有)?水了"
    "|被锁在(?:门)?外(?:面)?|被鎖在(?:門)?外(?:面)?|锁在门外|进不去(?:家|门)|進不去"
    # In hospital, not working there or going for a check-up ("我在医院上班", "去医院体检").
    "|(?:在|进|進|送|到)了?(?:医院|醫院)(?!上班|工作|做|实习|實習|当|當|的|附近|旁边|旁邊|门口|門口|对面|對面|看|拿|开|開|挂|掛|体检|體檢|预约|預約)"
    "|抢救|搶救"
    "|住院|急诊|急診|救护车|救護車",
)
# An emergency word after "I work in/at" is the caller's workplace: "I work in the emergency room",
# "trabajo en urgencias", "je travaille aux urgences", "ich arbeite in der Notaufnahme", "lavoro al pronto
# soccorso".
WORKS_THERE = re.compile(
    r"\b(?:work(?:s|ing)? (?:in|at|for|on)|trabaj[oa]\w* (?:en|para)|travaill\w* (?:a|aux|au|dans|pour)"
    r"|arbeite\w* (?:im|in|bei|auf)|trabalh\w* (?:no|na|em|para)|lavor[oai]\w* (?:al|in|all'|nel|per|a))"
    r"(?: \S+){0,2} ?$"
    # The cue itself may hold the preposition: "trabajo [en urgencias]", "je travaille [aux urgences]".
    r"|\b(?:trabaj[oa]\w*|travaill\w*|arbeite\w*|trabalh\w*|lavor[oai]\w*) ?$"
)
URGENT = phrases(
    r"urgent(?:ly)?",
    r"asap|a\.s\.a\.p",
    r"as (?:soon|quickly) as (?:possible|you can|you get this)",
    r"right away",
    r"immediately",
    r"critical",
    r"time[- ]sensitive",
    r"straight away",
    r"urgente(?:s|mente)?",
    r"urgencia",
    r"con urgencia",
    r"lo (?:antes|mas pronto|mas rapido) posible",
    r"cuanto antes|ya mismo|enseguida|ahora mismo",
    r"(?:de )?inmediato|inmediatamente",
    r"en urgence",
    r"des que possible",
    r"au plus vite|le plus (?:vite|rapidement|tot) possible",
    r"immediatement|tout de suite",
    # Bare "rapidement" is "briefly" ("je vous appelle rapidement pour confirmer"); "rappelez-moi rapidement"
    # is not.
    r"(?:rappel|recontact)\w*(?:-moi|-nous| moi| nous)? (?:tres |assez )?rapidement",
    r"dringend(?:e[nrsm]?)?",
    r"eilig|(?:es|das) eilt(?! nicht)",
    r"sofort",
    r"umgehend",
    r"so (?:schnell|bald) wie moglich|schnellstmoglich|moglichst (?:schnell|bald)",
    r"com urgencia",
    r"o mais (?:rapido|breve|cedo) possivel|o quanto antes|(?:assim|logo) que possivel",
    r"imediatamente|agora mesmo",
    r"con urgenza",
    r"il prima possibile|al piu presto|quanto prima",
    r"subito",
    cjk="尽快|盡快|马上|馬上|立刻|立即|赶快|趕快|赶紧|趕緊|急事|很急|着急|著急|急着|急著",
)
TODAY = phrases(
    r"today",
    r"tonight",
    r"this (?:afternoon|evening)",
    r"by (?:the )?end of (?:the )?day|eod",
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
    r"stasera|oggi pomeriggio|in giornata",
    cjk="今天|今晚|今日",
)
# "Today" in the caller's own plans is not when they want an answer: "ti richiamo stasera", "je passe ce
# soir", "ich komme heute später", "I'll be home tonight", "ich bin heute bis 17 Uhr erreichbar".
OWN_PLANS = phrases(
    r"i'll (?:call|try|ring|be|come|see|pop|stop|drop)|i will (?:call|try|be|come)|i'm (?:coming|leaving)",
    r"see you",
    r"(?:i'm|i am|just|we're|we are) (?:calling|ringing|phoning)",  # "I'm calling today": now
    r"(?:te|le|lo|la) (?:vuelvo a llamar|llamo|llamare)|(?:paso|llego|vuelvo)|nos vemos",
    r"je (?:vous |te )?rappell?e(?:rai)?|je (?:passe|viens|rentre|serai|arrive)|on se voit",
    r"ich (?:rufe|melde mich|komme|bin)|wir sehen uns",
    r"(?:te|lhe) ligo|volto a ligar|(?:eu )?(?:passo|chego|vou passar)|a gente se ve",
    r"(?:ti|la) richiamo|richiamero|(?:passo|arrivo|vengo)|ci vediamo",
    r"available|reachable|erreichbar|disponible|disponivel|reperibile",
    r"(?:i'm|i am|we're|we are) (?:at home|home|in the office|around|free)",
    r"(?:estoy|estare) en casa|(?:estou|estarei) em casa|(?:sono|saro) a casa|(?:bin|sind) zu hause",
    cjk="我再打|我晚点再打|我会再打|我.{0,3}(?:回来|过来|回家|回來|過來)|我.{0,4}都在",
)
# Nor is "today" in what already happened: "we tried to deliver this afternoon", "I called today".
PAST_EVENT = phrases(
    r"tried|came|stopped by|dropped (?:off|by)|delivered|called|visited|missed|arrived|went|happened",
    r"intentamos|vinimos|pasamos|llame|nous sommes passes|j'ai appele|wir waren|ich habe angerufen",
    r"tentamos|passamos|liguei|siamo passati|ho chiamato",
)
# Something received, seen or done today is not wanted today: "I got my bill today", "Ich habe heute Ihre
# Rechnung bekommen", "aujourd'hui j'ai reçu", "Ihr Techniker war heute da". Matched on the words either side
# of "today" (the German participle comes after it).
RECEIVED = phrases(
    r"got(?! to)|received|saw|opened|noticed|paid|bought|picked up",
    r"recibi(?:mos)?|(?:he|hemos) (?:recibido|visto|pagado)|(?:me|nos) llego|pague|abri",
    r"(?:j'ai|nous avons|on a) (?:bien )?(?:recu|vu|paye|ouvert|remarque)",
    r"(?:habe|hab|haben|hat|hatte) (?:\w+ ){0,5}"
    r"(?:bekommen|erhalten|gesehen|bezahlt|geoffnet|bemerkt|gekauft|angerufen|geliefert|versucht)",
    r"(?:ist|sind|bin|war|waren) (?:\w+ ){0,3}(?:vorbeigekommen|gekommen|da gewesen|hier gewesen)",
    r"(?:war|waren) (?:\w+ ){0,2}da",
    r"(?:est|sont) (?:passe|venu)e?s?|vino|vinieron|veio|vieram|passou|(?:e|sono) (?:passat|venut)[oaie]",
    r"recebi(?:mos)?|chegou|paguei|abri",
    r"(?:ho|abbiamo) (?:ricevuto|visto|pagato|aperto)|(?:mi|ci) e arrivat[oa]",
    cjk="收到|看到|拿到|付了",
)
# Deadlines said in other languages (English ones come from the callback time: "before noon", "by 5").
DEADLINE_WORDS = phrases(
    r"antes (?:del mediodia|de las \d{1,2})",
    r"avant (?:midi|\d{1,2} ?h(?:eures)?|ce soir)",
    r"(?:vor|bis) (?:heute )?(?:mittag|\d{1,2} uhr)",
    r"(?:antes do meio-dia|ate (?:as )?\d{1,2} ?h(?:oras)?|ate o meio-dia)",
    r"entro (?:mezzogiorno|le \d{1,2}|stasera|oggi)",
    cjk="中午之前|中午前|下班前|今天之内|[0-9一二三四五六七八九十两]{1,3}点(?:之|以)?前",
)
REPEAT_WORDS = phrases(
    # en
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) "
    r"(?:time (?:that )?(?:i(?:'ve| have| am|'m)? )?(?:call|tr|ring|phon)\w*|call|message|voicemail)",
    r"(?:called|rung|rang|phoned|tried (?:calling|to call|to reach))(?: you| here| your office)? "
    r"(?:several|a few|many|multiple|three|two|four|five|\d+|a couple of|a bunch of) times",
    r"(?:called|rang|phoned) (?:you )?(?:twice|before|earlier|yesterday|already|last week|this morning)",
    r"already (?:called|rang|phoned|left (?:you )?a message)",
    r"left (?:you )?a (?:message|voicemail) (?:yesterday|earlier|last week|this morning|on \w+day)",
    r"(?:still )?(?:haven't|have not|never) (?:heard|gotten a call|got a call) back",
    r"(?:nobody|no one|no-one) (?:has )?(?:ever )?(?:called|rung|got|gotten|gets) (?:me )?back",
    r"calling (?:again|back again)|keep (?:calling|trying)",
    r"(?:been trying|tried) to (?:reach|get hold of|contact|call) (?:you|someone|somebody)",
    r"following up on my (?:earlier |previous |last )?(?:call|message|voicemail)",
    r"(?:left|leaving) (?:you )?(?:another|several|two|three|a few|multiple) (?:messages?|voicemails?)",
    r"every time I call",
    r"for the (?:second|third|fourth|fifth) time",
    # es
    r"(?:segunda|tercera|cuarta|quinta) (?:vez que (?:le |te |les )?llamo|llamada)",
    r"ya (?:he )?llam(?:e|ado)",
    r"(?:he llamado|llame) (?:varias|muchas|tres|dos|cuatro) veces",
    r"llame (?:ayer|antes|esta manana|la semana pasada)",
    r"(?:llamo|vuelvo a llamar) (?:otra vez|de nuevo)",
    r"por (?:segunda|tercera|cuarta|quinta) vez",
    r"nadie me (?:ha )?(?:devuelto|devolvio) la llamada|nadie me (?:ha llamado|da|ha dado|contesta|responde)",
    r"sigo esperando (?:una )?(?:respuesta|que me llamen)",
    # fr
    r"(?:deuxieme|troisieme|quatrieme|enieme|nieme) (?:fois que (?:je vous |j')appelle|appel)",
    r"j'ai (?:deja )?appele (?:hier|ce matin|la semaine derniere|plusieurs fois|deux fois|trois fois)",
    r"j'ai deja appele",
    r"pour la (?:deuxieme|troisieme|quatrieme|enieme) fois",
    r"personne ne m'a (?:encore |jamais )?rappele",
    r"toujours (?:pas de|aucune) (?:nouvelles|reponse)",
    # de
    r"(?:zum )?(?:zweiten|dritten|vierten|funften) mal",
    r"(?:zweiter|dritter|vierter) anruf",
    r"(?:schon|bereits) (?:mehrmals |zweimal |dreimal |mehrfach |oft )?angerufen",
    r"(?:gestern|heute morgen|letzte woche) (?:schon )?angerufen",
    r"rufe (?:\w+ )?(?:erneut|nochmal|noch einmal|wieder) an",
    r"(?:niemand|keiner) hat (?:mich )?zuruckgerufen",
    r"(?:immer )?noch keine (?:antwort|ruckmeldung)",
    # pt
    r"(?:segunda|terceira|quarta|quinta) (?:vez que (?:eu )?(?:ligo|estou ligando|liguei)|ligacao)",
    r"ja liguei",
    r"liguei (?:varias|muitas|duas|tres|quatro) vezes",
    r"liguei (?:ontem|antes|hoje cedo|semana passada)",
    r"pela (?:segunda|terceira|quarta|quinta) vez",
    r"ninguem (?:me )?(?:retornou|ligou de volta|responde)",
    r"ainda nao (?:tive|recebi) (?:resposta|retorno)",
    # it
    r"(?:seconda|terza|quarta|quinta) (?:volta che (?:chiamo|telefono)|chiamata)",
    r"ho gia chiamato",
    r"per la (?:seconda|terza|quarta|quinta) volta",
    r"ho chiamato (?:piu|tre|due|diverse|tante|molte) volte",
    r"ho chiamato (?:ieri|stamattina|la settimana scorsa)",
    r"nessuno mi (?:ha (?:ancora )?richiamato|risponde)",
    r"ancora nessuna risposta",
    cjk="第[二三四五2-5]次(?:打|来电|來電|给你们打|了)|打了(?:好几|好幾|几|幾|两|兩|三|很多)次|已经打(?:了|过)|已經打(?:了|過)"
    "|又打|再次(?:打|来电)|没(?:有)?人回(?:电话|复)?|沒(?:有)?人回(?:電話|覆)?|一直没人|没人理|(?:昨天|上午|之前|早上)(?:已经)?打过",
)
COMPLAINT = phrases(
    r"complain\w*|complaint",
    r"unacceptable|ridiculous|outrageous|disgrace(?:ful)?|appalling|fed up|disgusted",
    r"(?:not|very un) ?happy with|(?:terrible|awful|shocking|worst|lousy) service",
    r"speak (?:to|with) (?:a|your|the) (?:manager|supervisor)",
    r"queja\w*|quejar\w*|reclamacion|reclamo|inaceptable|indignante|hart[oa]|pesimo servicio",
    r"una falta de respeto|decepcionad[oa]|molest[oa] con",
    r"plainte|reclamation|inadmissible|inacceptable|scandaleux|mecontente?|pas content|j'en ai marre",
    r"(?:ce n'est|c'est) pas normal|lamentable|decue?|en colere|ras-le-bol",
    r"beschwerde|beschweren|unverschamt|inakzeptabel|unzufrieden|nicht zufrieden",
    r"zumutung|katastrophal|enttauscht|verargert|wutend",
    r"reclamacao|reclamar|inaceitavel|absurdo|insatisfeit[oa]|descaso|pessimo atendimento",
    r"revoltad[oa]|decepcionad[oa]|falta de respeito",
    r"lamentela|reclamo|inaccettabile|vergognoso|scandaloso|insoddisfatt[oa]|stuf[oa]",
    r"assurdo|delus[oa]|arrabbiat[oa]",
    r"verguenza|vergonha|vergogna|honteux|c'est une honte|frechheit|skandal",
    cjk="投诉|投訴|不满意|不滿意|太差了|太离谱|太離譜|太过分|太過分|受够了|受夠了|太不像话|太不像話|失望|气死|氣死",
)
# The caller says it can wait: no emergency and no time pressure then (VADER's "negative" for these
# words is ignored too).
NO_RUSH = phrases(
    r"no (?:rush|hurry|pressure|big rush)",
    r"not (?:in a|in any) (?:hurry|rush)",
    r"(?:not|nothing|isn't|is not|not really) (?:very |that |too |super |terribly )?(?:urgent|pressing)",
    r"non-urgent",
    r"(?:not|isn't|is not|no) (?:an? )?(?:emergency|urgency|big deal|priority)",
    r"(?:it |this |that )?can wait",
    r"take your time",
    r"no need to (?:call|ring|get back)",
    r"not time[- ]sensitive",
    r"no es (?:nada )?urgente|nada urgente|no es (?:una )?emergencia",
    r"sin prisa|no hay prisa|no (?:me )?corre prisa|no hay apuro|(?:no hay|sin) urgencia",
    r"(?:ce n'est )?pas (?:tres |si )?(?:urgent|presse|une urgence)|pas d'urgence",
    r"rien (?:d'urgent|ne presse)|sans urgence",
    r"nicht (?:so )?(?:dringend|eilig)|nichts dringendes|keine eile|kein notfall",
    r"(?:es|das) eilt nicht|hat zeit",
    r"in ruhe",
    r"nao e (?:nada )?(?:urgente|uma emergencia|emergencia)|nada urgente|sem pressa|nao (?:tem|ha) pressa",
    r"(?:nao (?:tem|ha)|sem) urgencia",
    r"non e (?:urgente|un'emergenza)|niente di urgente|nulla di urgente|con calma|senza fretta",
    r"nessuna fretta|non c'e fretta|(?:non c'e|senza) urgenza",
    cjk="不急|不着急|不著急|不紧急|不緊急|不是很急|不用急|不是急事|不是什么急事|不是紧急|不用着急|慢慢来|不赶时间",
)
# Softer: "when you get a chance". Believed only when nothing urgent is said too ("call me whenever you can,
# it's urgent" is urgent).
WHEN_FREE = phrases(
    r"whenever (?:you (?:can|get|have)|is convenient)",
    r"when(?:ever)? you get (?:a |the )?(?:chance|moment|minute|second)",
    r"when you have (?:a |the )?(?:chance|moment|minute|second|time)",
    r"at your (?:convenience|leisure)",
    r"cuando (?:pueda|puedas|tenga (?:un momento|tiempo)|tengas (?:un momento|tiempo)|le venga bien)",
    r"quand vous (?:pourrez|pouvez|aurez (?:un moment|le temps)|avez (?:un moment|le temps))",
    r"a votre convenance",
    r"wenn sie (?:zeit haben|dazu kommen|einen moment haben)|sie zeit haben",
    r"quando (?:puder|tiver (?:um )?(?:tempo|tempinho|momento))",
    r"quando (?:puo|puoi|ha (?:un momento|tempo)|hai (?:un momento|tempo))",
    cjk="有空(?!调|調)|方便的时候|方便的時候",
)
