"""Revisions: every change that reaches a feed, export or page moves its validators, in the
change's own transaction; registrations leave the public schedule alone; a GET never writes;
a poll whose copy is current costs one query; caches never serve an outdated event."""

import uuid
from datetime import date

import icalendar
import pytest
import sqlalchemy as sa
from flask import json

from eventreg.accounts import services as accounts
from eventreg.conferences import services as conferences
from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.core.extensions import cache, db
from eventreg.registration import services as registration
from eventreg.registration.models import Registration
from eventreg.registration.tokens import feed_token_for
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.conference_changes import update_conference
from eventreg.schedule.services import create_session, update_session
from tests.conftest import count_queries, make_test_app
from tests.factories import (
    at,
    cancel_talk,
    make_conference,
    make_room,
    make_speaker,
    make_talk,
    make_track,
    move_talk,
)
from tests.organizers.conftest import log_in, make_user

DAY = date(2027, 5, 10)
PUBLIC_PATHS = ("/c/expo/schedule.ics", "/c/expo/schedule.xml", "/c/expo/schedule.json", "/c/expo/")


@pytest.fixture
def programme(app):
    conference = make_conference(
        slug="expo", timezone="Europe/Rome", start_date=DAY, end_date=DAY, capacity=50
    )
    hall = make_room(conference, name="Main Hall")
    make_room(conference, name="Side Room")
    track = make_track(conference, name="Trade")
    ada = make_speaker(conference, name="Ada Li")
    make_speaker(conference, name="Ben Rossi")
    for number, (start, end) in enumerate([("09:00", "10:00"), ("10:30", "11:30")]):
        make_talk(
            conference,
            title=f"Session {number}",
            day=DAY,
            start=start,
            end=end,
            room=hall,
            track=track,
            speakers=[ada],
            capacity=5,
        )
    return conference


@pytest.fixture
def staff(app):
    return accounts.create_user(None, "staff@example.org")


def revision() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(Conference.feed_revision).filter_by(slug="expo"))


def etags(client) -> dict[str, str]:
    return {path: client.get(path).headers["ETag"] for path in PUBLIC_PATHS}


def one(model, **where):
    db.session.rollback()
    return db.session.scalars(sa.select(model).filter_by(**where)).first()


def rename_talk(staff):
    update_session(staff, one(Talk, title="Session 0"), SessionFields(title="Renamed"))


def add_talk(staff):
    conference = one(Conference, slug="expo")
    create_session(
        staff,
        conference,
        SessionFields(
            title="Added",
            start_at=at(conference, DAY, "14:00"),
            end_at=at(conference, DAY, "15:00"),
        ),
    )


def change_speakers(staff):
    ben = one(Speaker, name="Ben Rossi")
    update_session(staff, one(Talk, title="Session 0"), SessionFields(speaker_ids=[ben.id]))


def rename_room(staff):
    room = one(Room, name="Main Hall")
    conferences.save_room(staff, room.conference, room, name="Aula Magna", position=0)


def rename_track(staff):
    track = one(Track, name="Trade")
    conferences.save_track(staff, track.conference, track, name="Commerce", color=track.color)


def edit_speaker(staff):
    ada = one(Speaker, name="Ada Li")
    conferences.save_speaker(staff, ada.conference, ada, name="Ada Lin", bio="New bio.")


def edit(staff, **changes):
    """The organizer's conference form, saved with ``changes``."""
    conference = one(Conference, slug="expo")
    values = conferences.field_values(conference, conferences.CONFERENCE_FIELDS)
    update_conference(staff, conference, **{**values, **changes})


def edit_conference(staff):
    edit(staff, title="Expo 2027")


CHANGES = {
    "talk created": add_talk,
    "talk renamed": rename_talk,
    "talk moved": lambda staff: move_talk(
        one(Talk, title="Session 0"), one(Room, name="Side Room")
    ),
    "talk cancelled": lambda staff: cancel_talk(one(Talk, title="Session 0")),
    "speakers changed": change_speakers,
    "room renamed": rename_room,
    "track renamed": rename_track,
    "speaker edited": edit_speaker,
    "conference edited": edit_conference,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_each_programme_change_moves_the_revision_once_and_every_etag(
    client, programme, staff, change
):
    before, revised = etags(client), revision()
    change(staff)
    assert revision() == revised + 1  # once per transaction, however many rows it wrote
    after = etags(client)
    for path in PUBLIC_PATHS:
        assert after[path] != before[path], path
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 200


def test_a_registration_rush_leaves_the_public_schedule_as_it_was(client, programme):
    before, revised = etags(client), revision()
    talk = one(Talk, title="Session 0")
    for number in range(8):  # more than the session's seats: some wait
        data = registration.RegistrationData(
            full_name=f"Person {number}", email=f"person{number}@example.org"
        )
        registered, _secret, _outcome = registration.register(None, programme, data)
        registration.join_session(None, registered, talk)
    assert revision() == revised
    feeds = [path for path in PUBLIC_PATHS if path != "/c/expo/"]
    for path in feeds:
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 304


def agenda_etag(client, registration_id: int) -> str:
    return client.get(f"/feeds/agenda/{feed_token_for(registration_id)}.ics").headers["ETag"]


def registered(conference, name: str) -> int:
    data = registration.RegistrationData(full_name=name, email=f"{name.lower()}@example.org")
    return registration.register(None, conference, data)[0].id


def test_joining_leaving_cancelling_and_promotion_move_the_agenda(client, programme):
    talk_id = one(Talk, title="Session 0").id
    person = registered(programme, "Ann")
    seen = [agenda_etag(client, person)]

    def act(action):
        action()
        seen.append(agenda_etag(client, person))
        assert seen[-1] not in seen[:-1]

    act(
        lambda: registration.join_session(None, one(Registration, id=person), one(Talk, id=talk_id))
    )
    act(
        lambda: registration.leave_session(
            None, one(Registration, id=person), one(Talk, id=talk_id)
        )
    )
    act(lambda: registration.cancel_registration(None, one(Registration, id=person)))

    # A full conference: the next one waits, then is promoted into an added seat.
    edit(None, capacity=0)
    waiting = registered(programme, "Bo")
    assert one(Registration, id=waiting).status == "waiting"
    before = agenda_etag(client, waiting)
    registration.promote_registration(None, one(Registration, id=waiting), add_seat=True)
    assert agenda_etag(client, waiting) != before


def test_erasure_moves_the_agenda(client, programme):
    person = registered(programme, "Cy")
    before = agenda_etag(client, person)
    registration.erase_personal_data(None, one(Registration, id=person))
    assert agenda_etag(client, person) != before


def test_another_registration_leaves_an_agenda_as_it_was(client, programme):
    person = registered(programme, "Di")
    before = agenda_etag(client, person)
    other = registered(programme, "Ed")
    registration.join_session(None, one(Registration, id=other), one(Talk, title="Session 0"))
    path = f"/feeds/agenda/{feed_token_for(person)}.ics"
    assert client.get(path, headers={"If-None-Match": before}).status_code == 304


# --- the cached events follow every rename --------------------------------------------


def test_a_room_or_speaker_rename_reaches_the_cached_events(client, programme, staff):
    first = client.get("/c/expo/schedule.ics").text  # every event now cached
    assert "Main Hall" in first and "Ada Li" in first
    rename_room(staff)
    edit_speaker(staff)
    again = client.get("/c/expo/schedule.ics").text
    assert "Main Hall" not in again and "Aula Magna" in again
    assert "Ada Li;" not in again and "Ada Lin" in again


def test_a_track_rename_reaches_the_cached_exports(client, programme, staff):
    assert "Trade" in client.get("/c/expo/schedule.json").text
    rename_track(staff)
    document = json.loads(client.get("/c/expo/schedule.json").data)
    (day,) = document["schedule"]["conference"]["days"]
    tracks = {event["track"] for events in day["rooms"].values() for event in events}
    assert tracks == {"Commerce"}
    assert b"Trade" not in client.get("/c/expo/schedule.xml").data


def test_the_feed_speaks_the_readers_language_from_its_own_cache_entry(client, programme):
    english = client.get("/c/expo/schedule.ics", headers={"Accept-Language": "en"})
    italian = client.get("/c/expo/schedule.ics", headers={"Accept-Language": "it"})
    assert english.headers["ETag"] != italian.headers["ETag"]

    def descriptions(response):
        calendar = icalendar.Calendar.from_ical(response.data)
        return " ".join(str(event["DESCRIPTION"]) for event in calendar.walk("VEVENT"))

    assert "Local time at the venue" in descriptions(english)
    assert "Local time at the venue" not in descriptions(italian)


# --- a GET never writes; a current copy costs one query ---------------------------------


def queries_sent(counter) -> list[str]:
    """The statements, without SQLite's explicit BEGIN (transaction control, which
    PostgreSQL's driver sends as part of the first query)."""
    return [s for s in counter.statements if s.strip().upper() != "BEGIN"]


def feed_paths(conference_id: int) -> list[str]:
    talk = one(Talk, title="Session 0")
    person = registered(one(Conference, id=conference_id), "Fay")
    registration.join_session(None, one(Registration, id=person), talk)
    return [
        *PUBLIC_PATHS,
        f"/c/expo/sessions/{talk.id}.ics",
        f"/feeds/agenda/{feed_token_for(person)}.ics",
    ]


def test_no_get_of_a_feed_export_or_page_writes(client, programme):
    paths = feed_paths(programme.id)
    db.session.remove()
    with count_queries() as queries:
        for path in paths:
            assert client.get(path).status_code == 200, path
            etag = client.get(path).headers["ETag"]
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    written = [
        s
        for s in queries.statements
        if s.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert queries.count > 0
    assert written == []


def test_a_current_copy_is_answered_304_after_one_query(client, programme):
    for path in feed_paths(programme.id):
        etag = client.get(path).headers["ETag"]
        db.session.remove()  # as a served request starts: nothing loaded yet
        with count_queries() as queries:
            response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304, path
        assert response.data == b""
        assert len(queries_sent(queries)) == 1, (path, queries.statements)


# --- pages with per-user state are never shared -----------------------------------------


def test_the_conference_page_is_public_but_varies_by_language_and_cookie(client, programme):
    page = client.get("/c/expo/")
    assert "public" in page.headers["Cache-Control"] and "no-cache" in page.headers["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= set(page.vary)
    italian = client.get("/c/expo/", headers={"Accept-Language": "it"})
    assert italian.headers["ETag"] != page.headers["ETag"]
    assert client.get("/c/expo/?lang=zh").headers["ETag"] != page.headers["ETag"]


def test_a_logged_in_visitor_gets_a_private_page_of_their_own(client, programme):
    anonymous = client.get("/c/expo/").headers["ETag"]
    log_in(client, make_user("organizer@example.org"))
    page = client.get("/c/expo/")
    assert "private" in page.headers["Cache-Control"]
    assert page.headers["ETag"] != anonymous
    assert "Last-Modified" not in page.headers
    # Their own copy still revalidates cheaply.
    assert (
        client.get("/c/expo/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    )
    # An anonymous copy is never confirmed to them.
    assert client.get("/c/expo/", headers={"If-None-Match": anonymous}).status_code == 200


def test_a_page_with_a_message_to_show_is_always_sent(client, programme):
    etag = client.get("/c/expo/").headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your registration is confirmed.")]
    page = client.get("/c/expo/", headers={"If-None-Match": etag})
    assert page.status_code == 200
    assert "Your registration is confirmed." in page.text
    assert "private" in page.headers["Cache-Control"]
    # Shown once: the next poll is answered from the copy again.
    assert client.get("/c/expo/", headers={"If-None-Match": etag}).status_code == 304


def test_registration_opening_changes_the_conference_page(client, programme, staff):
    from datetime import timedelta

    from freezegun import freeze_time

    from eventreg.core.db import utcnow

    opens = utcnow() + timedelta(days=1)
    edit(staff, registration_opens_at=opens)
    before = client.get("/c/expo/").headers["ETag"]
    with freeze_time(opens + timedelta(minutes=1)):
        after = client.get("/c/expo/", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before


# --- Redis: one cache for every process ---------------------------------------------------


def test_two_app_instances_share_the_cache_through_redis(
    app, database_url, instance_path, programme
):
    settings = {
        "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4()}:",
    }
    first = make_test_app(database_url, instance_path, **settings)
    second = make_test_app(database_url, instance_path, **settings)
    db.session.remove()
    with first.app_context():
        response = first.test_client().get("/c/expo/schedule.xml")
        key = f"frab:{response.headers['ETag'].strip(chr(34))}"
        assert cache.get(key) == response.data
    try:
        with second.app_context():
            assert cache.get(key) == response.data  # made by the other instance
            with count_queries() as queries:
                again = second.test_client().get("/c/expo/schedule.xml")
            assert again.data == response.data
            assert len(queries_sent(queries)) == 1  # the conference: the body came from Redis
    finally:
        with second.app_context():
            cache.clear()
            db.session.remove()
        with first.app_context():
            db.session.remove()
