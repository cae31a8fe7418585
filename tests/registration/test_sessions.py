"""Picking sessions on the management page: session capacity, waiting lists, clashes."""

import sqlalchemy as sa

from eventreg.core.extensions import db
from eventreg.registration import services
from eventreg.registration.models import SessionSignup
from tests.factories import make_conference, make_room, make_talk
from tests.registration.helpers import (
    latest_link_for,
    outbox,
    page_text,
    post_action,
    post_form,
    register,
    registration_by_email,
)


def attendee(app, conference, name: str) -> tuple:
    """A registered attendee: (their own test client, their management link)."""
    client = app.test_client()
    address = f"{name}@example.org"
    assert register(client, conference, full_name=name, email=address).status_code == 303
    return client, latest_link_for(address)


def join(client, link: str, talk):
    return post_action(client, link, f"/sessions/{talk.id}/join")


def leave(client, link: str, talk):
    return post_action(client, link, f"/sessions/{talk.id}/leave")


def signup_statuses(talk) -> dict[str, str]:
    db.session.expire_all()
    signups = db.session.scalars(sa.select(SessionSignup).filter_by(talk_id=talk.id))
    return {signup.registration.full_name: signup.status for signup in signups}


def test_a_workshop_gives_seats_then_waiting_places(app):
    conference = make_conference()
    workshop = make_talk(conference, title="Wound-healing lab", kind="workshop", capacity=2)
    people = {name: attendee(app, conference, name) for name in ("ada", "bruno", "chen", "dario")}

    for client, link in people.values():
        assert join(client, link, workshop).status_code == 303

    assert signup_statuses(workshop) == {
        "ada": "confirmed",
        "bruno": "confirmed",
        "chen": "waiting",
        "dario": "waiting",
    }
    client, link = people["dario"]
    page = page_text(client.get(link))
    assert "Waiting list: you are number 2" in page
    kinds = [message.kind for message in outbox() if message.kind.startswith("session_")]
    assert kinds == ["session_confirmed"] * 2 + ["session_waiting"] * 2


def test_the_picker_shows_seats_left_and_full_sessions(app):
    conference = make_conference()
    make_talk(conference, title="Open keynote", kind="keynote")
    workshop = make_talk(conference, title="Small workshop", kind="workshop", capacity=1)
    make_talk(conference, title="Coffee", kind="break")
    client, link = attendee(app, conference, "ada")
    other_client, other_link = attendee(app, conference, "bruno")

    before = page_text(other_client.get(other_link))
    join(client, link, workshop)
    after = page_text(other_client.get(other_link))

    assert "1 seat left" in before
    assert "Full: 0 waiting" in after
    assert "Join the waiting list" in after
    assert "Open keynote" in after
    assert "Coffee" not in after  # breaks are not picked


def test_leaving_a_session_promotes_the_next_in_line(app):
    conference = make_conference()
    workshop = make_talk(conference, kind="workshop", capacity=1)
    ada, bruno, chen = (attendee(app, conference, name) for name in ("ada", "bruno", "chen"))
    for client, link in (ada, bruno, chen):
        join(client, link, workshop)

    response = leave(*ada, workshop)

    assert response.status_code == 303
    assert signup_statuses(workshop) == {"bruno": "confirmed", "chen": "waiting"}
    [promotion] = outbox(kind="session_promoted")
    assert promotion.registration_id == registration_by_email("bruno@example.org").id
    assert (
        outbox(kind="session_left")[0].registration_id
        == registration_by_email("ada@example.org").id
    )
    assert "Waiting list: you are number 1" in page_text(chen[0].get(chen[1]))


def test_cancelling_the_registration_frees_its_session_seats(app):
    conference = make_conference()
    workshop = make_talk(conference, kind="workshop", capacity=1)
    ada, bruno = attendee(app, conference, "ada"), attendee(app, conference, "bruno")
    join(*ada, workshop)
    join(*bruno, workshop)

    post_form(ada[0], ada[1] + "/cancel")

    assert signup_statuses(workshop) == {"bruno": "confirmed"}
    assert len(outbox(kind="session_promoted")) == 1


def test_raising_a_session_capacity_promotes_its_waiting_list(app):
    conference = make_conference()
    workshop = make_talk(conference, kind="workshop", capacity=0)
    for name in ("ada", "bruno", "chen"):
        join(*attendee(app, conference, name), workshop)

    services.set_talk_capacity(workshop, 2)

    assert signup_statuses(workshop) == {
        "ada": "confirmed",
        "bruno": "confirmed",
        "chen": "waiting",
    }


def test_overlapping_picks_are_allowed_and_shown_as_a_clash(app):
    conference = make_conference()
    room_a, room_b = make_room(conference, name="Hall A"), make_room(conference, name="Hall B")
    genomics = make_talk(conference, title="Genomics", start="10:00", end="11:00", room=room_a)
    devices = make_talk(conference, title="Devices", start="10:30", end="11:30", room=room_b)
    after = make_talk(conference, title="Later", start="11:30", end="12:00", room=room_a)
    client, link = attendee(app, conference, "ada")

    for talk in (genomics, devices, after):
        assert join(client, link, talk).status_code == 303

    html = client.get(link).get_data(as_text=True)
    assert signup_statuses(genomics) == {"ada": "confirmed"}
    assert signup_statuses(devices) == {"ada": "confirmed"}
    clashes = services.find_clashes([genomics, devices, after])
    assert {talk_id: [t.title for t in talks] for talk_id, talks in clashes.items()} == {
        genomics.id: ["Devices"],
        devices.id: ["Genomics"],
    }
    text = page_text(client.get(link))
    assert "overlaps with Devices in your agenda" in text
    assert "overlaps with Genomics in your agenda" in text
    later_item = html.split(f'id="session-{after.id}"')[1].split("</li>")[0]
    assert "Clash" not in later_item  # ending as another starts is no clash


def test_only_confirmed_attendees_can_pick_sessions(app):
    conference = make_conference(capacity=1)
    workshop = make_talk(conference, kind="workshop")
    attendee(app, conference, "ada")
    client, link = attendee(app, conference, "bruno")  # waiting for a conference seat
    talk_id = workshop.id

    response = join(client, link, workshop)

    assert response.status_code == 303
    assert "once you hold a seat" in page_text(client.get(response.headers["Location"]))
    assert signup_statuses(db.session.get(type(workshop), talk_id)) == {}


def test_cancelled_sessions_and_breaks_cannot_be_picked(app):
    conference = make_conference()
    cancelled = make_talk(conference, status="cancelled")
    coffee = make_talk(conference, kind="break")
    client, link = attendee(app, conference, "ada")

    for talk in (cancelled, coffee):
        response = post_action(client, link, f"/sessions/{talk.id}/join")
        assert response.status_code == 303
        assert "cannot be added" in page_text(client.get(response.headers["Location"]))
        assert signup_statuses(talk) == {}


def test_a_session_of_another_conference_is_not_found(app):
    conference = make_conference()
    elsewhere = make_talk(make_conference())
    client, link = attendee(app, conference, "ada")

    assert join(client, link, elsewhere).status_code == 404


def test_joining_twice_keeps_one_place(app):
    conference = make_conference()
    workshop = make_talk(conference, capacity=5)
    client, link = attendee(app, conference, "ada")

    join(client, link, workshop)
    join(client, link, workshop)

    assert signup_statuses(workshop) == {"ada": "confirmed"}
    assert len(outbox(kind="session_confirmed")) == 1
