"""The frab schedule export, validated against the format's published schemas."""

import json
import os
from pathlib import Path
from uuid import UUID

import pytest
from jsonschema import Draft6Validator, FormatChecker
from lxml import etree

from eventreg.conferences.models import Talk
from eventreg.core.extensions import db
from eventreg.schedule.frab import acronym_for
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track

# Kept with their provenance beside the repository, never copied into it.
SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas" / "frab"


@pytest.fixture(scope="module")
def schemas() -> Path:
    if not SCHEMAS.is_dir():
        message = f"the frab schemas are not at {SCHEMAS}"
        if os.environ.get("CI"):
            pytest.fail(message + " (under CI they must be present)")
        pytest.skip(message + "; schema validation skipped outside CI")
    return SCHEMAS


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
    assert first_day["day_start"] == f"{programme.start_date.isoformat()}T00:00:00+08:00"


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
