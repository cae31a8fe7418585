"""A small programme that organizer tests (web and API) change: a workshop in the Lab with a
speaker and two seat holders, a keynote by another speaker in the Hall, and a closing
session on day two (so moving the workshop leaves the conference's own span as it is)."""

from datetime import date

from tests.factories import make_conference, make_room, make_speaker, make_talk
from tests.mail.builders import add_signup, make_registration

DAY_ONE, DAY_TWO = date(2027, 3, 27), date(2027, 3, 28)


def build_programme(slug: str, **conference_fields) -> dict:
    conference = make_conference(
        slug=slug,
        timezone="Europe/Rome",
        start_date=DAY_ONE,
        end_date=DAY_TWO,
        **conference_fields,
    )
    lab, hall = make_room(conference, name="Lab"), make_room(conference, name="Hall")
    li_na = make_speaker(conference, name="Li Na", email="li.na@example.org")
    rossi = make_speaker(conference, name="Giulia Rossi", email="rossi@example.org")
    workshop = make_talk(
        conference,
        title="CAR-T workshop",
        day=DAY_ONE,
        start="11:00",
        end="12:00",
        room=lab,
        speakers=[li_na],
        capacity=2,
    )
    keynote = make_talk(
        conference,
        title="Opening keynote",
        day=DAY_ONE,
        start="09:00",
        end="10:00",
        room=hall,
        speakers=[rossi],
    )
    make_talk(conference, title="Closing", day=DAY_TWO, start="17:00", end="18:00")
    for n in (1, 2):
        add_signup(make_registration(conference, email=f"seat{n}@example.org"), workshop)
    return {
        "conference": conference,
        "lab": lab,
        "hall": hall,
        "li_na": li_na,
        "rossi": rossi,
        "workshop": workshop,
        "keynote": keynote,
    }
