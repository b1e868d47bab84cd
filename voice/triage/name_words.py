"""Word lists for names.py: titles, cue words and the capitalised words that are nobody's name."""

from __future__ import annotations

import re


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def listed(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Said before a name and dropped from it ("Herr Schmidt" -> "Schmidt"), matched in any case, with or without
# a dot. "Don"/"Dona" only in es/pt/it (in English it is a first name); "M." only with its dot.
TITLES = listed(
    "mister mr mrs ms miss mx dr doctor doc professor prof officer reverend rev father pastor sir madam "
    "nurse sergeant sgt detective captain capt "
    "herr frau fräulein doktor "
    "monsieur madame mademoiselle mme mlle docteur maître "
    "señor señora señorita sr sra srta dra doctora licenciado licenciada lic ingeniero ingeniera ing "
    "senhor senhora senhorita doutor doutora "
    "signor signore signora signorina sig sigra dott dottor dottore dottoressa avvocato avv"
)
TITLE = r"(?:(?i:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\b\.?|M\.)"
SPANISH_TITLES = words("Don Doña Dom Dona")  # a title in es/pt/it, a first name in English

# Articles said between a cue and a title ("sono la signora Bianchi", "sou a Dona Maria", "ich bin die Frau").
ARTICLES = r"(?i:(?:la|il|el|le|o|a|der|die|the)\s+)"

# Capitalised words that start a sentence or a call, or German nouns, but are nobody's name.
NOT_NAMES = words(
    """
    I I'm It It's This The Your My We A An Just Calling Regarding Here Hi Hello Hey Yes Yeah Please
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Today Tomorrow Tonight
    Thanks Thank Sorry Call Good Dear Dad Mom Mum Mama Grandma Honey Sweetie Darling Sir Madam
    Auntie Uncle Buddy Mate Oh Okay So And Social Security Medicare Congratulations Attention Officer
    Doctor Professor Hola Bonjour Hallo Olá Oi Ciao Buongiorno Buonasera Guten Buenos Buenas Bom Boa Salut
    Bonsoir Allô Pronto Alô Oui Non Sí Si Ja Nein Sim Não No Nicht Ich Sie Wir Ihr Ihre Ihnen Du Der Die Das
    Ein Eine Einen Kunde Kundin Mieter Mieterin Patient Patientin Nachbar Nachbarin Vater Mutter Mama Papa
    Je Nous Vous Il Elle Le La Les Un Une Yo Usted Nosotros El Los Las Una Eu Você Nós Os Uma Io Lei Noi
    Lo Gli Cliente Clienta Client Cliente Paciente Paziente Vecino Vizinho Vicino Merci Gracias Obrigado
    Obrigada Grazie Danke Lunes Martes Miércoles Jueves Viernes Sábado Domingo Lundi Mardi Mercredi Jeudi
    Vendredi Samedi Dimanche Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag Segunda Terça Quarta
    Quinta Sexta Lunedì Martedì Mercoledì Giovedì Venerdì Sabato Domenica Urgent Urgente Dringend Wegen
    Christmas Easter Thanksgiving Halloween Navidad Noël Weihnachten Natal Natale Pascua Pâques Ostern
    Accounts Payable Receivable Billing Reception Support Sales Kundendienst Kundenservice Buchhaltung
    Vertrieb Hausmeister Hausmeisterin Paketbote Postbote Vermieter Vermieterin Techniker Handwerker
    Elektriker Klempner Installateur Fahrer Arzt Ärztin Zahnarzt Sekretariat Empfang Nachbarn
    """
)

# Words after which no name follows, for the lower-case reading ("my name is on the account").
FUNCTION_WORDS = words(
    """
    a an the and or but not no on in at to of for from with by is was are be been calling here still also
    just really very so about under over this that it my your our his her their me you we they
    y o e u de del la el los las un una en con por para que es mi su tu no muy ya
    et ou le les des du un une en avec pour par que est mon ma ton ta son sa ne pas très déjà
    und oder der die das den dem des ein eine einen mit für von zu ist mein meine nicht sehr schon
    da do das dos um uma com por para que é meu minha não muito já
    il lo gli di della con per che è mio mia non molto già
    """
)

# Generic words for a company, said before its name and dropped ("de la empresa Limpiezas García").
COMPANY_WORDS = listed(
    "company firm empresa compañía compañia sociedad firma société entreprise compagnie Firma Unternehmen "
    "Gesellschaft companhia ditta azienda società"
)
COMPANY = r"(?i:" + "|".join(COMPANY_WORDS) + r")"
# Kinds of organisation that are part of its name when capitalised ("Banco Santander"): after "de/da/di"
# these begin an organisation, not a surname ("Juan del Banco Santander").
ORG_KINDS = words(
    """
    Bank Banco Banca Banque Sparkasse Clínica Clinica Clinique Klinik Praxis Hospital Hôpital Ospedale
    Seguros Seguradora Assicurazioni Assurances Versicherung Farmacia Farmácia Pharmacie Apotheke Hotel Hôtel
    Escola Escuela École Scuola Studio Estudio Cabinet Despacho Agencia Agência Agence Agenzia Grupo Gruppo
    Groupe Universidad Universidade Université Università Ayuntamiento Prefeitura Mairie Comune Stadtwerke
    Telefónica Restaurante Ristorante Restaurant Centro Centre Zentrum Servicio Serviço Service Servizio
    Hausverwaltung Verwaltung Pflegedienst Lieferdienst Paketdienst
    """
)
# Said before a caller introduces themselves without a cue: "Hi, Kevin O'Brien from ...", "Bonjour, Isabelle
# Martin, j'ai une question".
GREETINGS = (
    r"(?i:hi|hello|hey|hiya|g'day|good (?:morning|afternoon|evening)|morning|afternoon|(?:oui )?bonjour|"
    r"bonsoir|salut|allô|hola|buen(?:os|as) (?:días|dias|tardes|noches)|buenas|hallo|"
    r"guten (?:tag|morgen|abend)|grüezi|servus|moin|olá|ola|oi|bom dia|boa (?:tarde|noite)|ciao|buongiorno|"
    r"buonasera|salve|pronto)"
)
# The last word of an organisation's name, not a person's: "Hi, this is Northline Couriers."
BUSINESS_WORDS = ORG_KINDS | words(
    """
    Couriers Courier Plumbing Logistics Services Insurance Clinic Dental Dentistry Pharmacy Inc LLC Ltd
    Limited Company Co Corp Corporation Group Center Hospital Solutions Systems Electric Electrical Motors
    Realty Properties Associates Partners Consulting Airlines Airways Energy Telecom Wireless Utilities
    Landscaping
    Roofing Heating Construction Builders Repairs Garage Salon Spa Gym Fitness Bakery Cafe Café Pizza Deli
    Market Store Shop Print Printing Media Travel Hotels Estates Management Finance Financial Capital Credit
    Loans Mortgage Law Legal Surgery Practice Veterinary School Academy University College Council Department
    Office Technologies Software Labs Freight Transport Movers Storage Cleaning Cleaners Security Lettings
    Accountants GmbH AG KG SA SL SAS SARL SpA Srl Ltda
    """
)

# Kinds said in lower case before a name: "la clínica dental Sonrisas", "dello studio dentistico Sorriso".
LOWER_KINDS = listed(
    """
    clínica clinica clinique banco banca banque farmacia farmácia pharmacie hospital hôpital ospedale studio
    estudio cabinet despacho agencia agência agence agenzia escola escuela école scuola hotel restaurante
    ristorante restaurant centro centre oficina taller garage garagem padaria panadería boulangerie pizzeria
    tienda loja negozio magasin seguros assicurazioni assurances praxis mairie ayuntamiento prefeitura comune
    câmara
    """
)

# Surnames said with a particle ("Maria da Silva", "Carlos de Castro"): "NAME da X" is otherwise read as
# the caller's organisation ("Ana da Claro", "Pedro de Movistar").
PARTICLE_SURNAMES = listed(
    "Silva Souza Sousa Costa Cunha Rocha Luz Cruz Conceição Fonseca Mota Paz Oliveira Almeida Jesus Lima "
    "Castro Carvalho Andrade Assis Paula Freitas Moraes Morais Barros Melo Mello León Leon Luca Santis "
    "Rosa Angelis Stefano Marco Vega Rosario Torre Gaulle Villiers Santos Reis Anjos Neves Dores Passos "
    "Prazeres"
)

# Departments: nobody's name and no organisation's ("Accounts Payable here", "der Kundendienst von Vodafone").
DEPARTMENTS = listed(
    r"""
    accounts\s+payable accounts\s+receivable accounts billing\s+department billing reception front\s+desk
    customer\s+service customer\s+support support\s+team sales\s+team service\s+department department
    service\s+client(?:èle)? servicio\s+(?:al\s+)?cliente departamento\s+de\s+\w+
    atendimento(?:\s+ao\s+cliente)? Kundendienst Kundenservice Buchhaltung Vertrieb servizio\s+clienti
    ufficio\s+\w+
    """
)
# What an organisation is never: weekdays, months, holidays, pronouns, greetings.
NOT_ORGS = NOT_NAMES | words(
    """
    January February March April May June July August September October November December Christmas Easter
    Noon Midnight Extension Ext Line Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Octubre
    Noviembre Diciembre Janvier Février Mars Avril Mai Juin Juillet Août Septembre Octobre Novembre Décembre
    Januar Februar März April Juni Juli August Oktober Dezember Janeiro Fevereiro Março Maio Junho Julho
    Setembro Outubro Novembro Dezembro Gennaio Febbraio Aprile Maggio Giugno Luglio Settembre Ottobre
    Dicembre Voicemail
    """
)
CONNECTORS = words("of and the & de del y e et und di da do dos das für der la le")

# Chinese: the commonest surnames (simplified and traditional), compound ones first.
ZH_COMPOUND_SURNAMES = listed(
    "欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 慕容 司徒 夏侯 皇甫 尉迟 尉遲 公孙 公孫 长孙 長孫"
)
ZH_SURNAMES = (
    "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何高林罗羅郑鄭梁谢謝宋唐许許韩韓冯馮邓鄧曹彭曾肖萧蕭田董袁潘蒋蔣蔡余杜"
    "叶葉程苏蘇魏吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范金石廖贾賈夏韦韋付方白邹鄒孟熊秦邱江尹薛闫閆段雷侯龙龍史陶黎贺賀顾顧毛郝"
    "龚龔邵万萬钱錢严嚴覃武戴莫孔向汤湯常温溫康施文牛樊葛邢安齐齊易乔喬伍庞龐颜顏倪庄莊聂聶章鲁魯岳翟殷詹申欧歐耿关關兰蘭焦俞"
    "左柳甘祝包宁寧尚符舒阮柯纪紀梅童凌毕畢季裴霍涂苗谷盛曲翁冉骆駱蓝藍路游辛靳管柴蒙鲍鮑华華喻祁蒲房滕屈饶饒解牟艾尤阳陽穆农"
    "農司卓古吉缪繆简簡车車项項连連芦麦麥褚娄婁窦竇戚岑景宫宮费費卜冷晏席卫衛米柏宗瞿桂佟臧闵閔苟邬鄔边邊卞姬师師仇栾欒隋商刁"
    "沙荣榮巫寇桑郎甄丛叢仲虞敖巩鞏佘池查麻苑迟遲邝鄺官封谈談匡鞠惠荆荊冀郁胥班储儲栗燕楚鄢劳勞谌諶奚皮粟冼蔺藺楼樓盘盤闻聞厉"
    "厲伊仝郜阚闞帅帥屠豆朴廉禹井祖漆巴丰卿狄索宣晋晉扈晁芮阙闕浦戈鹿邸雍辜羊母裘亓邰赫杭鲜鮮逯隆茹诸諸嵇湛宾賓戎昝"
)
ZH_TITLES = listed(
    "先生 女士 小姐 老师 老師 医生 醫生 太太 夫人 经理 經理 律师 律師 博士 教授 师傅 師傅 阿姨 总 總"
)
# Characters and words that end a Chinese name: particles, verbs, pronouns ("我是张伟想问").
ZH_NAME_STOPS = set(
    "的是在想要打给給请請来來从從说說我你他她们們了呀啊哦啦吧呢吗嗎这這那就和跟有又也还還已因关關找问問"
    "让讓能可会會很再麻谢謝对對不没沒上下边邊面里裡，,。.！!？?、 "
)
ZH_PAUSES = "，,。.！!？?、 ：:；;…"
ZH_NAME_STOP_WORDS = listed("明天 今天 昨天 现在 現在 电话 電話 手机 手機 号码 號碼")
# Kinds of Chinese organisation, the last characters of its name ("顺丰快递", "北京协和医院").
ZH_ORG_KINDS = listed(
    "有限公司 有限責任公司 公司 银行 銀行 医院 醫院 诊所 診所 学校 學校 大学 大學 酒店 集团 集團 中心 "
    "事务所 事務所 保险 保險 物业 物業 快递 快遞 律所 药房 藥房 餐厅 餐廳 "
    "工作室 商店 超市 健身房 幼儿园 幼兒園 科技 贸易 貿易 物流 地产 地產 房产 房產 电器 電器 "
    "装修 裝修 家政 通信 通讯 通訊 电信 電信 网络 網絡 传媒 傳媒 培训 培訓 咨询 諮詢 汽车 汽車 航空 "
    "旅行社 药业 藥業 餐饮 餐飲 建筑 建築 工程 电子 電子 软件 軟件 实业 實業 商贸 商貿 食品 印刷 局 店 厂 廠"
)
# Characters an organisation's name does not hold: "我是顺丰快递的张伟", "我在中国银行工作".
ZH_ORG_STOPS = "来來的是我你您他她们們了呀啊哦啦吧呢吗嗎想要请請打给給找问問在，,。.！!？?、 "
ZH_GENERIC = words(
    "信用卡中心 客服中心 服务中心 服務中心 呼叫中心 售后服务中心 售後服務中心 售后 售後 客服部 "
    "物业 物業 物业公司 物業公司 快递 快遞 银行 銀行 医院 醫院 公司 学校 學校 诊所 診所 保险公司 保險公司"
)
ZH_ORG_CHARS = r"[\u4e00-\u9fffA-Za-z0-9]"
ZH_NOT_ORG_START = re.compile(r"^(?:你们|你們|我们|我們|他们|他們|贵|貴|本|这|這|那|一|新|老)")
