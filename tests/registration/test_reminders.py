"""Reminders: outbox rows recorded with the change that causes them and due before the
event, moved or dropped with the event, delivered by the real delivery pass when due, in the
reader's language, with a copy of the event that changes nothing in their calendar."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.db import write_transaction
from eventreg.core.extensions import db
from eventreg.invites.models import CalendarCopy
from eventreg.mail.delivery import EXPIRED_ERROR, deliver_due
from eventreg.mail.models import OutboxMessage
from eventreg.registration import services
from eventreg.registration.reminders import KINDS
from eventreg.schedule import services as schedule
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.conference_changes import update_conference
from tests.factories import cancel_talk, make_conference, make_speaker, make_talk, reschedule_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import make_registration
from tests.mail.mailbox import calendar_part, text_body


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


def rome(**fields) -> Conference:
    values = {
        "title": "Salute, tecnologia; futuro",
        "timezone": "Europe/Rome",
        "start_date": date(2027, 3, 27),
        "end_date": date(2027, 3, 28),
        "conference_reminder_minutes": [24 * 60],
        "session_reminder_minutes": [60],
    }
    values.update(fields)
    return make_conference(**values)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def pending_reminders(**filters) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .filter_by(status="pending", **filters)
            .where(OutboxMessage.kind.in_(KINDS))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )
    )


def due(**filters) -> list[datetime]:
    return [row.next_attempt_at for row in pending_reminders(**filters)]


def reminders_received(smtp_server):
    return [m for m in smtp_server.messages if str(m["Subject"]).startswith("Reminder")]


# --- due times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "start", "minutes", "expected"),
    [
        # 03:30 CEST on the spring night is 01:30Z; an hour before is 00:30Z (01:30 CET).
        ("Europe/Rome", utc(2027, 3, 28, 1, 30), 60, utc(2027, 3, 28, 0, 30)),
        # 09:00 CEST the morning after the change; a day before is 24 hours: 08:00 CET.
        ("Europe/Rome", utc(2027, 3, 28, 7, 0), 24 * 60, utc(2027, 3, 27, 7, 0)),
        # The second 02:30 of the autumn night (CET, 01:30Z): due at the first (CEST).
        ("Europe/Rome", utc(2027, 10, 31, 1, 30), 60, utc(2027, 10, 31, 0, 30)),
        # Shanghai keeps no DST: 09:00 CST is 01:00Z, an hour before is 00:00Z.
        ("Asia/Shanghai", utc(2027, 3, 28, 1, 0), 60, utc(2027, 3, 28, 0, 0)),
    ],
)
def test_a_session_reminder_is_due_its_offset_before_the_start(
    app, timezone, start, minutes, expected
):
    day = start.date()
    conference = rome(
        timezone=timezone,
        start_date=day - timedelta(days=1),
        end_date=day,
        session_reminder_minutes=[minutes],
    )
    talk = make_talk(conference, start_at=start, end_at=start + timedelta(hours=1))
    registration = make_registration(conference)

    services.join_session(None, registration, talk)

    (row,) = pending_reminders(kind="session_reminder")
    assert row.next_attempt_at == expected
    assert (row.talk_id, row.recipient_key) == (talk.id, f"registration:{registration.id}")
    assert row.registration_id == registration.id


def test_a_confirmed_registration_gets_the_conference_reminder_a_day_before_its_first_session(
    app,
):
    conference = rome()
    make_talk(conference, start_at=utc(2027, 3, 27, 8, 0), end_at=utc(2027, 3, 27, 9, 0))
    registration, _secret, _outcome = services.register(
        None,
        conference,
        services.RegistrationData(full_name="Giulia Rossi", email="giulia@example.org"),
    )

    (row,) = pending_reminders(kind="conference_reminder")
    assert row.next_attempt_at == utc(2027, 3, 26, 8, 0)
    assert row.talk_id is None and row.recipient_key == f"registration:{registration.id}"


def test_a_reminder_whose_time_has_passed_is_not_recorded(app):
    conference = rome(
        start_date=date.today() + timedelta(days=1), end_date=date.today() + timedelta(days=2)
    )
    soon = datetime.now(UTC) + timedelta(minutes=30)
    talk = make_talk(conference, start_at=soon, end_at=soon + timedelta(hours=1))

    services.join_session(None, make_registration(conference), talk)

    assert pending_reminders() == []


def test_reminders_roll_back_with_the_action_that_recorded_them(app):
    conference = rome()
    talk = make_talk(conference, start_at=utc(2027, 3, 27, 8, 0), end_at=utc(2027, 3, 27, 9, 0))
    registration = make_registration(conference)

    with pytest.raises(RuntimeError), write_transaction():
        services.join_session(None, registration, talk)
        assert len(pending_reminders()) == 1
        raise RuntimeError("the rest of the action failed")

    assert pending_reminders() == []


# --- delivery -----------------------------------------------------------------------------


def test_a_reminder_is_delivered_when_due_and_not_before(app, smtp_server):
    conference = rome()
    talk = make_talk(
        conference,
        title="Biotecnologie 2027",
        start_at=utc(2027, 3, 28, 1, 30),  # 03:30 CEST
        end_at=utc(2027, 3, 28, 2, 30),
    )
    registration = make_registration(conference, full_name="Giulia Rossi")
    services.join_session(None, registration, talk)
    deliver_due()  # the session's confirmation
    copy_before = db.session.get(CalendarCopy, (f"registration:{registration.id}", talk_uid(talk)))
    sequence_before = copy_before.sequence

    deliver_due(now=utc(2027, 3, 28, 0, 29))
    assert reminders_received(smtp_server) == []

    deliver_due(now=utc(2027, 3, 28, 0, 30))
    (message,) = reminders_received(smtp_server)
    assert message["Subject"] == "Reminder: Biotecnologie 2027"
    text = text_body(message)
    assert "Dear Giulia Rossi," in text
    assert "03:30–04:30 CEST (Europe/Rome)" in text
    assert "2027-03-28 01:30–02:30 UTC" in text
    # A copy of the event, read alike by icalendar, vobject and ical.js: no update.
    method, data = calendar_part(message)
    parsed_method, events = parse_agreed(data)
    assert method == parsed_method == "PUBLISH"
    event = events[talk_uid(talk)]
    assert (event.start, event.end) == (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30))
    assert event.sequence == sequence_before
    db.session.expire_all()
    copy_after = db.session.get(CalendarCopy, (f"registration:{registration.id}", talk_uid(talk)))
    assert (copy_after.sequence, copy_after.state) == (sequence_before, "held")
    assert b"ATTENDEE" not in data


def test_a_reminder_still_undelivered_when_its_event_begins_is_not_sent(app, smtp_server):
    conference = rome()
    talk = make_talk(conference, start_at=utc(2027, 3, 28, 1, 30), end_at=utc(2027, 3, 28, 2, 30))
    services.join_session(None, make_registration(conference), talk)
    (row,) = pending_reminders()

    # The server was down from before the reminder was due until after the session began.
    deliver_due(now=utc(2027, 3, 28, 1, 31))

    assert reminders_received(smtp_server) == []
    db.session.expire_all()
    assert (row.status, row.last_error) == ("failed", EXPIRED_ERROR)


def test_the_reminder_is_written_in_the_attendees_language(app, smtp_server):
    conference = rome()
    talk = make_talk(
        conference,
        title="生物技术",
        start_at=utc(2027, 3, 28, 1, 30),
        end_at=utc(2027, 3, 28, 2, 30),
    )
    registration = make_registration(conference, full_name="陈伟", locale="zh")
    services.join_session(None, registration, talk)

    deliver_due(now=utc(2027, 3, 28, 0, 30))

    (message,) = [m for m in smtp_server.messages if "生物技术" in str(m["Subject"])][-1:]
    text = text_body(message)
    assert "陈伟，您好：" in text
    assert "时间：" in text
    assert "2027-03-28 01:30–02:30 UTC" in text


# --- changes move or drop them ------------------------------------------------------------


@pytest.fixture
def held(app):
    """A Rome session at 10:00 CET on 27 March 2027, held by one attendee."""
    conference = rome()
    talk = make_talk(
        conference, title="Prima", start_at=utc(2027, 3, 27, 9, 0), end_at=utc(2027, 3, 27, 10, 0)
    )
    registration = make_registration(conference)
    services.join_session(None, registration, talk)
    return conference, talk, registration


def test_a_moved_session_moves_its_reminder_with_the_new_text(held, smtp_server):
    _conference, talk, _registration = held
    (old,) = pending_reminders(kind="session_reminder")
    old_id = old.id

    reschedule_talk(talk, utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30))

    (new,) = pending_reminders(kind="session_reminder")
    assert new.id != old_id
    assert db.session.get(OutboxMessage, old_id) is None
    assert new.next_attempt_at == utc(2027, 3, 28, 0, 30)
    deliver_due(now=utc(2027, 3, 28, 0, 30))
    (message,) = [m for m in reminders_received(smtp_server) if m["Subject"] == "Reminder: Prima"]
    assert "2027-03-28 01:30–02:30 UTC" in text_body(message)
    (event,) = parse_agreed(calendar_part(message)[1])[1].values()
    assert event.start == utc(2027, 3, 28, 1, 30)


def test_a_cancelled_session_drops_its_reminders(held):
    _conference, talk, _registration = held

    cancel_talk(talk)

    assert pending_reminders(kind="session_reminder") == []


def test_leaving_a_session_drops_its_reminder_only(held):
    conference, talk, registration = held
    other = make_talk(conference, start_at=utc(2027, 3, 27, 12, 0), end_at=utc(2027, 3, 27, 13, 0))
    services.join_session(None, registration, other)

    services.leave_session(None, registration, talk)

    assert [row.talk_id for row in pending_reminders(kind="session_reminder")] == [other.id]


@pytest.mark.parametrize("ending", ["cancel", "erase"])
def test_a_registration_that_ends_drops_all_its_reminders(held, ending):
    conference, _talk, registration = held
    services.promote_waiting(conference)  # nothing to do; keeps the fixture's seat
    registration.status = "waiting"
    db.session.commit()
    services.promote_registration(None, registration)  # confirmed: conference reminder too
    assert {row.kind for row in pending_reminders()} == set(KINDS)

    if ending == "cancel":
        services.cancel_registration(None, registration)
    else:
        services.erase_personal_data(None, registration)

    assert pending_reminders() == []


def test_the_first_in_line_promoted_to_a_freed_seat_gets_its_reminder(held):
    conference, talk, registration = held
    talk.capacity = 1
    db.session.commit()
    second = make_registration(conference)
    services.join_session(None, second, talk)  # waits
    assert {row.registration_id for row in pending_reminders()} == {registration.id}

    services.leave_session(None, registration, talk)

    assert {row.registration_id for row in pending_reminders()} == {second.id}


def test_new_reminder_settings_record_the_reminders_again(held, app):
    conference, talk, registration = held
    organizer = _organizer()

    update_conference(
        organizer,
        conference,
        **_details(
            conference, session_reminder_minutes=[15, 24 * 60], conference_reminder_minutes=[]
        ),
    )

    assert due(kind="session_reminder") == [utc(2027, 3, 26, 9, 0), utc(2027, 3, 27, 8, 45)]
    assert due(kind="conference_reminder") == []


def test_speakers_get_the_reminders_of_their_sessions_and_lose_them_when_removed(app):
    conference = rome()
    speaker = make_speaker(conference, email="speaker@example.org")
    saved = schedule.create_session(
        None,
        conference,
        SessionFields(
            title="Keynote",
            start_at=utc(2027, 3, 27, 9, 0),
            end_at=utc(2027, 3, 27, 10, 0),
            speaker_ids=[speaker.id],
        ),
    )
    key = f"speaker:{speaker.id}"
    assert {row.kind for row in pending_reminders(recipient_key=key)} == set(KINDS)

    schedule.update_session(None, saved.talk, SessionFields(speaker_ids=[]))

    assert pending_reminders(recipient_key=key) == []


def test_duplicating_a_conference_copies_its_settings_but_no_pending_reminder(held):
    from eventreg.schedule.conference_changes import duplicate_conference

    conference, _talk, _registration = held
    copy = duplicate_conference(
        _organizer(), conference, title="Next year", slug="next-year", start_date=date(2028, 3, 25)
    )

    assert copy.session_reminder_minutes == [60]
    assert pending_reminders(conference_id=copy.id) == []


def _organizer():
    from tests.organizers.conftest import make_user

    return make_user("organizer@example.org", is_admin=True)


def _details(conference: Conference, **changes) -> dict:
    from eventreg.conferences.services import CONFERENCE_FIELDS, field_values

    values = field_values(conference, CONFERENCE_FIELDS)
    values.update(changes)
    return values


def talk_uid(talk) -> str:
    return f"{talk.uuid}@eventreg"


def test_the_conference_reminder_follows_its_first_session(app):
    conference = rome()
    talk = make_talk(conference, start_at=utc(2027, 3, 27, 8, 0), end_at=utc(2027, 3, 27, 9, 0))
    services.register(
        None, conference, services.RegistrationData(full_name="Lin", email="lin@example.org")
    )
    assert due(kind="conference_reminder") == [utc(2027, 3, 26, 8, 0)]

    reschedule_talk(talk, utc(2027, 3, 27, 10, 0), utc(2027, 3, 27, 11, 0))

    assert due(kind="conference_reminder") == [utc(2027, 3, 26, 10, 0)]


def test_the_dashboard_counts_reminders_as_scheduled_not_waiting(held, client):
    from eventreg.registration.reports import dashboard

    conference, _talk, _registration = held
    figures = dashboard(conference)

    assert figures.scheduled_emails == 1
    assert figures.emails["pending"] == 1  # the session's confirmation, due now
