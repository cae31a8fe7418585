"""Calendar feeds over HTTP: the schedule, one session, a personal agenda; cheap polling."""

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from flask import render_template_string
from freezegun import freeze_time

from eventreg.core.extensions import db
from eventreg.registration import services
from eventreg.registration.tokens import feed_token_for
from tests.factories import (
    cancel_talk,
    make_conference,
    make_room,
    make_speaker,
    make_talk,
    move_talk,
)
from tests.invites.parsers import parse_agreed
from tests.mail.builders import add_signup, make_registration


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def programme(app):
    conference = make_conference(
        timezone="Europe/Rome", start_date=date(2027, 3, 27), end_date=date(2027, 3, 28)
    )
    room = make_room(conference, name="Sala Verdi")
    speaker = make_speaker(conference, name="Giulia Rossi", email="giulia@example.org")
    talks = [
        make_talk(
            conference,
            title="Opening",
            day=date(2027, 3, 27),
            start="09:00",
            end="09:30",
            room=room,
            speakers=[speaker],
        ),
        # Across the spring change.
        make_talk(
            conference,
            title="Night session",
            day=date(2027, 3, 28),
            start="01:30",
            end="03:30",
            room=room,
        ),
        make_talk(
            conference,
            title="Dropped",
            day=date(2027, 3, 28),
            start="10:00",
            end="11:00",
            status="cancelled",
        ),
    ]
    # Not scheduled yet: no place in any calendar.
    make_talk(conference, title="Unscheduled", start_at=None, end_at=None)
    return conference, talks


def agenda_url(registration) -> str:
    return f"/feeds/agenda/{feed_token_for(registration.id)}.ics"


def test_the_schedule_feed_publishes_every_scheduled_session(client, programme):
    conference, (opening, night, dropped) = programme

    response = client.get(f"/c/{conference.slug}/schedule.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params["charset"] == "utf-8"
    method, events = parse_agreed(response.data)
    assert method == "PUBLISH"
    assert set(events) == {f"{t.uuid}@eventreg" for t in (opening, night, dropped)}
    assert events[f"{opening.uuid}@eventreg"].start == utc(2027, 3, 27, 8, 0)
    night_event = events[f"{night.uuid}@eventreg"]
    assert (night_event.start, night_event.end) == (
        utc(2027, 3, 28, 0, 30),
        utc(2027, 3, 28, 1, 30),
    )
    assert events[f"{dropped.uuid}@eventreg"].status == "CANCELLED"
    assert events[f"{opening.uuid}@eventreg"].status == "CONFIRMED"

    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H"
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert str(calendar["X-WR-CALNAME"]) == conference.title
    # A published calendar lists nobody.
    assert b"ATTENDEE" not in response.data
    assert b"Giulia Rossi" in response.data  # the speaker, in the description


def test_one_session_has_its_own_feed(client, programme):
    conference, (opening, *_rest) = programme

    response = client.get(f"/c/{conference.slug}/sessions/{opening.id}.ics")

    assert response.status_code == 200
    method, events = parse_agreed(response.data)
    assert method == "PUBLISH"
    assert list(events) == [f"{opening.uuid}@eventreg"]


def test_sessions_without_a_time_or_elsewhere_have_no_feed(client, programme):
    conference, _talks = programme
    other = make_conference()
    stranger = make_talk(other)
    unscheduled = db.session.scalar(sa.text("SELECT id FROM talk WHERE title = 'Unscheduled'"))

    assert client.get(f"/c/{conference.slug}/sessions/{unscheduled}.ics").status_code == 404
    assert client.get(f"/c/{conference.slug}/sessions/{stranger.id}.ics").status_code == 404
    assert client.get("/c/no-such-conference/schedule.ics").status_code == 404


def test_a_draft_conference_publishes_no_feed(client):
    draft = make_conference(published=False)
    make_talk(draft)

    assert client.get(f"/c/{draft.slug}/schedule.ics").status_code == 404


def test_a_poll_with_the_etag_gets_304_until_something_changes(client, programme):
    conference, (opening, *_rest) = programme
    url = f"/c/{conference.slug}/schedule.ics"
    first = client.get(url)
    etag = first.headers["ETag"]

    again = client.get(url, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    move_talk(opening, make_room(conference, name="Sala Rossini"))
    changed = client.get(url, headers={"If-None-Match": etag})

    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"Sala Rossini" in changed.data


def test_last_modified_moves_when_the_feed_changes_and_answers_if_modified_since(client, programme):
    conference, (opening, *_rest) = programme
    url = f"/c/{conference.slug}/schedule.ics"
    first = client.get(url)
    last_modified = first.headers["Last-Modified"]

    unchanged = client.get(url, headers={"If-Modified-Since": last_modified})
    assert unchanged.status_code == 304

    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    with freeze_time(later):
        # The session leaves the feed: nothing left in it carries the moment, the audit
        # entry of the change does.
        move_talk(opening, None)
        changed = client.get(url, headers={"If-Modified-Since": last_modified})

    assert changed.status_code == 200
    assert changed.headers["Last-Modified"] == later.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_the_personal_agenda_holds_the_conference_and_the_sessions_with_a_seat(client, programme):
    conference, (opening, night, _dropped) = programme
    registration = make_registration(conference, full_name="Chen Wei")
    add_signup(registration, opening, "confirmed")
    add_signup(registration, night, "waiting")

    response = client.get(agenda_url(registration))

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "private" in response.headers["Cache-Control"]
    method, events = parse_agreed(response.data)
    assert method == "PUBLISH"
    assert set(events) == {f"{conference.uuid}@eventreg", f"{opening.uuid}@eventreg"}
    assert b"Chen Wei" not in response.data


def test_leaving_a_session_changes_the_agenda_feed_and_its_validators(client, programme):
    conference, (opening, night, _dropped) = programme
    registration = make_registration(conference)
    add_signup(registration, opening)
    add_signup(registration, night)
    url = agenda_url(registration)
    first = client.get(url)

    # Nothing the feed still shows changes: only the sign-up goes.
    with freeze_time(datetime.now(UTC) + timedelta(hours=1)):
        services.leave_session(None, registration, night)
        by_etag = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert by_etag.status_code == by_date.status_code == 200
    _, events = parse_agreed(by_etag.data)
    assert f"{night.uuid}@eventreg" not in events


def test_a_cancelled_or_erased_registration_has_a_valid_agenda(client, programme):
    conference, (opening, *_rest) = programme
    cancelled = make_registration(conference, status="cancelled")
    add_signup(cancelled, opening)
    erased = make_registration(conference, email=None, full_name="", erased_at=datetime.now(UTC))

    for registration in (cancelled, erased):
        response = client.get(agenda_url(registration))
        assert response.status_code == 200
        method, events = parse_agreed(response.data)
        assert method == "PUBLISH"
        # Never sent an invite: RFC 5545 still wants a component, the conference cancelled.
        assert [event.status for event in events.values()] == ["CANCELLED"]


def test_a_waiting_registration_sees_the_conference_tentatively(client, programme):
    """No seat yet: the conference as a tentative, free event (RFC 5545 wants a component),
    not one the calendar would block as busy."""
    conference, _talks = programme
    waiting = make_registration(conference, status="waiting")

    data = client.get(agenda_url(waiting)).data
    _, events = parse_agreed(data)

    (event,) = events.values()
    assert event.uid == f"{conference.uuid}@eventreg"
    assert event.status == "TENTATIVE"
    component = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(component["TRANSP"]) == "TRANSPARENT"
    assert str(component["SUMMARY"]).startswith("Waiting list: ")


def test_a_schedule_without_sessions_publishes_the_conference(client):
    conference = make_conference(slug="nothing-yet")

    _, events = parse_agreed(client.get("/c/nothing-yet/schedule.ics").data)

    assert [event.uid for event in events.values()] == [f"{conference.uuid}@eventreg"]


def test_a_cancelled_session_stays_in_the_agenda_marked_cancelled(client, programme):
    conference, (opening, *_rest) = programme
    registration = make_registration(conference)
    add_signup(registration, opening)
    cancel_talk(opening)

    _, events = parse_agreed(client.get(agenda_url(registration)).data)

    assert events[f"{opening.uuid}@eventreg"].status == "CANCELLED"
    assert events[f"{opening.uuid}@eventreg"].sequence == 1


@pytest.mark.parametrize(
    "token",
    ["nonsense", "1-forged", "abc-def", "1-", f"{'9' * 30}-x"],
)
def test_a_bad_agenda_token_is_not_found(client, programme, token):
    assert client.get(f"/feeds/agenda/{token}.ics").status_code == 404


def test_a_genuine_token_of_a_deleted_registration_is_gone(client, programme):
    assert client.get(f"/feeds/agenda/{feed_token_for(4242)}.ics").status_code == 410


def test_the_refresh_interval_follows_the_setting(app, client, programme):
    conference, _talks = programme
    app.config["ICAL_REFRESH_MINUTES"] = 15

    calendar = icalendar.Calendar.from_ical(client.get(f"/c/{conference.slug}/schedule.ics").data)

    assert calendar["REFRESH-INTERVAL"].dt == timedelta(minutes=15)
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT15M"


def test_pages_can_link_the_feeds_for_download_and_subscription(app, client, programme):
    conference, _talks = programme
    registration = make_registration(conference)
    template = (
        "{{ webcal_url(url_for('invites.schedule_feed', slug=slug, _external=True)) }}|"
        "{{ agenda_feed_url(registration) }}"
    )
    with app.test_request_context():
        subscription, agenda = render_template_string(
            template, slug=conference.slug, registration=registration
        ).split("|")

    assert subscription == f"webcal://eventreg.test/c/{conference.slug}/schedule.ics"
    assert agenda == f"http://eventreg.test{agenda_url(registration)}"
    assert client.get(agenda.removeprefix("http://eventreg.test")).status_code == 200
