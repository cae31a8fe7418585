"""The frab schedule export, validated against the format's published schemas."""

import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from wsgiref.handlers import format_date_time

import pytest
import sqlalchemy as sa
from jsonschema import Draft6Validator, FormatChecker
from lxml import etree

from eventreg.accounts import services
from eventreg.conferences.models import Conference, Speaker, Talk, Track
from eventreg.conferences.services import delete_track
from eventreg.core.extensions import db
from eventreg.schedule.frab import acronym_for
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track


@pytest.fixture(scope="module")
def xml_schema(schemas):
    return etree.XMLSchema(etree.parse(str(schemas / "schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator(schemas):
    schema = json.loads((schemas / "schedule.schema.json").read_text())
    return Draft6Validator(schema, format_checker=FormatChecker())


@pytest.fixture
def programme():
    """A published conference in Shanghai with rooms, a track, speakers and a cancelled talk."""
    conference = make_conference(slug="expo", title="Expo 2026", timezone="Asia/Shanghai")
    hall = make_room(conference, name="Main Hall", seats=300)
    side = make_room(conference, name="Side Room")
    track = make_track(conference, name="Trade", color="#2a7ab0")
    ada = make_speaker(conference, name="Ada Li", bio="Works on trade.")
    ben = make_speaker(conference, name="Ben Rossi")
    opening = make_talk(
        conference, title="Opening & Welcome", start="09:30", end="10:15", room=hall, track=track
    )
    opening.speakers = [ada, ben]
    make_talk(conference, title="Lunch", kind="break", start="12:00", end="13:30")
    make_talk(
        conference,
        title="Late night",
        day=conference.end_date,
        start="23:00",
        end="23:45",
        room=side,
    )
    make_talk(conference, title="Dropped talk", room=side, status="cancelled")
    return conference


def errors(validator, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_schedule_json_is_valid_against_the_published_schema(client, programme, json_validator):
    response = client.get("/c/expo/schedule.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert errors(json_validator, response.get_json()) == []


def test_schedule_xml_is_valid_against_the_published_xsd(client, programme, xml_schema):
    response = client.get("/c/expo/schedule.xml")
    assert response.status_code == 200
    assert response.content_type.startswith("application/xml")
    document = etree.fromstring(response.data)
    assert xml_schema.validate(document), xml_schema.error_log


def test_a_schedule_without_sessions_is_still_valid(client, json_validator, xml_schema):
    make_conference(slug="ab", title="Empty")
    assert errors(json_validator, client.get("/c/ab/schedule.json").get_json()) == []
    assert xml_schema.validate(etree.fromstring(client.get("/c/ab/schedule.xml").data))


def test_the_published_example_passes_the_json_schema_as_our_validator_reads_it(
    schemas, json_validator
):
    """Proves the validator set-up accepts a document pretalx really publishes."""
    example = json.loads((schemas / "example-pretalx-democon.json").read_text())
    example.pop("$schema")
    assert errors(json_validator, example) == []


def test_an_invalid_document_is_refused_by_the_json_schema(client, programme, json_validator):
    document = client.get("/c/expo/schedule.json").get_json()
    document["schedule"]["conference"]["acronym"] = "ex-po"
    assert errors(json_validator, document)


def test_sessions_carry_the_stable_uuid_numeric_id_and_local_times_with_offset(client, programme):
    document = client.get("/c/expo/schedule.json").get_json()
    first_day = document["schedule"]["conference"]["days"][0]
    opening = first_day["rooms"]["Main Hall"][0]
    talk = next(t for t in _talks(programme) if t.title == "Opening & Welcome")
    assert opening["guid"] == talk.uuid
    assert UUID(opening["guid"])
    assert opening["id"] == talk.id
    assert opening["date"] == f"{programme.start_date.isoformat()}T09:30:00+08:00"
    assert opening["start"] == "09:30"
    assert opening["duration"] == "00:45"
    assert opening["track"] == "Trade"
    assert [p["name"] for p in opening["persons"]] == ["Ada Li", "Ben Rossi"]
    assert opening["url"] == f"http://eventreg.test/c/expo/sessions/{talk.id}"
    assert first_day["day_start"] == f"{programme.start_date.isoformat()}T04:00:00+08:00"


def test_the_same_session_keeps_its_guid_across_exports(client, programme):
    first = client.get("/c/expo/schedule.xml").data
    second = client.get("/c/expo/schedule.xml").data
    assert first == second


def test_a_session_without_a_room_is_placed_at_the_venue(client, programme):
    days = client.get("/c/expo/schedule.json").get_json()["schedule"]["conference"]["days"]
    venue = programme.venue
    assert [e["title"] for e in days[0]["rooms"][venue]] == ["Lunch"]


def test_a_late_session_stays_on_its_local_day(client, programme):
    days = client.get("/c/expo/schedule.json").get_json()["schedule"]["conference"]["days"]
    assert [d["date"] for d in days] == [
        programme.start_date.isoformat(),
        programme.end_date.isoformat(),
    ]
    assert [e["title"] for e in days[1]["rooms"]["Side Room"]] == ["Late night"]


def test_cancelled_sessions_are_left_out_of_both_formats(client, programme):
    assert b"Dropped talk" not in client.get("/c/expo/schedule.xml").data
    assert b"Dropped talk" not in client.get("/c/expo/schedule.json").data


def test_xml_has_every_session_in_its_room_and_day(client, programme):
    document = etree.fromstring(client.get("/c/expo/schedule.xml").data)
    titles = document.xpath("/schedule/day[@index='1']/room[@name='Main Hall']/event/title/text()")
    assert titles == ["Opening & Welcome"]
    assert document.findtext("conference/acronym") == "expo"
    assert document.findtext("conference/time_zone_name") == "Asia/Shanghai"
    assert document.xpath("/schedule/conference/track/@color") == ["#2a7ab0"]


def test_drafts_and_unknown_conferences_are_not_exported(client):
    make_conference(slug="secret", published=False)
    for path in ("/c/secret/schedule.xml", "/c/secret/schedule.json", "/c/none/schedule.json"):
        assert client.get(path).status_code == 404


def test_the_export_may_be_fetched_by_web_apps_on_other_sites(client, programme):
    response = client.get("/c/expo/schedule.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("slug", "acronym"),
    [("expo", "expo"), ("ab", "ab__"), ("china-italy-2026", "china_italy_2026"), ("X1", "x1__")],
)
def test_the_acronym_fits_both_schemas(slug, acronym):
    assert acronym_for(slug) == acronym


def _talks(conference):
    return db.session.scalars(db.select(Talk).filter_by(conference_id=conference.id)).all()


# --- elapsed durations, day change, the fields apps display, conditional GETs ---------------


@pytest.fixture
def rome_dst():
    """Two-hour sessions in Rome across both DST nights of 2026 (given in UTC, unambiguous).

    Spring, 29 March: 01:30 CET to 04:30 CEST. Autumn, 25 October: 01:30 CEST to 02:30 CET.
    """
    conference = make_conference(
        slug="roma",
        title="Roma",
        timezone="Europe/Rome",
        start_date=date(2026, 3, 28),
        end_date=date(2026, 10, 25),
    )
    make_talk(
        conference,
        title="Spring night",
        start_at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        end_at=datetime(2026, 3, 29, 2, 30, tzinfo=UTC),
    )
    make_talk(
        conference,
        title="Autumn night",
        start_at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        end_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    )
    return conference


def _events(document) -> dict[str, dict]:
    return {
        event["title"]: event
        for day in document["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    }


def test_duration_is_elapsed_time_across_both_dst_nights(client, rome_dst, json_validator):
    document = client.get("/c/roma/schedule.json").get_json()
    assert errors(json_validator, document) == []
    events = _events(document)
    assert events["Spring night"]["duration"] == "02:00"  # the wall clocks say 3 hours
    assert events["Spring night"]["date"] == "2026-03-29T01:30:00+01:00"
    assert events["Spring night"]["end"] == "2026-03-29T04:30:00+02:00"
    assert events["Autumn night"]["duration"] == "02:00"  # the wall clocks say 1 hour
    assert events["Autumn night"]["date"] == "2026-10-25T01:30:00+02:00"
    assert events["Autumn night"]["end"] == "2026-10-25T02:30:00+01:00"

    xml = etree.fromstring(client.get("/c/roma/schedule.xml").data)
    assert xml.xpath("//event/duration/text()") == ["02:00", "02:00"]


def test_reading_date_plus_duration_gives_the_real_end(client, rome_dst):
    """What frab readers do: the end is the start plus the duration."""
    for event in _events(client.get("/c/roma/schedule.json").get_json()).values():
        hours, minutes = map(int, event["duration"].split(":"))
        start = datetime.fromisoformat(event["date"])
        assert start + timedelta(hours=hours, minutes=minutes) == datetime.fromisoformat(
            event["end"]
        )


def test_a_session_after_midnight_stays_on_the_evenings_day(client, programme, xml_schema):
    after_midnight = programme.end_date + timedelta(days=1)
    make_talk(programme, title="After party", day=after_midnight, start="00:30", end="01:30")
    document = client.get("/c/expo/schedule.json").get_json()
    days = document["schedule"]["conference"]["days"]
    assert [d["date"] for d in days] == [
        programme.start_date.isoformat(),
        programme.end_date.isoformat(),
    ]
    last = days[-1]
    assert last["day_start"] == f"{programme.end_date.isoformat()}T04:00:00+08:00"
    assert last["day_end"] == f"{after_midnight.isoformat()}T04:00:00+08:00"
    party = last["rooms"][programme.venue][0]
    assert party["title"] == "After party"
    assert party["date"] == f"{after_midnight.isoformat()}T00:30:00+08:00"

    xml = etree.fromstring(client.get("/c/expo/schedule.xml").data)
    assert xml_schema.validate(xml), xml_schema.error_log
    assert xml.xpath("/schedule/day[@index='2']//event/title/text()") == [
        "Late night",
        "After party",
    ]


def test_each_event_carries_what_conference_apps_display(client, programme):
    document = client.get("/c/expo/schedule.json").get_json()
    assert "logo" not in document["schedule"]["conference"]  # eventreg keeps none
    opening = _events(document)["Opening & Welcome"]
    talk = next(t for t in _talks(programme) if t.title == "Opening & Welcome")
    assert opening["abstract"] == talk.abstract
    assert opening["description"] == talk.abstract
    assert opening["links"] == []
    assert opening["attachments"] == []
    assert opening["logo"] == ""
    assert opening["do_not_record"] is None  # nobody was asked
    assert opening["recording_license"] == ""
    ada = opening["persons"][0]
    assert ada["public_name"] == ada["name"] == "Ada Li"
    assert ada["biography"] == "Works on trade."
    assert UUID(ada["guid"])


def test_xml_events_carry_the_description_links_and_attachments(client, programme):
    xml = etree.fromstring(client.get("/c/expo/schedule.xml").data)
    (opening,) = xml.xpath("//event[title='Opening & Welcome']")
    talk = next(t for t in _talks(programme) if t.title == "Opening & Welcome")
    assert opening.findtext("description") == talk.abstract
    assert opening.findtext("abstract") == talk.abstract
    assert opening.find("links") is not None
    assert opening.find("attachments") is not None
    assert opening.xpath("persons/person/text()") == ["Ada Li", "Ben Rossi"]


@pytest.mark.parametrize("path", ["/c/expo/schedule.json", "/c/expo/schedule.xml"])
def test_a_poll_with_the_etag_gets_a_304_without_a_body(client, programme, path):
    first = client.get(path)
    assert first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("path", ["/c/expo/schedule.json", "/c/expo/schedule.xml"])
def test_a_poll_with_last_modified_gets_a_304(client, programme, path):
    first = client.get(path)
    last_modified = first.headers["Last-Modified"]
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_date_time((first.last_modified - timedelta(seconds=1)).timestamp())
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200


def test_a_changed_session_changes_the_etag_and_is_sent_again(client, programme):
    first = client.get("/c/expo/schedule.json")
    talk = next(t for t in _talks(programme) if t.title == "Lunch")
    talk.title = "Long lunch"
    db.session.commit()
    again = client.get("/c/expo/schedule.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert "Long lunch" in again.get_data(as_text=True)


def test_a_deleted_track_moves_last_modified(client, programme):
    """Deleting leaves no row with a timestamp behind; its audit entry dates the change."""
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    for model in (Conference, Talk, Speaker):
        db.session.execute(
            sa.update(model).where(model.conference_id == programme.id)
            if model is not Conference
            else sa.update(model).where(model.id == programme.id),
            {"updated_at": long_ago},
        )
    db.session.commit()
    before = client.get("/c/expo/schedule.xml")
    assert before.last_modified == long_ago
    track = db.session.scalars(sa.select(Track).filter_by(conference_id=programme.id)).one()
    delete_track(services.create_user(None, "staff@example.org"), programme, track)
    after = client.get(
        "/c/expo/schedule.xml", headers={"If-Modified-Since": before.headers["Last-Modified"]}
    )
    assert after.status_code == 200
    assert after.last_modified > long_ago
    assert b"Trade" not in after.data
    assert etree.fromstring(after.data).findtext("version") != etree.fromstring(
        before.data
    ).findtext("version")
