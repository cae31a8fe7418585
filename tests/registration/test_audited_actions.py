"""What attendees do through the public forms and their private link is one transaction
each: the change, its e-mails and promotions, and exactly one audit entry by "attendee".
A refused action writes nothing; erasure leaves the person's name nowhere in the log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.registration.helpers import (
    database_state,
    fill_registration,
    register,
    register_url,
    submit,
)


class Attendee:
    """A registration and its private link."""

    def __init__(self, conference, **fields):
        token = new_token()
        self.registration = make_registration(conference, token_hash=hash_token(token), **fields)
        self.link = f"/c/{conference.slug}/manage/{token}"


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", title="Rome Days", capacity=1)


@pytest.fixture
def workshop(conference):
    return make_talk(conference, title="Workshop", capacity=1)


def entries() -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def outbox_kinds() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def test_registering_writes_the_registration_its_mail_and_one_entry(client, conference):
    response = register(client, conference, full_name="Ada Lovelace", email="ada@example.org")

    assert response.status_code == 303
    [entry] = entries()
    registration = db.session.scalar(sa.select(Registration))
    assert (entry.action, entry.actor, entry.object_id) == (
        "registration.created",
        "attendee",
        registration.id,
    )
    assert (entry.summary, entry.after) == ("Ada Lovelace", {"status": "confirmed"})
    assert outbox_kinds() == ["registration_confirmed"]


def test_registering_again_and_resending_the_link_write_one_entry_each(client, conference):
    Attendee(conference, email="ada@example.org", full_name="Ada Lovelace")

    register(client, conference, full_name="Ada", email="ADA@example.org")
    submit(client, f"/c/{conference.slug}/resend", "/resend", email="ada@example.org")
    submit(client, f"/c/{conference.slug}/resend", "/resend", email="nobody@example.org")

    assert [(entry.action, entry.actor) for entry in entries()] == [
        ("registration.registered_again", "attendee"),
        ("registration.link_resent", "attendee"),
    ]
    assert outbox_kinds() == ["registration_again", "management_link"]


def test_cancelling_promotes_and_writes_one_entry(client, conference, workshop):
    seated = Attendee(conference, full_name="Giulia Rossi")
    add_signup(seated.registration, workshop)
    waiting = make_registration(conference, status="waiting", queued_at=utcnow())

    response = submit(client, seated.link + "/cancel", "/cancel")

    assert response.status_code == 303
    [entry] = entries()
    assert (entry.action, entry.actor) == ("registration.cancelled", "attendee")
    assert (entry.before, entry.after) == ({"status": "confirmed"}, {"status": "cancelled"})
    assert entry.summary == "Giulia Rossi — 1 promoted from the waiting list"
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert outbox_kinds() == [
        "registration_cancelled",
        "registration_cancelled_session",
        "registration_promoted",
    ]


def test_joining_a_session_writes_one_entry(client, conference, workshop):
    person = Attendee(conference, full_name="Giulia Rossi")

    submit(client, person.link, f"/sessions/{workshop.id}/join")

    [entry] = entries()
    assert (entry.action, entry.actor, entry.summary) == (
        "registration.session_joined",
        "attendee",
        "Giulia Rossi: Workshop",
    )
    assert entry.after == {"talk_id": workshop.id, "status": "confirmed"}
    assert outbox_kinds() == ["session_confirmed"]


def test_leaving_a_session_promotes_its_next_in_line_with_one_entry(client, conference, workshop):
    person = Attendee(conference, full_name="Giulia Rossi")
    add_signup(person.registration, workshop)
    next_in_line = make_registration(conference)
    add_signup(next_in_line, workshop, status="waiting")

    submit(client, person.link, f"/sessions/{workshop.id}/leave")

    [entry] = entries()
    assert (entry.action, entry.before) == (
        "registration.session_left",
        {"talk_id": workshop.id, "status": "confirmed"},
    )
    assert entry.summary == "Giulia Rossi: Workshop — 1 promoted from the waiting list"
    assert outbox_kinds() == ["session_left", "session_promoted"]


def test_editing_details_names_the_changed_fields_not_their_values(client, conference):
    person = Attendee(conference, full_name="Giulia Rossi", affiliation="Pavia")

    submit(client, person.link + "/details", "/details", affiliation="Milano")
    submit(client, person.link + "/details", "/details")  # nothing changed: no entry

    [entry] = entries()
    assert (entry.action, entry.actor) == ("registration.updated", "attendee")
    assert entry.after == {"changed": ["affiliation"]}
    assert "Milano" not in repr((entry.summary, entry.before, entry.after))


def test_erasing_writes_one_entry_without_the_name_and_anonymises_the_earlier_ones(
    client, conference, workshop
):
    person = Attendee(conference, full_name="Giulia Rossi", email="giulia@example.org")
    waiting = make_registration(conference, status="waiting", queued_at=utcnow())
    submit(client, person.link, f"/sessions/{workshop.id}/join")
    before = len(entries())

    response = submit(client, person.link + "/erase", "/erase")

    assert response.status_code == 303
    log = entries()
    assert len(log) == before + 1
    erased = log[-1]
    number = person.registration.id
    assert (erased.action, erased.actor, erased.object_id) == (
        "registration.erased",
        "attendee",
        number,
    )
    assert erased.summary == f"registration #{number} — 1 promoted from the waiting list"
    assert all("Giulia" not in repr((e.summary, e.before, e.after)) for e in log)
    assert [e.summary for e in log[:-1]] == [f"registration #{number}"]
    assert db.session.get(Registration, waiting.id).status == "confirmed"


# --- refused -----------------------------------------------------------------------------


def test_registering_when_registration_has_closed_writes_nothing(client, conference):
    data = fill_registration(client, conference, email="late@example.org")
    conference.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    state = database_state()

    response = client.post(register_url(conference), data=data)

    assert response.status_code == 403
    assert "Registration is closed" in response.text
    assert database_state() == state


@pytest.mark.parametrize(
    ("situation", "message"),
    [
        ("waiting", "You can pick sessions once you hold a seat"),
        ("cancelled session", "This session cannot be added to an agenda."),
        ("over", "The conference is over: the agenda can no longer change."),
    ],
)
def test_a_refused_session_pick_writes_nothing_and_says_why(
    client, conference, workshop, situation, message
):
    person = Attendee(conference, status="waiting" if situation == "waiting" else "confirmed")
    token = csrf_token_from(client.get(person.link + "/details").text)
    if situation == "cancelled session":
        workshop.status = "cancelled"
    if situation == "over":
        conference.start_date = conference.end_date = utcnow().date() - timedelta(days=3)
    db.session.commit()
    state = database_state()

    response = client.post(
        f"{person.link}/sessions/{workshop.id}/join",
        data={"csrf_token": token},
        follow_redirects=True,
    )

    assert message in response.text.replace("&#39;", "'")
    assert database_state() == state


def test_a_session_id_no_table_can_hold_is_not_found(client, conference):
    person = Attendee(conference)
    token = csrf_token_from(client.get(person.link + "/details").text)
    beyond = 10**20

    joined = client.post(f"{person.link}/sessions/{beyond}/join", data={"csrf_token": token})
    feed = client.get(f"/c/{conference.slug}/sessions/{beyond}.ics")

    assert (joined.status_code, feed.status_code) == (404, 404)
