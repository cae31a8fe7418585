"""Demo data: the Shenzhen–Italy biotech conference, and large synthetic conferences.

The demo follows the facts of the example event; every text is written for eventreg. Apart
from the keynote speaker, the people and their institutions are invented for the demo.

Sessions are created through the schedule's services (``create_sessions``: every rule the
forms enforce, one transaction, no mail), so the data cannot hold what a later edit would
refuse: no room or speaker in two sessions at once, no session outside the conference.
"""

import hashlib
import io
import secrets
import uuid
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from PIL import Image, ImageDraw

from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.core import audit, images, storage
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.core.timeutil import local_instant
from eventreg.registration.models import (
    AccessCode,
    Question,
    Registration,
    RegistrationCategory,
)
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.services import create_sessions

DEMO_SLUG = "shenzhen-italy-biotech"

# Written in Markdown, as organizers write it: two paragraphs and a list.
DESCRIPTION = """\
A two-day exchange between **Shenzhen and Italy** on where biotechnology and healthcare are \
heading. Researchers, founders, clinicians and public officials from China and Europe compare \
notes and look for projects to build together.

Three tracks run side by side:

- *Biomedicine*: new therapies, genomics and cell manufacturing;
- *Health Tech*: devices, software and data in everyday care;
- *Medical Research*: clinical trials, regulation and joint research.

The programme mixes keynotes and talks with panels, hands-on workshops in small groups, and time \
to meet between sessions. Most talks are given in English; one is in Chinese and one in Italian, \
both with interpretation into English. The registration desk helps in Chinese and Italian too."""

PRIVACY_NOTICE = """\
The Shenzhen-European Economic and Trade Representative Office processes your name, e-mail \
address, affiliation and country to manage your registration and to send you information about \
this conference only. Your data is kept until three months after the event and then deleted. You \
can download or erase it at any time through the private link in your confirmation e-mail."""

ROOMS = [
    ("Main Hall", 400),
    ("Pearl River Room", 120),
    ("Lab Studio", 24),
]

TRACKS = [
    ("Biomedicine", "#b3261e", "Therapeutics, genomics and the biology behind new medicines."),
    ("Health Tech", "#0b5cad", "Devices, software and data that change how care is delivered."),
    ("Medical Research", "#1b6e3a", "Clinical trials, translational research and regulation."),
]

# The tables below are data, laid out one entry per line or two for reading and editing.
# fmt: off
SPEAKERS = {
    "sun": ("Sun Xiaoyu", "Chief Representative",
            "Shenzhen-European Economic and Trade Representative Office",
            "Leads the office that connects Shenzhen with partners across Europe in trade, "
            "science and innovation, with a particular interest in life sciences."),
    "rossi": ("Giulia Rossi", "Professor of Molecular Oncology", "Università di Pavia (demo)",
              "Works on tumour genomics and on bringing sequencing into routine cancer care."),
    "chen": ("Chen Wei", "Founder and CEO", "Qianhai MedDevices (demo)",
             "Built a company making low-cost ultrasound probes for community clinics."),
    "bianchi": ("Marco Bianchi", "Director of Clinical Operations", "Lombardy Clinical Trials "
                "Network (demo)", "Has run multi-country trials in cardiology and rare diseases."),
    "li": ("Li Na", "Principal Investigator", "Shenzhen Bay Biomedical Institute (demo)",
           "Studies cell therapies for solid tumours and how to manufacture them at scale."),
    "ferrari": ("Elena Ferrari", "Head of Digital Health", "Torino Health Innovation Hub (demo)",
                "Designs telemedicine services for elderly patients in rural Piedmont."),
    "zhang": ("Zhang Hao", "Vice President, Regulatory Affairs", "Greater Bay Pharma (demo)",
              "Guides new medicines through approval in China and the European Union."),
    "romano": ("Luca Romano", "Partner", "Milano Life Science Ventures (demo)",
               "Invests in early-stage medical technology companies in Italy and Asia."),
    "wang": ("Wang Fang", "Director", "Futian Hospital AI Lab (demo)",
             "Deploys machine-learning tools for radiology in a large public hospital."),
    "colombo": ("Francesca Colombo", "Senior Researcher", "Istituto di Bioingegneria di Genova "
                "(demo)", "Develops biomaterials for tissue engineering and wound healing."),
}

CHINESE_SPEAKERS = {"sun", "chen", "li", "zhang", "wang"}

# (day, start, end, room, track, kind, title, speakers, capacity, abstract)
PROGRAMME = [
    (0, "08:30", "09:15", None, None, "break", "Registration and welcome coffee", [], None,
     "Pick up your badge at the desk in the lobby."),
    (0, "09:15", "10:00", "Main Hall", None, "keynote",
     "Shenzhen and Europe: building a biotech bridge", ["sun"], None,
     "How Shenzhen's life-science industry has grown, and why closer ties with Italian "
     "partners matter now.\n\nThe keynote looks at three things:\n\n"
     "1. what the city offers partners abroad;\n"
     "2. where Italian universities, hospitals and companies fit in;\n"
     "3. the next steps for the *Shenzhen-European Economic and Trade Representative Office*."),
    (0, "10:00", "10:45", "Main Hall", "Biomedicine", "talk",
     "Tumour sequencing in everyday oncology", ["rossi"], None,
     "What it takes to move genomic profiling from research projects into standard cancer care, "
     "with lessons from Italian hospital networks."),
    (0, "10:00", "10:45", "Pearl River Room", "Health Tech", "talk",
     "Affordable imaging for community clinics", ["chen"], None,
     "Designing and certifying a handheld ultrasound device for clinics with limited budgets."),
    (0, "10:45", "11:15", None, None, "break", "Coffee break", [], None, ""),
    (0, "11:15", "12:30", "Main Hall", "Medical Research", "panel",
     "Running clinical trials across China and the EU", ["bianchi", "zhang", "rossi"], None,
     "Ethics approvals, data protection, recruitment and regulators: a frank discussion of what "
     "slows down joint trials and what speeds them up."),
    (0, "11:15", "12:30", "Lab Studio", "Biomedicine", "workshop",
     "Hands-on: designing a CAR-T manufacturing workflow", ["li"], 20,
     "A small-group workshop mapping each step of autologous cell-therapy production, from "
     "apheresis to release testing."),
    (0, "12:30", "14:00", None, None, "break", "Lunch", [], None, ""),
    (0, "14:00", "14:45", "Main Hall", "Health Tech", "talk",
     "Telemedicine for an ageing population", ["ferrari"], None,
     "Remote monitoring and video visits for elderly patients: what worked in Piedmont."),
    (0, "14:00", "14:45", "Pearl River Room", "Medical Research", "talk",
     "From bench to approval: regulatory paths in two markets", ["zhang"], None,
     "Comparing NMPA and EMA pathways for innovative medicines, and how to plan for both."),
    (0, "14:45", "16:00", "Lab Studio", "Health Tech", "workshop",
     "Hands-on: validating an AI radiology tool", ["wang"], 16,
     "Participants evaluate a model on an anonymised image set and discuss clinical validation."),
    (0, "15:00", "15:45", "Main Hall", "Biomedicine", "talk",
     "Biomaterials that help wounds heal", ["colombo"], None,
     "New scaffolds and hydrogels for tissue repair, and the road to the clinic."),
    (0, "16:00", "17:00", "Main Hall", None, "panel",
     "Investing in cross-border medtech", ["romano", "chen"], None,
     "Venture investors and founders on funding companies that sell in both China and Europe."),
    (1, "09:00", "09:45", "Main Hall", "Medical Research", "keynote",
     "What a decade of joint research has taught us", ["bianchi"], None,
     "Looking back at Sino-Italian research partnerships: the successes, the failures and the "
     "practical habits that made the difference."),
    (1, "09:45", "10:30", "Main Hall", "Health Tech", "talk",
     "AI in the radiology department, one year on", ["wang"], None,
     "Measured results and surprises from running machine-learning triage in a busy hospital."),
    (1, "09:45", "10:30", "Pearl River Room", "Biomedicine", "talk",
     "Scaling cell therapies for solid tumours", ["li"], None,
     "Why solid tumours are harder than blood cancers, and the manufacturing work that helps."),
    (1, "10:30", "11:00", None, None, "break", "Coffee break", [], None, ""),
    (1, "11:00", "12:15", "Pearl River Room", "Medical Research", "panel",
     "Sharing health data under GDPR and PIPL", ["ferrari", "zhang"], None,
     "How researchers can exchange data lawfully between the EU and China."),
    (1, "11:00", "12:15", "Lab Studio", "Medical Research", "workshop",
     "Hands-on: writing a joint grant proposal", ["rossi", "romano"], 18,
     "Teams draft the outline of a Sino-Italian research proposal with feedback from the room."),
    (1, "12:15", "13:30", None, None, "break", "Lunch and partnering meetings", [], None, ""),
    (1, "13:30", "14:15", "Main Hall", "Biomedicine", "talk",
     "Precision medicine for rare diseases", ["rossi"], None,
     "Diagnosing and treating rare genetic diseases with genome sequencing."),
    (1, "14:15", "15:00", "Main Hall", None, "panel",
     "Closing panel: next steps for Shenzhen-Italy cooperation", ["sun", "romano", "colombo"],
     None, "Speakers agree on concrete follow-ups: visits, joint calls and pilot projects."),
]

# Sessions that can also be joined online (made-up links on a reserved example domain).
ONLINE_LINKS = {
    "Telemedicine for an ageing population": "https://meet.example.org/demo/telemedicine",
}

QUESTIONS = [
    ("Which language do you prefer at the registration desk?", "single_choice", True,
     ["English", "中文", "Italiano"]),
    ("Which topics interest you most?", "multiple_choice", False,
     ["Biomedicine", "Health Tech", "Medical Research", "Investment"]),
    ("Dietary requirements", "short_text", False, []),
    ("I would like to join the partnering meetings on day two", "checkbox", False, []),
]


# --- the same texts in Chinese and Italian --------------------------------------------------
# Written for the demo in each language (not word-for-word translations); English is the
# conference's main language, so these go into the rows' ``translations``.

TITLE_IN = {
    "zh": "生物科技跨国创新：深圳—意大利医疗健康专场",
    "it": "Innovazione transnazionale nelle biotecnologie: speciale sanità Shenzhen-Italia",
}

DESCRIPTION_IN = {
    "zh": """\
为期两天的交流活动，聚焦**深圳与意大利**在生物科技和医疗健康领域的发展方向。来自中国和欧洲的\
研究人员、创业者、临床医生和政府代表在这里分享经验，寻找可以共同推进的项目。

三个分论坛同时进行：

- *生物医药*：新疗法、基因组学与细胞制备；
- *健康科技*：日常医疗中的器械、软件与数据；
- *医学研究*：临床试验、监管与联合研究。

议程包括主旨演讲、报告、圆桌讨论、小组实操工作坊，以及会间交流时间。大部分报告使用英语，\
另有一场中文报告和一场意大利语报告，均提供英语同传；注册台可提供中文和意大利语咨询。""",
    "it": """\
Due giornate di confronto tra **Shenzhen e l'Italia** sul futuro delle biotecnologie e della \
sanità. Ricercatori, fondatori di startup, medici e funzionari pubblici di Cina ed Europa \
condividono esperienze e cercano progetti da costruire insieme.

Tre percorsi si svolgono in parallelo:

- *Biomedicina*: nuove terapie, genomica e produzione cellulare;
- *Tecnologie per la salute*: dispositivi, software e dati nella cura quotidiana;
- *Ricerca medica*: sperimentazioni cliniche, regolazione e ricerca congiunta.

Il programma alterna keynote e interventi a tavole rotonde, laboratori pratici in piccoli gruppi \
e momenti per conoscersi. Quasi tutti gli interventi sono in inglese; uno è in cinese e uno in \
italiano, entrambi con interpretariato in inglese. Al banco di registrazione si parla anche \
cinese e italiano.""",
}

VENUE_IN = {
    "zh": "深圳会议中心（演示场地）",
    "it": "Centro congressi di Shenzhen (sede dimostrativa)",
}

ADDRESS_IN = {
    "zh": "中国广东省深圳市福田区",
    "it": "Distretto di Futian, Shenzhen, Guangdong, Cina",
}

ORGANIZER_IN = {
    "zh": "深圳驻欧洲经贸代表处",
    "it": "Ufficio di rappresentanza economica e commerciale di Shenzhen in Europa",
}

PRIVACY_NOTICE_IN = {
    "zh": """\
深圳驻欧洲经济贸易代表处处理您的姓名、电子邮箱、所属机构和国家或地区，仅用于管理您的报名并向您\
发送与本次会议有关的信息。您的数据保存至会议结束后三个月，随后删除。您可随时通过确认邮件中的\
专属链接下载或删除您的数据。""",
    "it": """\
L'Ufficio di rappresentanza economica e commerciale di Shenzhen in Europa tratta il tuo nome, \
l'indirizzo e-mail, l'ente di appartenenza e il paese per gestire la tua iscrizione e inviarti \
informazioni su questo convegno e su nient'altro. I dati sono conservati fino a tre mesi dopo \
l'evento e poi cancellati. Puoi scaricarli o cancellarli in qualsiasi momento dal link personale \
contenuto nell'e-mail di conferma.""",
}

ROOMS_IN = {
    "Main Hall": {"zh": "主会场", "it": "Sala principale"},
    "Pearl River Room": {"zh": "珠江厅", "it": "Sala Fiume delle Perle"},
    "Lab Studio": {"zh": "实验工作室", "it": "Laboratorio"},
}

TRACKS_IN = {
    "Biomedicine": {
        "zh": ("生物医药", "治疗方法、基因组学以及新药背后的生物学。"),
        "it": ("Biomedicina", "Terapie, genomica e la biologia alla base dei nuovi farmaci."),
    },
    "Health Tech": {
        "zh": ("健康科技", "改变医疗服务方式的器械、软件与数据。"),
        "it": ("Tecnologie per la salute",
               "Dispositivi, software e dati che cambiano il modo di curare."),
    },
    "Medical Research": {
        "zh": ("医学研究", "临床试验、转化研究与监管。"),
        "it": ("Ricerca medica", "Sperimentazioni cliniche, ricerca traslazionale e regolazione."),
    },
}

# Speakers' job titles and biographies.
SPEAKERS_IN = {
    "sun": {
        "zh": ("首席代表", "领导深圳驻欧洲经济贸易代表处，推动深圳与欧洲伙伴在贸易、"
               "科技和创新方面的合作，尤其关注生命科学领域。"),
        "it": ("Rappresentante capo", "Guida l'ufficio che collega Shenzhen ai partner europei nel "
               "commercio, nella scienza e nell'innovazione, con un'attenzione particolare alle "
               "scienze della vita."),
    },
    "rossi": {
        "zh": ("分子肿瘤学教授", "研究肿瘤基因组学，致力于让基因测序成为癌症诊疗的常规手段。"),
        "it": ("Professoressa di oncologia molecolare", "Si occupa di genomica dei tumori e di "
               "portare il sequenziamento nella pratica oncologica di tutti i giorni."),
    },
    "chen": {
        "zh": ("创始人兼首席执行官", "创办了一家为社区诊所生产低成本超声探头的公司。"),
        "it": ("Fondatore e amministratore delegato", "Ha creato un'azienda che produce sonde "
               "ecografiche a basso costo per gli ambulatori di quartiere."),
    },
    "bianchi": {
        "zh": ("临床运营总监", "主持过多项心脏病学和罕见病领域的跨国临床试验。"),
        "it": ("Direttore delle operazioni cliniche", "Ha condotto studi multinazionali in "
               "cardiologia e sulle malattie rare."),
    },
    "li": {
        "zh": ("首席研究员", "研究针对实体瘤的细胞疗法，以及如何实现规模化生产。"),
        "it": ("Responsabile di ricerca", "Studia le terapie cellulari per i tumori solidi e come "
               "produrle su larga scala."),
    },
    "ferrari": {
        "zh": ("数字健康负责人", "为皮埃蒙特农村地区的老年患者设计远程医疗服务。"),
        "it": ("Responsabile della sanità digitale", "Progetta servizi di telemedicina per i "
               "pazienti anziani delle zone rurali del Piemonte."),
    },
    "zhang": {
        "zh": ("副总裁（注册事务）", "负责推动新药在中国和欧盟获得上市批准。"),
        "it": ("Vicepresidente per gli affari regolatori", "Accompagna i nuovi farmaci lungo il "
               "percorso di approvazione in Cina e nell'Unione europea."),
    },
    "romano": {
        "zh": ("合伙人", "投资意大利和亚洲的早期医疗科技企业。"),
        "it": ("Socio", "Investe in aziende di tecnologia medica in fase iniziale in Italia e in "
               "Asia."),
    },
    "wang": {
        "zh": ("主任", "在一家大型公立医院推广应用于放射科的机器学习工具。"),
        "it": ("Direttrice", "Introduce strumenti di apprendimento automatico per la radiologia in "
               "un grande ospedale pubblico."),
    },
    "colombo": {
        "zh": ("高级研究员", "开发用于组织工程和伤口愈合的生物材料。"),
        "it": ("Ricercatrice senior", "Sviluppa biomateriali per l'ingegneria dei tessuti e la "
               "guarigione delle ferite."),
    },
}

# Sessions by their English title: (title, abstract) in each language.
SESSIONS_IN = {
    "Registration and welcome coffee": {
        "zh": ("签到与欢迎咖啡", "请在大堂服务台领取胸牌。"),
        "it": ("Registrazione e caffè di benvenuto", "Ritira il badge al banco nell'atrio."),
    },
    "Shenzhen and Europe: building a biotech bridge": {
        "zh": ("深圳与欧洲：搭建生物科技之桥",
               "深圳的生命科学产业是如何发展起来的，为什么现在与意大利伙伴加强联系尤为重要。\n\n"
               "主旨演讲将围绕三个方面展开：\n\n"
               "1. 深圳能为海外伙伴提供什么；\n"
               "2. 意大利的大学、医院和企业可以在哪些方面发挥作用；\n"
               "3. *深圳驻欧洲经济贸易代表处*的下一步工作。"),
        "it": ("Shenzhen e l'Europa: un ponte per le biotecnologie",
               "Come è cresciuta l'industria delle scienze della vita a Shenzhen, e perché oggi "
               "conta stringere i legami con i partner italiani.\n\nIl keynote tocca tre punti:\n\n"
               "1. che cosa offre la città ai partner stranieri;\n"
               "2. quale spazio hanno le università, gli ospedali e le imprese italiane;\n"
               "3. i prossimi passi dell'*Ufficio di rappresentanza economica e commerciale di "
               "Shenzhen in Europa*."),
    },
    "Tumour sequencing in everyday oncology": {
        "zh": ("日常肿瘤诊疗中的肿瘤测序",
               "要让基因组检测从科研项目走进常规癌症诊疗，需要做哪些工作？来自意大利医院网络的经验。"),
        "it": ("Il sequenziamento dei tumori nell'oncologia di tutti i giorni",
               "Che cosa serve per portare la profilazione genomica dai progetti di ricerca alla "
               "cura standard del cancro: l'esperienza delle reti ospedaliere italiane."),
    },
    "Affordable imaging for community clinics": {
        "zh": ("社区诊所用得起的影像设备", "为预算有限的诊所设计并认证一款手持式超声设备。"),
        "it": ("Diagnostica per immagini accessibile agli ambulatori",
               "Progettare e certificare un ecografo portatile per ambulatori con pochi mezzi."),
    },
    "Coffee break": {"zh": ("茶歇", ""), "it": ("Pausa caffè", "")},
    "Running clinical trials across China and the EU": {
        "zh": ("在中国和欧盟开展临床试验",
               "伦理审批、数据保护、受试者招募与监管机构：坦诚讨论哪些因素拖慢了联合试验，"
               "哪些做法能让它们提速。"),
        "it": ("Sperimentazioni cliniche tra Cina e Unione europea",
               "Comitati etici, protezione dei dati, arruolamento e autorità regolatorie: che "
               "cosa rallenta gli studi congiunti e che cosa li accelera, detto senza giri di "
               "parole."),
    },
    "Hands-on: designing a CAR-T manufacturing workflow": {
        "zh": ("实操：设计 CAR-T 生产流程",
               "小组工作坊，梳理自体细胞治疗生产的每一个环节，从单采到放行检测。"),
        "it": ("Laboratorio: progettare un flusso di produzione CAR-T",
               "Un laboratorio in piccoli gruppi che ripercorre ogni fase della produzione di una "
               "terapia cellulare autologa, dall'aferesi ai test di rilascio."),
    },
    "Lunch": {"zh": ("午餐", ""), "it": ("Pranzo", "")},
    "Telemedicine for an ageing population": {
        "zh": ("面向老龄化社会的远程医疗",
               "为老年患者提供远程监测和视频问诊：皮埃蒙特的哪些做法行之有效。本场使用意大利语，"
               "提供英语同传。"),
        "it": ("Telemedicina per una popolazione che invecchia",
               "Monitoraggio a distanza e visite in video per i pazienti anziani: che cosa ha "
               "funzionato in Piemonte. In italiano, con interpretariato in inglese."),
    },
    "From bench to approval: regulatory paths in two markets": {
        "zh": ("从实验室到获批：两个市场的注册路径",
               "比较国家药监局（NMPA）与欧洲药品管理局（EMA）对创新药的审批路径，以及如何同时规划。"),
        "it": ("Dal laboratorio all'approvazione: percorsi regolatori in due mercati",
               "Le procedure di NMPA ed EMA per i farmaci innovativi a confronto, e come "
               "prepararsi a entrambe."),
    },
    "Hands-on: validating an AI radiology tool": {
        "zh": ("实操：验证一款放射科人工智能工具",
               "参与者在一组匿名影像上评估模型，并讨论如何开展临床验证。"),
        "it": ("Laboratorio: validare uno strumento di IA per la radiologia",
               "I partecipanti valutano un modello su immagini anonimizzate e discutono la "
               "validazione clinica."),
    },
    "Biomaterials that help wounds heal": {
        "zh": ("促进伤口愈合的生物材料", "用于组织修复的新型支架和水凝胶，以及走向临床的道路。"),
        "it": ("Biomateriali che aiutano a guarire le ferite",
               "Nuovi supporti e idrogel per la riparazione dei tessuti, e la strada verso la "
               "clinica."),
    },
    "Investing in cross-border medtech": {
        "zh": ("投资跨境医疗科技",
               "风险投资人与创业者探讨如何为同时面向中国和欧洲市场的企业融资。"),
        "it": ("Investire nella tecnologia medica tra due continenti",
               "Investitori e fondatori parlano di come finanziare aziende che vendono sia in "
               "Cina sia in Europa."),
    },
    "What a decade of joint research has taught us": {
        "zh": ("十年联合研究给我们的启示",
               "回顾中意科研合作：成功与失败，以及真正起作用的务实做法。"),
        "it": ("Che cosa ci hanno insegnato dieci anni di ricerca comune",
               "Uno sguardo alle collaborazioni di ricerca tra Cina e Italia: i successi, gli "
               "insuccessi e le abitudini pratiche che hanno fatto la differenza."),
    },
    "AI in the radiology department, one year on": {
        "zh": ("放射科里的人工智能：一年之后",
               "在一家繁忙的医院运行机器学习分诊一年来的实测结果与意外发现。本场使用中文，"
               "提供英语同传。"),
        "it": ("L'IA in radiologia, un anno dopo",
               "Risultati misurati e sorprese di un anno di triage con l'apprendimento automatico "
               "in un ospedale molto frequentato. In cinese, con interpretariato in inglese."),
    },
    "Scaling cell therapies for solid tumours": {
        "zh": ("实体瘤细胞疗法的规模化",
               "为什么实体瘤比血液肿瘤更难治疗，以及哪些生产工艺上的努力能带来帮助。"),
        "it": ("Terapie cellulari per i tumori solidi su larga scala",
               "Perché i tumori solidi sono più difficili di quelli del sangue, e il lavoro di "
               "produzione che aiuta."),
    },
    "Sharing health data under GDPR and PIPL": {
        "zh": ("在 GDPR 与《个人信息保护法》框架下共享健康数据",
               "研究人员如何在欧盟与中国之间合法地交换数据。"),
        "it": ("Condividere dati sanitari tra GDPR e PIPL",
               "Come i ricercatori possono scambiarsi dati in modo lecito tra Unione europea e "
               "Cina."),
    },
    "Hands-on: writing a joint grant proposal": {
        "zh": ("实操：撰写联合科研项目申请书",
               "各小组起草一份中意联合研究申请书的提纲，并听取现场反馈。"),
        "it": ("Laboratorio: scrivere una proposta di progetto congiunta",
               "I gruppi abbozzano lo schema di una proposta di ricerca italo-cinese, con i "
               "commenti della sala."),
    },
    "Lunch and partnering meetings": {
        "zh": ("午餐与合作洽谈", ""),
        "it": ("Pranzo e incontri di partenariato", ""),
    },
    "Precision medicine for rare diseases": {
        "zh": ("罕见病的精准医疗", "借助基因组测序诊断和治疗罕见遗传病。"),
        "it": ("Medicina di precisione per le malattie rare",
               "Diagnosticare e curare le malattie genetiche rare con il sequenziamento del "
               "genoma."),
    },
    "Closing panel: next steps for Shenzhen-Italy cooperation": {
        "zh": ("闭幕圆桌：深意合作的下一步",
               "嘉宾们商定具体的后续行动：互访、联合征集和试点项目。"),
        "it": ("Tavola rotonda conclusiva: i prossimi passi della cooperazione Shenzhen-Italia",
               "I relatori concordano azioni concrete: visite, bandi congiunti e progetti "
               "pilota."),
    },
}

# Spoken languages other than English, with interpretation into English.
SPOKEN_LANGUAGES = {
    "Telemedicine for an ageing population": ["it"],
    "AI in the radiology department, one year on": ["zh"],
}

# Questions by their English label: (label, choices) in each language.
QUESTIONS_IN = {
    "Which language do you prefer at the registration desk?": {
        "zh": ("您希望在注册台使用哪种语言？", ["English", "中文", "Italiano"]),
        "it": ("In quale lingua preferisci essere accolto al banco di registrazione?",
               ["English", "中文", "Italiano"]),
    },
    "Which topics interest you most?": {
        "zh": ("您最感兴趣的主题是什么？", ["生物医药", "健康科技", "医学研究", "投资"]),
        "it": ("Quali temi ti interessano di più?",
               ["Biomedicina", "Tecnologie per la salute", "Ricerca medica", "Investimenti"]),
    },
    "Dietary requirements": {
        "zh": ("饮食要求", []),
        "it": ("Esigenze alimentari", []),
    },
    "I would like to join the partnering meetings on day two": {
        "zh": ("我希望参加第二天的合作洽谈", []),
        "it": ("Vorrei partecipare agli incontri di partenariato del secondo giorno", []),
    },
}

# fmt: on


DEMO_ACCENT = "#8c2f39"


def _demo_logo() -> str:
    """A logo drawn for the demo, without words: two overlapping rings (the two sides of the
    exchange) and a bar, on a transparent background; stored as an upload would be."""
    canvas = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.ellipse((20, 20, 180, 180), outline=DEMO_ACCENT, width=22)
    draw.ellipse((120, 20, 280, 180), outline="#0f5c4c", width=22)
    draw.rounded_rectangle((320, 70, 580, 130), radius=30, fill=DEMO_ACCENT)
    upload = io.BytesIO()
    canvas.save(upload, "PNG")
    processed = images.process(upload.getvalue(), images.LOGO)
    return storage.store(processed.data, processed.content_type)


OTHER_LANGUAGES = ("zh", "it")  # the demo's main language is English

# Registration categories: (name, description, capacity, visibility, requires approval),
# then their texts in Chinese and Italian. The delegation is invited: its category is hidden
# and opened by the access code below, which also skips the approval the press needs.
CATEGORIES = [
    (
        "Industry and investors",
        "Companies, investors and business associations.",
        None,
        "public",
        False,
    ),
    (
        "Research and clinical",
        "Universities, hospitals and research institutes.",
        None,
        "public",
        False,
    ),
    (
        "Press",
        "Journalists with a press card; the organizers confirm each request.",
        20,
        "public",
        True,
    ),
    ("Government delegation", "Members of the invited official delegations.", 40, "hidden", False),
]
CATEGORIES_IN = {
    "Industry and investors": {
        "zh": ("企业与投资者", "企业、投资机构和商业协会。"),
        "it": ("Industria e investitori", "Aziende, investitori e associazioni di categoria."),
    },
    "Research and clinical": {
        "zh": ("科研与临床", "高校、医院和科研院所。"),
        "it": ("Ricerca e clinica", "Università, ospedali e istituti di ricerca."),
    },
    "Press": {
        "zh": ("媒体", "持有记者证的媒体人员；主办方将逐一确认。"),
        "it": ("Stampa", "Giornalisti con tesserino; gli organizzatori confermano ogni richiesta."),
    },
    "Government delegation": {
        "zh": ("政府代表团", "受邀官方代表团成员。"),
        "it": ("Delegazione governativa", "Membri delle delegazioni ufficiali invitate."),
    },
}
DELEGATION_CODE = "DELEGATION-SZ"
PRESS_QUESTION = (
    "Which media outlet do you write for?",
    {
        "zh": "您供职于哪家媒体？",
        "it": "Per quale testata scrivi?",
    },
)


def _texts(**texts: str) -> dict[str, str]:
    """Only the texts written (a break has no abstract in any language)."""
    return {field: text for field, text in texts.items() if text}


def _question_texts(label: str, choices: list[str]) -> dict:
    return {"label": label, **({"choices": choices} if choices else {})}


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def load_demo(today: date | None = None) -> Conference | None:
    """Create the demo conference unless it exists; returns it, or None when it was there."""
    if db.session.scalar(sa.select(Conference.id).filter_by(slug=DEMO_SLUG)):
        return None
    today = today or utcnow().date()
    start = today + timedelta(days=60)
    logo_key = _demo_logo()
    with write_transaction():
        conference = Conference(
            slug=DEMO_SLUG,
            title="Transnational Innovation in Biotech: Shenzhen-Italy Healthcare Special",
            description=DESCRIPTION,
            venue="Shenzhen Conference Centre (demo venue)",
            address="Futian District, Shenzhen, Guangdong, China",
            timezone="Asia/Shanghai",
            start_date=start,
            end_date=start + timedelta(days=1),
            capacity=300,
            registration_opens_at=utcnow() - timedelta(days=1),
            registration_closes_at=local_instant(start, time(0, 0), ZoneInfo("Asia/Shanghai")),
            organizer_name="Shenzhen-European Economic and Trade Representative Office",
            organizer_email="events@shenzhen-europe.example.org",
            privacy_notice=PRIVACY_NOTICE,
            main_language="en",
            translations={
                language: {
                    "title": TITLE_IN[language],
                    "description": DESCRIPTION_IN[language],
                    "venue": VENUE_IN[language],
                    "address": ADDRESS_IN[language],
                    "organizer_name": ORGANIZER_IN[language],
                    "privacy_notice": PRIVACY_NOTICE_IN[language],
                }
                for language in OTHER_LANGUAGES
            },
            # A reminder a day ahead and an hour before each session; invites ring 15
            # minutes before.
            conference_reminder_minutes=[24 * 60],
            session_reminder_minutes=[60],
            invite_alarm_minutes=15,
            # Its own look: a deep red (7.4:1 under white text) and a logo drawn below.
            accent_color=DEMO_ACCENT,
            logo_key=logo_key,
            published=True,
        )
        db.session.add(conference)
        rooms = {
            name: Room(
                conference=conference,
                name=name,
                seats=seats,
                position=i,
                translations={lang: {"name": ROOMS_IN[name][lang]} for lang in OTHER_LANGUAGES},
            )
            for i, (name, seats) in enumerate(ROOMS)
        }
        tracks = {
            name: Track(
                conference=conference,
                name=name,
                color=color,
                description=text,
                translations={
                    lang: dict(zip(("name", "description"), TRACKS_IN[name][lang], strict=True))
                    for lang in OTHER_LANGUAGES
                },
            )
            for name, color, text in TRACKS
        }
        speakers = {
            key: Speaker(
                conference=conference,
                name=name,
                title=title,
                affiliation=org,
                bio=bio,
                email=f"{key}@speakers.example.org",
                # Their mail and private pages in their own language.
                language="zh" if key in CHINESE_SPEAKERS else "it",
                translations={
                    lang: dict(zip(("title", "bio"), SPEAKERS_IN[key][lang], strict=True))
                    for lang in OTHER_LANGUAGES
                },
            )
            for key, (name, title, org, bio) in SPEAKERS.items()
        }
        db.session.add_all([*rooms.values(), *tracks.values(), *speakers.values()])
        for position, (label, kind, required, choices) in enumerate(QUESTIONS):
            db.session.add(
                Question(
                    conference=conference,
                    label=label,
                    kind=kind,
                    required=required,
                    choices=choices,
                    position=position,
                    translations={
                        lang: _question_texts(*QUESTIONS_IN[label][lang])
                        for lang in OTHER_LANGUAGES
                    },
                )
            )
        categories = {
            name: RegistrationCategory(
                conference=conference,
                name=name,
                description=description,
                capacity=capacity,
                visibility=visibility,
                requires_approval=approval,
                position=position,
                translations={
                    lang: dict(zip(("name", "description"), CATEGORIES_IN[name][lang], strict=True))
                    for lang in OTHER_LANGUAGES
                },
            )
            for position, (name, description, capacity, visibility, approval) in enumerate(
                CATEGORIES
            )
        }
        db.session.add_all(categories.values())
        db.session.add(
            AccessCode(
                conference=conference,
                code=DELEGATION_CODE,
                category=categories["Government delegation"],
                skips_approval=True,
                note="Handed to the heads of the official delegations",
            )
        )
        label, label_in = PRESS_QUESTION
        db.session.add(
            Question(
                conference=conference,
                label=label,
                kind="short_text",
                required=True,
                choices=[],
                position=len(QUESTIONS),
                category=categories["Press"],
                translations={lang: {"label": label_in[lang]} for lang in OTHER_LANGUAGES},
            )
        )
        db.session.flush()
        tz = conference.tz
        create_sessions(
            audit.SYSTEM,
            conference,
            [
                SessionFields(
                    title=title,
                    abstract=abstract,
                    kind=kind,
                    start_at=local_instant(start + timedelta(days=day), _clock(begin), tz),
                    end_at=local_instant(start + timedelta(days=day), _clock(end), tz),
                    room_id=rooms[room].id if room else None,
                    track_id=tracks[track].id if track else None,
                    capacity=capacity,
                    speaker_ids=[speakers[key].id for key in keys],
                    online_url=ONLINE_LINKS.get(title, ""),
                    translations={
                        lang: _texts(
                            title=SESSIONS_IN[title][lang][0], abstract=SESSIONS_IN[title][lang][1]
                        )
                        for lang in OTHER_LANGUAGES
                    },
                    languages=SPOKEN_LANGUAGES.get(title, ["en"]),
                    interpretation=title in SPOKEN_LANGUAGES,
                )
                for day, begin, end, room, track, kind, title, keys, capacity, abstract in PROGRAMME
            ],
        )
    return conference


def load_synthetic(sessions: int, attendees: int, slug: str | None = None) -> Conference:
    """A large conference for benchmarks: rooms, tracks, speakers and attendees written
    with bulk inserts, the sessions through the schedule's services (seconds for
    thousands)."""
    slug = slug or f"synthetic-{sessions}-{secrets.token_hex(3)}"
    tz = ZoneInfo("Europe/Rome")
    rooms_count = max(1, min(20, sessions // 50))
    per_day_per_room = 16  # 30-minute slots from 09:00
    days = max(1, -(-sessions // (rooms_count * per_day_per_room)))
    start = utcnow().date() + timedelta(days=90)
    with write_transaction():
        conference = Conference(
            slug=slug,
            title=f"Synthetic conference ({sessions} sessions)",
            description="Benchmark data.",
            venue="Benchmark Hall",
            address="Via Esempio 1, Roma",
            timezone=tz.key,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            capacity=None,
            published=True,
            organizer_email="bench@example.org",
        )
        db.session.add(conference)
        db.session.flush()
        room_ids = _insert(
            Room,
            [
                {"conference_id": conference.id, "name": f"Room {i + 1}", "position": i}
                for i in range(rooms_count)
            ],
        )
        colours = ["#b3261e", "#0b5cad", "#1b6e3a", "#7a4cb0"]
        track_ids = _insert(
            Track,
            [
                {"conference_id": conference.id, "name": f"Track {i + 1}", "color": colour}
                for i, colour in enumerate(colours)
            ],
        )
        speaker_ids = _insert(
            Speaker,
            [
                {
                    "conference_id": conference.id,
                    "name": f"Speaker {i + 1}",
                    "affiliation": "Example Institute",
                    "uuid": str(uuid.uuid4()),
                }
                for i in range(max(1, sessions // 2))
            ],
        )
        proposals = []
        for i in range(sessions):
            day, rest = divmod(i, rooms_count * per_day_per_room)
            slot, room = divmod(rest, rooms_count)
            begin = local_instant(start + timedelta(days=day), time(9, 0), tz) + timedelta(
                minutes=30 * slot
            )
            proposals.append(
                SessionFields(
                    title=f"Session {i + 1}",
                    abstract="An abstract for benchmarking.",
                    start_at=begin,
                    end_at=begin + timedelta(minutes=25),
                    room_id=room_ids[room],
                    track_id=track_ids[i % len(track_ids)],
                    speaker_ids=[speaker_ids[i % len(speaker_ids)]],
                )
            )
        create_sessions(audit.SYSTEM, conference, proposals)
        if attendees:
            now = utcnow()
            db.session.execute(
                sa.insert(Registration),
                [
                    {
                        "conference_id": conference.id,
                        "email": f"attendee{i}@example.org",
                        "full_name": f"Attendee {i}",
                        "status": "confirmed",
                        "locale": "en",
                        "token_hash": _random_hash(),
                        "created_at": now,
                        "updated_at": now,
                        "confirmed_at": now,
                    }
                    for i in range(attendees)
                ],
            )
    _refresh_planner_statistics()
    return conference


def _insert(model, rows: list[dict]) -> list[int]:
    return list(
        db.session.scalars(sa.insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    )


def _refresh_planner_statistics() -> None:
    """After a bulk load the query planner still believes the tables are empty, and on
    PostgreSQL picks nested loops that are several times slower; tell it the truth."""
    with write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            tables = ", ".join(
                f'"{model.__tablename__}"'
                for model in (Conference, Room, Track, Speaker, Talk, Registration)
            )
            db.session.execute(sa.text(f"ANALYZE {tables}, talk_speaker"))
        else:
            db.session.execute(sa.text("ANALYZE"))


def _random_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()
