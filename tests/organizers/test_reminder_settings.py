"""The conference form's reminder and alarm settings: typed as durations, refused clearly."""

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from eventreg.organizers.durations import format_durations, parse_durations
from tests.factories import make_conference
from tests.organizers.conftest import give_role, log_in, make_user, post_form
from tests.organizers.test_conferences import NEW_CONFERENCE


@pytest.fixture
def organized(app, client):
    """A conference with no reminders yet, and a logged-in organizer of it."""
    conference = make_conference(timezone="Europe/Rome", published=False)
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return conference


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1 day, 1 hour", [1440, 60]),
        ("2d; 90 min", [2880, 90]),
        ("1 hour 30 minutes", [90]),
        ("1 week", [10080]),
        ("", []),
    ],
)
def test_durations_are_read_as_minutes(app, text, minutes):
    assert parse_durations(text) == minutes


def test_durations_are_written_back_as_they_are_read(app):
    assert format_durations([1440, 90]) == "1 day, 1 hour 30 minutes"
    assert parse_durations(format_durations([1440, 90])) == [1440, 90]


def test_a_new_conference_reminds_a_day_and_an_hour_ahead_without_an_alarm(app, client, creator):
    page = client.get("/manage/conferences/new")
    assert 'value="1 day"' in page.text and 'value="1 hour"' in page.text

    post_form(client, "/manage/conferences/new", NEW_CONFERENCE)

    conference = db.session.scalar(sa.select(Conference))
    assert conference.conference_reminder_minutes == [1440]
    assert conference.session_reminder_minutes == [60]
    assert conference.invite_alarm_minutes is None


def edit(client, conference, **changes):
    data = {
        "title": conference.title,
        "slug": conference.slug,
        "timezone": conference.timezone,
        "start_date": conference.start_date.isoformat(),
        "end_date": conference.end_date.isoformat(),
        "organizer_email": conference.organizer_email,
        **changes,
    }
    return post_form(client, f"/manage/c/{conference.slug}/edit", data)


def test_the_organizer_sets_reminders_and_an_alarm(app, client, organized):
    response = edit(
        client,
        organized,
        conference_reminder_minutes="1 week, 1 day",
        session_reminder_minutes="1 hour, 15 minutes",
        invite_alarm_minutes="15 minutes",
    )

    assert response.status_code == 302
    db.session.refresh(organized)
    assert organized.conference_reminder_minutes == [10080, 1440]
    assert organized.session_reminder_minutes == [60, 15]
    assert organized.invite_alarm_minutes == 15
    page = client.get(f"/manage/c/{organized.slug}/edit").text
    assert 'value="7 days, 1 day"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"session_reminder_minutes": "soon"}, "“soon” is not a duration"),
        ({"session_reminder_minutes": "1 hour 5"}, "is not a duration"),
        ({"session_reminder_minutes": "1m, 2m, 3m, 4m, 5m, 6m"}, "Use at most 5 reminders."),
        ({"conference_reminder_minutes": "61 days"}, "between one minute and 60 days"),
        ({"session_reminder_minutes": "0 minutes"}, "between one minute and 60 days"),
        ({"invite_alarm_minutes": "1 hour, 5 minutes"}, "Give one duration only."),
        ({"invite_alarm_minutes": "90 days"}, "The alarm rings between the start and 60 days"),
    ],
)
def test_nonsense_is_refused_with_a_message_and_nothing_stored(
    app, client, organized, changes, message
):
    response = edit(client, organized, **changes)

    assert response.status_code == 400
    assert message in response.text
    db.session.refresh(organized)
    assert organized.session_reminder_minutes == []
