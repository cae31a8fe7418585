"""One attendee for organizers: their page (details, answers, agenda, mail, history),
editing their details (with the invite update to the new address), and adding a
registration by hand."""

import icalendar
import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.invites.events import uid_for
from eventreg.invites.models import CalendarCopy
from eventreg.mail.models import OutboxMessage
from eventreg.registration import services
from eventreg.registration.models import Question, Registration
from tests.conftest import count_queries
from tests.factories import make_conference, make_talk
from tests.organizers.conftest import give_role, log_in, make_user, post_form
from tests.registration.helpers import page_text, parse


def register(conference, name, email, **fields):
    data = services.RegistrationData(full_name=name, email=email, locale="en", **fields)
    registration, _secret, _outcome = services.register(None, conference, data)
    return db.session.get(Registration, registration.id)


def calendar_of(message: OutboxMessage) -> icalendar.Calendar:
    for part in parse(message).walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError(f"no calendar in the {message.kind} message")


def messages(**filters) -> list[OutboxMessage]:
    db.session.commit()
    return list(
        db.session.scalars(sa.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id))
    )


@pytest.fixture
def organizer(app):
    return make_user("organizer@example.org")


@pytest.fixture
def conference(app, client, organizer):
    conference = make_conference(slug="sz", title="Shenzhen Days", capacity=2)
    give_role(organizer, conference)
    log_in(client, organizer)
    return conference


def page_url(conference, registration) -> str:
    return f"/manage/c/{conference.slug}/attendees/{registration.id}"


# --- the page ---------------------------------------------------------------------------------


def test_the_list_links_each_attendee_to_their_page(client, conference):
    registration = register(conference, "李娜", "li@example.org")

    html = client.get(f"/manage/c/{conference.slug}/attendees").text

    assert f'href="{page_url(conference, registration)}"' in html


def test_the_page_shows_details_answers_agenda_mail_and_history(client, conference):
    diet = Question(
        conference=conference, label="Dietary needs", kind="single_choice", choices=["Vegan"]
    )
    db.session.add(diet)
    db.session.commit()
    registration = register(
        conference, "李娜", "li@example.org", affiliation="深圳大学", answers={diet.id: "Vegan"}
    )
    talk = make_talk(conference, title="Rust workshop")
    services.join_session(None, registration, talk)

    response = client.get(page_url(conference, registration))

    assert response.status_code == 200
    text = page_text(response)
    assert "李娜" in text and "li@example.org" in text and "深圳大学" in text
    assert "Confirmed" in text
    assert "Dietary needs Vegan" in text  # the answer under its question's label
    assert "Rust workshop" in text and "Seat" in text
    # Every mail with its kind in words and its delivery state.
    assert "Seat confirmed, with the invite" in text
    assert "Session seat confirmed" in text
    assert "Your seat at Shenzhen Days is confirmed" in text
    assert "Pending" in text
    # The audit trail of this registration, in words.
    assert "Registered" in text and "Session added to the agenda" in text


def test_the_page_shows_the_approval_states(client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")
    db.session.execute(
        sa.update(Registration).where(Registration.id == registration.id).values(status="pending")
    )
    db.session.commit()

    assert "Pending approval" in page_text(client.get(page_url(conference, registration)))


def test_another_conferences_attendee_is_not_found(client, conference):
    other = make_conference(slug="elsewhere")
    stranger = register(other, "Ada Lovelace", "ada@example.org")

    assert client.get(f"/manage/c/{conference.slug}/attendees/{stranger.id}").status_code == 404


def test_the_page_needs_the_organizer_role(app, client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")
    log_in(client, make_user("nobody@example.org"))

    assert client.get(page_url(conference, registration)).status_code in (403, 404)


def test_the_page_takes_a_fixed_number_of_queries(client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")
    services.join_session(None, registration, make_talk(conference, title="First"))
    db.session.commit()
    with count_queries() as few:
        client.get(page_url(conference, registration))
    for n in range(3):
        services.join_session(None, registration, make_talk(conference, title=f"Talk {n}"))
    db.session.commit()
    with count_queries() as more:
        client.get(page_url(conference, registration))

    assert more.count == few.count, "\n".join(more.statements)


# --- editing ----------------------------------------------------------------------------------


def edit(client, conference, registration, **fields):
    values = {
        "full_name": registration.full_name,
        "email": registration.email,
        "affiliation": registration.affiliation,
        "country": registration.country,
        "locale": registration.locale,
        **fields,
    }
    return post_form(client, page_url(conference, registration) + "/edit", values)


def test_a_new_address_gets_the_invite_again_as_an_update(client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")
    recipient = f"registration:{registration.id}"
    uid = uid_for(conference.uuid)
    first = db.session.get(CalendarCopy, (recipient, uid)).sequence

    response = edit(client, conference, registration, email="ada.new@example.org")

    assert response.status_code == 302
    updates = messages(kind="details_updated")
    assert [message.recipient for message in updates] == ["ada.new@example.org"]
    event = calendar_of(updates[0]).walk("VEVENT")[0]
    assert calendar_of(updates[0])["METHOD"] == "REQUEST"
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == first + 1
    assert "ada.new@example.org" in str(event["ATTENDEE"])
    assert db.session.get(CalendarCopy, (recipient, uid)).sequence == first + 1


def test_a_new_name_updates_each_session_invite_they_hold(client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")
    talk = make_talk(conference, title="Rust workshop")
    services.join_session(None, registration, talk)

    edit(client, conference, registration, full_name="Ada King")

    updates = messages(kind="details_updated")
    uids = sorted(str(calendar_of(m).walk("VEVENT")[0]["UID"]) for m in updates)
    assert uids == sorted([uid_for(conference.uuid), uid_for(talk.uuid)])
    assert all(
        "Ada King" in str(calendar_of(m).walk("VEVENT")[0]["ATTENDEE"].params["CN"])
        for m in updates
    )


def test_someone_waiting_holds_no_invite_and_gets_none(client, conference):
    register(conference, "One", "one@example.org")
    register(conference, "Two", "two@example.org")
    waiting = register(conference, "Three", "three@example.org")
    assert waiting.status == "waiting"

    edit(client, conference, waiting, email="three.new@example.org")

    assert messages(kind="details_updated") == []
    assert db.session.get(Registration, waiting.id).email == "three.new@example.org"


def test_a_change_of_affiliation_only_sends_nothing(client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")

    edit(client, conference, registration, affiliation="Analytical Engines")

    assert messages(kind="details_updated") == []


def test_the_edit_is_audited_field_by_field(client, conference, organizer):
    registration = register(conference, "Li Na", "li@example.org")

    edit(client, conference, registration, full_name="李娜", affiliation="深圳大学")

    entry = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="registration.updated", object_id=registration.id)
    ).one()
    assert entry.actor == organizer.email
    assert entry.before == {"full_name": "Li Na", "affiliation": ""}
    assert entry.after == {"full_name": "李娜", "affiliation": "深圳大学"}


def test_an_address_already_registered_is_refused_with_a_message(client, conference):
    register(conference, "Ada Lovelace", "ada@example.org")
    other = register(conference, "Grace Hopper", "grace@example.org")

    response = edit(client, conference, other, email="ADA@example.org", full_name="Grace H.")

    assert response.status_code == 400
    assert "Another registration of this conference already uses" in page_text(response)
    db.session.commit()
    unchanged = db.session.get(Registration, other.id)
    assert (unchanged.email, unchanged.full_name) == ("grace@example.org", "Grace Hopper")


def test_a_bad_address_is_refused(client, conference):
    registration = register(conference, "Ada Lovelace", "ada@example.org")

    response = edit(client, conference, registration, email="not an address")

    assert response.status_code == 400
    assert "This is not a valid e-mail address" in page_text(response)


# --- adding by hand ---------------------------------------------------------------------------


def add(client, conference, **fields):
    values = {
        "full_name": "Marco Bianchi",
        "email": "marco@example.org",
        "affiliation": "",
        "country": "IT",
        "locale": "it",
        "send_mail": "y",
        **fields,
    }
    values = {name: value for name, value in values.items() if value is not None}
    return post_form(client, f"/manage/c/{conference.slug}/attendees/new", values)


def test_a_registration_added_by_hand_gets_the_usual_confirmation(client, conference, organizer):
    response = add(client, conference)

    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration).filter_by(email="marco@example.org"))
    assert response.location.endswith(page_url(conference, registration))
    assert (registration.status, registration.locale, registration.country) == (
        "confirmed",
        "it",
        "IT",
    )
    assert [m.kind for m in messages(registration_id=registration.id)] == ["registration_confirmed"]
    created = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="registration.created", object_id=registration.id)
    ).one()
    assert created.actor == organizer.email


def test_a_full_conference_puts_the_hand_added_on_the_waiting_list(client, conference):
    register(conference, "One", "one@example.org")
    register(conference, "Two", "two@example.org")

    add(client, conference)

    registration = db.session.scalar(sa.select(Registration).filter_by(email="marco@example.org"))
    assert registration.status == "waiting"


def test_without_mail_nothing_is_sent(client, conference):
    add(client, conference, send_mail=None)

    registration = db.session.scalar(sa.select(Registration).filter_by(email="marco@example.org"))
    assert registration.status == "confirmed"
    assert messages(registration_id=registration.id) == []
    assert db.session.scalars(
        sa.select(AuditEntry.action)
        .filter_by(object_type="registration", object_id=registration.id)
        .order_by(AuditEntry.id)
    ).all() == ["registration.created", "registration.added_without_mail"]


def test_adding_an_address_already_registered_says_so(client, conference):
    register(conference, "Marco Bianchi", "marco@example.org")

    response = add(client, conference, email="Marco@example.org")

    assert response.status_code == 400
    assert "marco@example.org is already registered" in page_text(response).lower()
    assert len(messages()) == 1  # only the first registration's confirmation
