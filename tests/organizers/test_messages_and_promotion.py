"""Attendee actions of the workspace: promoting a chosen waiting attendee, and writing to
attendees with each message's delivery followed."""

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Broadcast, Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import deliver, html_body, text_body, to
from tests.organizers.conftest import give_role, log_in, make_user


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app) -> Conference:
    return make_conference(slug="rome", capacity=1)


@pytest.fixture
def organizer_client(client, conference):
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    log_in(client, organizer)
    return client


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def token_from_list(client) -> str:
    return csrf_token_from(client.get("/manage/c/rome/attendees").text)


# --- promoting ------------------------------------------------------------------------------


def test_promoting_out_of_turn_when_full_needs_an_added_seat(organizer_client, conference):
    make_registration(conference, email="seated@example.org")
    first = make_registration(conference, email="first@example.org", status="waiting")
    chosen = make_registration(conference, email="chosen@example.org", status="waiting")
    page = organizer_client.get("/manage/c/rome/attendees")
    assert "Add a seat and promote" in page.text
    path = f"/manage/c/rome/attendees/{chosen.id}/promote"

    refused = organizer_client.post(path, data={"csrf_token": csrf_token_from(page.text)})
    assert refused.status_code == 302
    assert db.session.get(Registration, chosen.id).status == "waiting"
    assert db.session.get(Conference, conference.id).capacity == 1
    assert outbox() == []

    organizer_client.post(
        path, data={"csrf_token": token_from_list(organizer_client), "add_seat": "yes"}
    )

    db.session.rollback()
    assert db.session.get(Registration, chosen.id).status == "confirmed"
    assert db.session.get(Registration, first.id).status == "waiting"
    assert db.session.get(Conference, conference.id).capacity == 2
    assert [(m.kind, m.recipient) for m in outbox()] == [
        ("registration_promoted", "chosen@example.org")
    ]
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="registration.promoted"))
    assert entry.before == {"status": "waiting", "capacity": 1}
    assert entry.after == {"status": "confirmed", "capacity": 2}


def test_without_a_limit_a_chosen_attendee_is_promoted_as_is(organizer_client, conference):
    conference.capacity = None
    db.session.commit()
    chosen = make_registration(conference, email="chosen@example.org", status="waiting")

    organizer_client.post(
        f"/manage/c/rome/attendees/{chosen.id}/promote",
        data={"csrf_token": token_from_list(organizer_client)},
    )

    db.session.rollback()
    assert db.session.get(Registration, chosen.id).status == "confirmed"
    assert db.session.get(Conference, conference.id).capacity is None


def test_promoting_someone_no_longer_waiting_changes_nothing(organizer_client, conference):
    seated = make_registration(conference, email="seated@example.org")

    response = organizer_client.post(
        f"/manage/c/rome/attendees/{seated.id}/promote",
        data={"csrf_token": token_from_list(organizer_client), "add_seat": "yes"},
        follow_redirects=True,
    )

    assert "is no longer waiting" in response.text
    assert db.session.get(Conference, conference.id).capacity == 1
    assert outbox() == []


# --- messages -------------------------------------------------------------------------------


def send(client, **data):
    page = client.get("/manage/c/rome/messages")
    return client.post(
        "/manage/c/rome/messages",
        data={"csrf_token": csrf_token_from(page.text), "confirmed": "yes", **data},
    )


def test_a_message_to_all_queues_one_copy_per_confirmed_attendee(
    organizer_client, conference, smtp_server
):
    conference.capacity = None
    db.session.commit()
    make_registration(conference, email="ana@example.org", full_name="Ana")
    make_registration(conference, email="bo@example.org", full_name="Bo")
    make_registration(conference, email="wait@example.org", status="waiting")
    make_registration(conference, email="gone@example.org", status="cancelled")
    make_registration(conference, email=None, full_name="Erased")

    response = send(
        organizer_client,
        audience="all",
        subject="Shuttle times",
        body="The bus leaves at 8:00.\n\n<b>Bring</b> your badge & ID.",
    )

    assert response.status_code == 302
    rows = outbox()
    assert sorted(row.recipient for row in rows) == ["ana@example.org", "bo@example.org"]
    assert {row.kind for row in rows} == {"organizer_message"}
    broadcast = db.session.scalar(sa.select(Broadcast))
    assert broadcast.recipient_count == 2
    page = organizer_client.get("/manage/c/rome/messages")
    assert '<td class="number">2</td><td class="number">0</td>' in page.text  # 2 pending

    messages = deliver(smtp_server)

    ana = to(messages, "ana@example.org")[0]
    assert ana["Subject"] == f"{conference.title}: Shuttle times"
    assert "Dear Ana," in text_body(ana)
    assert "<b>Bring</b> your badge & ID." in text_body(ana)
    assert "&lt;b&gt;Bring&lt;/b&gt; your badge &amp; ID." in html_body(ana)
    detail = organizer_client.get(f"/manage/c/rome/messages/{broadcast.id}")
    assert detail.text.count("<td>Sent</td>") == 2
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="message.sent"))
    assert entry.after["recipients"] == 2


def test_a_message_to_a_session_goes_to_its_seat_holders_only(organizer_client, conference):
    conference.capacity = None
    db.session.commit()
    talk = make_talk(conference, title="CAR-T workshop")
    seated = make_registration(conference, email="seat@example.org")
    add_signup(seated, talk)
    add_signup(make_registration(conference, email="queue@example.org"), talk, "waiting")
    make_registration(conference, email="elsewhere@example.org")

    send(
        organizer_client,
        audience=f"session:{talk.id}",
        subject="Room change",
        body="Room 2 instead.",
    )

    assert [row.recipient for row in outbox()] == ["seat@example.org"]


def test_failed_copies_are_counted_and_listed(organizer_client, conference, smtp_server):
    make_registration(conference, email="ana@example.org")
    send(organizer_client, audience="all", subject="Hello", body="Welcome.")
    smtp_server.refuse("550 5.1.1 No such mailbox")

    deliver(smtp_server)

    broadcast = db.session.scalar(sa.select(Broadcast))
    page = organizer_client.get("/manage/c/rome/messages")
    assert '<td class="number failed">1</td>' in page.text
    detail = organizer_client.get(f"/manage/c/rome/messages/{broadcast.id}")
    assert "<td>Failed</td>" in detail.text and "No such mailbox" in detail.text


def test_an_empty_message_or_audience_is_refused_and_nothing_is_queued(
    organizer_client, conference
):
    empty = send(organizer_client, audience="all", subject="Hello", body="   ")
    nobody = send(organizer_client, audience="all", subject="Hello", body="Welcome.")

    assert empty.status_code == 400
    assert nobody.status_code == 400
    assert "Nobody would receive this message" in nobody.text
    assert outbox() == []
    assert db.session.scalar(sa.select(Broadcast)) is None


def test_another_conferences_message_is_not_found_through_ones_own(client, conference):
    broadcast = Broadcast(conference=conference, sender="x@example.org", subject="S", body="B")
    db.session.add(broadcast)
    db.session.commit()
    other = make_conference(slug="other")
    stranger = make_user("stranger@example.org")
    give_role(stranger, other)
    log_in(client, stranger)

    assert client.get(f"/manage/c/other/messages/{broadcast.id}").status_code == 404
