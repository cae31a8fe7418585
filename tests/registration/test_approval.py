"""Conferences that review registrations: people wait as pending (no seat, no waiting
place), organizers approve under the never-overbook rules or reject with a kind word."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.errors import Conflict
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import approval, broadcasts, checkin, services
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.invites.test_feeds import agenda_url
from tests.organizers.conftest import give_role, log_in, make_user
from tests.registration.helpers import (
    latest_link_for,
    outbox,
    page_text,
    parse,
    post_action,
    readable_text,
    register,
    registration_by_email,
)
from tests.registration.test_concurrency import BARRIER_TIMEOUT, end_snapshot, run_threads


def has_calendar(message: OutboxMessage) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in parse(message).walk())


def kinds(conference) -> Counter:
    return Counter(message.kind for message in outbox(conference_id=conference.id))


def audit_actions(registration_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .filter_by(object_type="registration", object_id=registration_id)
            .order_by(AuditEntry.id)
        )
    )


def pending_people(app, conference, number: int) -> list[int]:
    ids = []
    for n in range(number):
        address = f"person{n}@example.org"
        assert register(app.test_client(), conference, email=address).status_code == 303
        ids.append(registration_by_email(address).id)
    return ids


def test_a_registration_waits_as_pending_holding_nothing_and_is_told_without_an_invite(app):
    conference = make_conference(capacity=1, requires_approval=True)

    response = register(app.test_client(), conference, email="ada@example.org")

    assert response.status_code == 303
    ada = registration_by_email("ada@example.org")
    assert ada.status == "pending" and ada.confirmed_at is None and ada.decided_at is None
    assert services.seat_counts(conference.id) == {"confirmed": 0, "waiting": 0}
    assert services.waiting_position(ada) is None
    [message] = outbox(registration_id=ada.id)
    assert message.kind == "registration_pending"
    assert not has_calendar(message)
    text = readable_text(message)
    assert "waiting for their approval" in text and "do not hold a seat yet" in text
    assert latest_link_for("ada@example.org")  # the management link is in it
    assert audit_actions(ada.id) == ["registration.created"]


def test_the_form_says_registrations_are_reviewed_and_the_done_page_says_pending(app):
    reviewed = make_conference(requires_approval=True)
    open_one = make_conference()
    client = app.test_client()

    assert "The organizers review every registration" in page_text(
        client.get(f"/c/{reviewed.slug}/register")
    )
    assert "review every registration" not in page_text(client.get(f"/c/{open_one.slug}/register"))
    done = client.get(register(client, reviewed).headers["Location"])
    assert "Your registration is pending" in page_text(done)


def test_pending_people_see_their_state_and_can_withdraw_without_a_calendar_cancel(app):
    conference = make_conference(capacity=5, requires_approval=True)
    client = app.test_client()
    register(client, conference)
    link = latest_link_for("ada@example.org")

    page = page_text(client.get(link))
    assert "waiting for the organizers' approval" in page
    assert "Your check-in code" not in page and "Add to your calendar" not in page

    response = post_action(client, link, "/cancel")

    assert response.status_code == 303
    ada = registration_by_email("ada@example.org")
    assert ada.status == "cancelled"
    withdrawn = outbox(registration_id=ada.id)[-1]
    assert withdrawn.kind == "registration_withdrawn" and not has_calendar(withdrawn)
    assert kinds(conference) == Counter(registration_pending=1, registration_withdrawn=1)


def test_approving_more_people_than_seats_gives_seats_then_waiting_places_in_order(app):
    conference = make_conference(capacity=2, requires_approval=True)
    ids = pending_people(app, conference, 4)
    organizer = make_user("organizer@example.org")

    decision = approval.approve(organizer, conference, reversed(ids))

    end_snapshot()
    rows = {row.id: row for row in db.session.scalars(sa.select(Registration))}
    # First come, first served, whatever order the boxes were ticked in.
    assert [rows[i].status for i in ids] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert [services.waiting_position(rows[i]) for i in ids[2:]] == [1, 2]
    assert all(rows[i].decided_at is not None for i in ids)
    assert (len(decision.confirmed), len(decision.waiting), decision.skipped) == (2, 2, [])
    messages = {m.registration_id: m for m in outbox(kind="registration_confirmed")}
    assert set(messages) == set(ids[:2])
    assert all(has_calendar(message) for message in messages.values())
    waiting = outbox(kind="registration_waiting")
    assert {m.registration_id for m in waiting} == set(ids[2:])
    assert not any(has_calendar(message) for message in waiting)
    assert "in position 2" in readable_text(waiting[-1])
    # The mail's link opens the person's page, which now shows the seat.
    assert "You have a seat." in page_text(
        app.test_client().get(latest_link_for("person0@example.org"))
    )
    entry = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="registration.approved", object_id=ids[3])
    ).one()
    assert (entry.before, entry.after) == ({"status": "pending"}, {"status": "waiting"})
    assert entry.user_id == organizer.id


def test_rejecting_sends_a_kind_message_without_invite_and_frees_nothing(app):
    conference = make_conference(capacity=1, requires_approval=True)
    [ada_id, bruno_id] = pending_people(app, conference, 2)
    approval.approve(None, conference, [ada_id])

    decision = approval.reject(None, conference, [bruno_id, ada_id])

    assert [r.id for r in decision.rejected] == [bruno_id]
    assert decision.skipped == [ada_id]  # she holds her seat: a rejection is for the pending
    end_snapshot()
    assert db.session.get(Registration, bruno_id).status == "rejected"
    assert db.session.get(Registration, ada_id).status == "confirmed"
    assert services.seat_counts(conference.id) == {"confirmed": 1, "waiting": 0}
    [message] = outbox(kind="registration_rejected")
    assert message.registration_id == bruno_id and not has_calendar(message)
    assert "could not accept your registration" in readable_text(message)
    assert audit_actions(bruno_id) == ["registration.created", "registration.rejected"]


def test_a_rejection_stands_registering_again_or_cancelling_changes_nothing(app):
    conference = make_conference(requires_approval=True)
    [ada_id] = pending_people(app, conference, 1)
    approval.reject(None, conference, [ada_id])
    link = latest_link_for("person0@example.org")
    client = app.test_client()

    again = register(client, conference, email="person0@example.org")
    cancel = post_action(client, link, "/cancel")

    assert again.status_code == cancel.status_code == 303
    assert registration_by_email("person0@example.org").status == "rejected"
    message = outbox(kind="registration_again")[-1]
    assert "could not accept your registration" in readable_text(message)
    assert "could not accept your registration" in page_text(client.get(link))


def test_registering_again_while_pending_keeps_the_place_in_the_review(app):
    conference = make_conference(requires_approval=True)
    [ada_id] = pending_people(app, conference, 1)

    register(app.test_client(), conference, email="PERSON0@example.org", full_name="Eve")

    ada = registration_by_email("person0@example.org")
    assert (ada.id, ada.status) == (ada_id, "pending")
    assert "waiting for the organizers' approval" in readable_text(
        outbox(kind="registration_again")[-1]
    )


def test_a_rejected_person_may_be_approved_after_all(app):
    conference = make_conference(requires_approval=True)
    [ada_id] = pending_people(app, conference, 1)
    approval.reject(None, conference, [ada_id])

    decision = approval.approve(None, conference, [ada_id])

    assert [r.id for r in decision.confirmed] == [ada_id]
    assert registration_by_email("person0@example.org").status == "confirmed"


def test_approving_twice_or_another_conferences_registration_is_skipped(app):
    conference = make_conference(requires_approval=True)
    other = make_conference(requires_approval=True)
    [ada_id] = pending_people(app, conference, 1)
    register(app.test_client(), other, email="zed@example.org")
    zed_id = registration_by_email("zed@example.org").id
    approval.approve(None, conference, [ada_id])

    decision = approval.approve(None, conference, [ada_id, zed_id])

    assert decision.skipped == [ada_id, zed_id] and not decision.confirmed
    assert registration_by_email("zed@example.org").status == "pending"
    assert kinds(conference)["registration_confirmed"] == 1


def test_no_decision_once_the_conference_is_over(app):
    conference = make_conference(requires_approval=True)
    [ada_id] = pending_people(app, conference, 1)
    conference.start_date = utcnow().date() - timedelta(days=5)
    conference.end_date = utcnow().date() - timedelta(days=4)
    db.session.commit()

    with pytest.raises(Conflict):
        approval.approve(None, conference, [ada_id])
    assert registration_by_email("person0@example.org").status == "pending"


def test_pending_and_rejected_people_count_nowhere_as_attendees(app):
    conference = make_conference(requires_approval=True)
    [ada_id, bruno_id] = pending_people(app, conference, 2)
    approval.reject(None, conference, [bruno_id])
    ada, bruno = (db.session.get(Registration, i) for i in (ada_id, bruno_id))

    assert checkin.counts(conference) == (0, 0)
    for person in (ada, bruno):
        assert not checkin.check_in(None, conference, person.id).admitted
        assert services.agenda_events(person) == []
    assert broadcasts.recipients(conference) == []
    assert kinds(conference) == Counter(registration_pending=2, registration_rejected=1)


def test_registrations_of_a_conference_without_approval_take_seats_at_once(app):
    conference = make_conference(capacity=1)
    pending_people(app, conference, 2)
    end_snapshot()
    assert Counter(db.session.scalars(sa.select(Registration.status))) == Counter(
        confirmed=1, waiting=1
    )


# --- never overbook, under simultaneous approvals ----------------------------------------


@pytest.mark.concurrency
def test_simultaneous_approvals_by_several_organizers_fill_exactly_the_seats(app):
    conference = make_conference(capacity=3, requires_approval=True)
    ids = pending_people(app, conference, 10)
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    slug = conference.slug
    # Each organizer ticks an overlapping share: every person is chosen twice or more.
    shares = [ids[k : k + 4] for k in range(0, 10, 2)] + [ids[::3], ids[1::3]]
    clients = []
    for _share in shares:
        client = app.test_client()
        log_in(client, organizer)
        clients.append(client)
    barrier = threading.Barrier(len(shares))

    def approve_at_the_barrier(client, share):
        page = client.get(f"/manage/c/{slug}/approvals")
        token = csrf_token_from(page.get_data(as_text=True))
        barrier.wait(BARRIER_TIMEOUT)
        data = {"csrf_token": token, "decision": "approve", "registration": [str(i) for i in share]}
        return client.post(f"/manage/c/{slug}/approvals/decide", data=data).status_code

    statuses = run_threads(approve_at_the_barrier, list(zip(clients, shares, strict=True)))

    assert statuses == [303] * len(shares)
    end_snapshot()
    rows = list(db.session.scalars(sa.select(Registration).filter_by(conference_id=conference.id)))
    assert Counter(row.status for row in rows) == Counter(confirmed=3, waiting=7)
    positions = sorted(services.waiting_position(row) for row in rows if row.status == "waiting")
    assert positions == list(range(1, 8))
    # Everyone was approved once: one approval each in the log, one mail each.
    approved = Counter(
        db.session.scalars(
            sa.select(AuditEntry.object_id).filter_by(action="registration.approved")
        )
    )
    assert approved == Counter(ids)
    assert kinds(conference) == Counter(
        registration_pending=10, registration_confirmed=3, registration_waiting=7
    )


def test_the_agenda_feed_shows_pending_as_awaiting_and_rejected_as_cancelled(app):
    conference = make_conference(capacity=5, requires_approval=True)
    [ada_id] = pending_people(app, conference, 1)
    ada = db.session.get(Registration, ada_id)

    def feed_event():
        response = app.test_client().get(agenda_url(ada))
        assert response.status_code == 200
        [event] = Calendar.from_ical(response.data).walk("VEVENT")
        return event

    pending = feed_event()
    assert str(pending["SUMMARY"]).startswith("Awaiting approval: ")
    assert pending["STATUS"] == "TENTATIVE"
    approval.reject(None, conference, [ada_id])
    assert feed_event()["STATUS"] == "CANCELLED"
