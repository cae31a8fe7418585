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
from eventreg.registration.models import Question, Registration
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
to meet between sessions. Talks are given in English; the organizers help in Chinese and Italian \
at the registration desk."""

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
            name: Room(conference=conference, name=name, seats=seats, position=i)
            for i, (name, seats) in enumerate(ROOMS)
        }
        tracks = {
            name: Track(conference=conference, name=name, color=color, description=text)
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
