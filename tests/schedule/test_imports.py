"""Importing a programme from CSV and frab files: parsing, planning, and creating it all in
one transaction or nothing."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Room, Speaker, Talk, Track
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.core.spreadsheets import FileRefused
from eventreg.schedule import imports
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "title,kind,day,start,end,room,track,speakers,speaker_emails,abstract,languages,capacity"


@pytest.fixture
def conference(app):
    return make_conference(
        slug="forum",
        timezone="Asia/Shanghai",
        start_date=date(2031, 5, 6),
        end_date=date(2031, 5, 7),
    )


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def counts(conference) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(
            sa.select(sa.func.count()).select_from(model).filter_by(conference_id=conference.id)
        )
        for model in (Room, Track, Speaker, Talk)
    }


def planned(conference, data: bytes) -> imports.ImportPlan:
    return imports.plan_import(conference, imports.parse_upload(data, conference.tz))


def problems(plan: imports.ImportPlan) -> dict[int, str]:
    return {session.row.number: " ".join(session.problems) for session in plan.refused}


# --- CSV ------------------------------------------------------------------------------------


def test_a_csv_file_creates_rooms_tracks_speakers_and_sessions_with_one_audit_entry(conference):
    data = csv_file(
        "Opening,keynote,2031-05-06,09:30,10:15,Main Hall,,"
        'Ada Li;Ben Rossi,ada@example.org;,"Two\nlines",en;zh,',
        "Trade talk,talk,2031-05-06,10:30,11:15,Main Hall,Trade,Ada Li,ADA@example.org,,,40",
        "Workshop,workshop,2031-05-07,14:00,16:00,Lab,Trade,Chen Wei,,,,12",
    )
    parsed = imports.parse_upload(data, conference.tz)
    imported = imports.import_programme(None, conference, parsed)

    assert imported.plan.summary() == "2 rooms, 1 track, 3 speakers, 3 sessions"
    assert counts(conference) == {"Room": 2, "Track": 1, "Speaker": 3, "Talk": 3}
    talks = {t.title: t for t in db.session.scalars(sa.select(Talk))}
    opening = talks["Opening"]
    # 09:30 in Shanghai is 01:30 UTC.
    assert opening.start_at == datetime(2031, 5, 6, 1, 30, tzinfo=UTC)
    assert opening.end_at - opening.start_at == timedelta(minutes=45)
    assert opening.kind == "keynote" and opening.room.name == "Main Hall"
    assert opening.abstract == "Two\nlines" and opening.languages == ["en", "zh"]
    assert sorted(s.name for s in opening.speakers) == ["Ada Li", "Ben Rossi"]
    # The same address (in another case) is the same speaker.
    assert talks["Trade talk"].speakers == [s for s in opening.speakers if s.name == "Ada Li"]
    assert talks["Trade talk"].track.name == "Trade" and talks["Trade talk"].capacity == 40
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert [(e.action, e.summary) for e in entries] == [
        ("programme.imported", "Programme imported: 2 rooms, 1 track, 3 speakers, 3 sessions")
    ]


def test_a_duration_must_be_a_number_of_minutes(conference):
    header = "title;day;start;duration"
    found = problems(planned(conference, csv_file("A;2031-05-06;10:00;³", header=header)))
    assert "not a number of minutes" in found[2]


def test_a_bom_semicolons_and_a_duration_in_minutes_are_understood(conference):
    data = "\ufefftitle;day;start;duration;room\nLong one;2031-05-06;23:00;120;Hall\n".encode()
    plan = planned(conference, data)
    assert plan.refused == ()
    (session,) = plan.sessions
    # Past midnight: a duration says how long, whatever the clock shows at the end.
    assert session.row.start_at == datetime(2031, 5, 6, 15, 0, tzinfo=UTC)
    assert session.row.end_at == datetime(2031, 5, 6, 17, 0, tzinfo=UTC)


def test_existing_rooms_tracks_and_speakers_are_reused_by_name_and_speakers_by_address(
    conference,
):
    hall = make_room(conference, name="Main Hall")
    trade = make_track(conference, name="Trade")
    ada = make_speaker(conference, name="Ada Li", email="ada@example.org")
    ben = make_speaker(conference, name="Ben Rossi")
    data = csv_file(
        "One,talk,2031-05-06,09:00,09:30,main hall,TRADE,Someone Else,ada@example.org,,,",
        "Two,talk,2031-05-06,10:00,10:30,Main Hall,,Ben Rossi,,,,",
    )
    imported = imports.import_programme(None, conference, imports.parse_upload(data, conference.tz))
    assert [p.existing for p in imported.plan.rooms] == [True]
    assert counts(conference) == {"Room": 1, "Track": 1, "Speaker": 2, "Talk": 2}
    one, two = sorted(imported.talks, key=lambda t: t.title)
    assert (one.room_id, one.track_id, one.speakers) == (hall.id, trade.id, [ada])
    assert two.speakers == [ben]


def test_a_row_with_fewer_cells_than_columns_leaves_the_rest_empty(conference):
    plan = planned(conference, csv_file("Short,talk,2031-05-06,09:00,09:30"))
    assert plan.refused == ()
    assert plan.sessions[0].row.abstract == "" and plan.sessions[0].room is None


def test_a_row_with_more_cells_than_columns_is_refused(conference):
    found = problems(planned(conference, csv_file("Long,talk,,,,,,,,,,,extra")))
    assert "more cells than the header has columns" in found[2]


def test_unscheduled_sessions_are_imported_without_a_time(conference):
    plan = planned(conference, csv_file("Later,talk,,,,,,,,,,"))
    assert plan.refused == ()
    assert plan.sessions[0].plan.after.start_at is None


def test_each_refused_row_is_named_with_its_number_and_nothing_is_created(conference):
    make_room(conference, name="Hall")
    make_talk(
        conference,
        title="Already there",
        start="09:00",
        end="10:00",
        room=db.session.scalar(sa.select(Room)),
    )
    data = csv_file(
        "Fine,talk,2031-05-06,11:00,11:30,Hall,,,,,,",  # row 2
        "Odd kind,lecture,2031-05-06,12:00,12:30,Hall,,,,,,",  # row 3
        "Bad time,talk,2031-05-06,9.30,10:00,Side,,,,,,",  # row 4
        "Backwards,talk,2031-05-06,15:00,14:00,Side,,,,,,",  # row 5
        "Too late,talk,2031-05-09,10:00,11:00,Side,,,,,,",  # row 6
        "Same room,talk,2031-05-06,11:15,11:45,Hall,,,,,,",  # row 7: clashes with row 2
        "Taken,talk,2031-05-06,09:30,10:30,Hall,,,,,,",  # row 8: clashes with the existing one
        "Bad day,talk,6 May,10:00,11:00,Side,,,,,,",  # row 9
        "Bad seats,talk,2031-05-06,16:00,17:00,Side,,,,,,²",  # row 10
    )
    before = counts(conference)
    plan = planned(conference, data)
    found = problems(plan)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "Unknown kind “lecture”" in found[3]
    assert "“9.30” is not a time" in found[4]
    assert "must end after it starts" in found[5]
    assert "during the conference" in found[6]
    assert "Hall is already taken at that time by “Fine”" in found[7]
    assert "by “Already there”" in found[8]
    assert "“6 May” is not a day" in found[9]
    assert "not a whole number" in found[10]
    assert plan.sessions[3].label == "Row 5"

    with pytest.raises(imports.ImportRefused) as refused:
        imports.import_programme(None, conference, imports.parse_upload(data, conference.tz))
    assert len(refused.value.plan.refused) == 8
    assert counts(conference) == before
    assert db.session.scalars(sa.select(AuditEntry)).all() == []


def test_a_speaker_in_two_places_at_once_is_refused(conference):
    data = csv_file(
        "A,talk,2031-05-06,10:00,11:00,One,,Ada Li,ada@example.org,,,",
        "B,talk,2031-05-06,10:30,11:30,Two,,Ada Li,ada@example.org,,,",
    )
    assert "Ada Li would be in two places at once" in problems(planned(conference, data))[3]


def test_speaker_addresses_are_checked(conference):
    data = csv_file("A,talk,,,,,,Ada;Ben,not-an-address,,,", "B,talk,,,,,,Ada,a@example.org;b@x,,,")
    found = problems(planned(conference, data))
    assert "not-an-address" in found[2]
    assert "more speaker e-mail addresses than speakers" in found[3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        ("title\nCaffè\n".encode("latin-1"), "not in UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a text file"),
        (b"name,when\nA,today\n", "first row must name the columns"),
        (b"title,kind,title\nA,talk,B\n", "first row must name the columns"),
        (b'title\n"unclosed\n', "cannot be read"),
        (b"<schedule><day>", "XML file cannot be read"),
        (b"<html><body>hi</body></html>", "not a frab schedule"),
        (b'{"schedule": []}', "not a frab schedule"),
        (b'{"schedule": ', "JSON file cannot be read"),
        (
            b'<?xml version="1.0"?><!DOCTYPE schedule [<!ENTITY x "boom">]>'
            b"<schedule><version>&x;</version></schedule>",
            "document type (DTD)",
        ),
    ],
)
def test_files_that_are_not_a_programme_are_refused_with_a_clear_message(app, data, message):
    with pytest.raises(FileRefused) as refused:
        imports.parse_upload(data, SHANGHAI)
    assert message in refused.value.message


def test_files_beyond_the_limits_are_refused(app):
    with pytest.raises(FileRefused) as refused:
        imports.parse_upload(b"title\n" + b"x" * imports.MAX_BYTES, SHANGHAI)
    assert refused.value.too_large and "at most 2 MB" in refused.value.message
    rows = b"title\n" + b"A talk\n" * (imports.MAX_ROWS + 1)
    with pytest.raises(FileRefused) as refused:
        imports.parse_upload(rows, SHANGHAI)
    assert "at most 2000" in refused.value.message
    assert (
        len(imports.parse_upload(b"title\n" + b"A talk\n" * imports.MAX_ROWS, SHANGHAI).rows)
        == 2000
    )


def test_the_template_imports_cleanly_into_its_conference(conference):
    template = imports.template_csv(conference)
    assert template.splitlines()[0] == HEADER
    plan = planned(conference, template.encode())
    assert plan.refused == () and len(plan.sessions) == 1


# --- frab -----------------------------------------------------------------------------------


@pytest.fixture
def programme(app):
    """A conference with rooms (one without sessions), a track, speakers and sessions."""
    source = make_conference(
        slug="source",
        timezone="Europe/Rome",
        start_date=date(2031, 3, 29),
        end_date=date(2031, 3, 30),
    )
    hall = make_room(source, name="Sala Grande", seats=200)
    make_room(source, name="Empty Room")
    side = make_room(source, name="Side Room")
    track = make_track(source, name="Health", color="#2a7ab0")
    ada = make_speaker(source, name="Ada Li", bio="Works on health.")
    ben = make_speaker(source, name="Ben Rossi")
    opening = make_talk(
        source,
        title="Opening, & welcome",
        start="09:30",
        end="10:15",
        room=hall,
        track=track,
        abstract="Why we meet.",
        languages=["it"],
    )
    opening.speakers = [ada, ben]
    # Across the night the clocks go forward: two hours elapsed.
    late = make_talk(
        source,
        title="Night talk",
        start="01:00",
        end="04:00",
        room=side,
        day=date(2031, 3, 30),
        abstract="",
    )
    late.speakers = [ben]
    make_talk(source, title="Lunch", kind="break", start="12:00", end="13:00", room=side)
    db.session.commit()
    return source


def _sessions(conference) -> list[tuple]:
    talks = db.session.scalars(
        sa.select(Talk).filter_by(conference_id=conference.id).order_by(Talk.start_at)
    )
    return [
        (
            t.title,
            t.start_at,
            t.end_at - t.start_at,
            t.room.name if t.room else None,
            t.track.name if t.track else None,
            t.abstract,
            (t.languages or [conference.main_language])[0],
            t.kind,
            sorted(s.name for s in t.speakers),
        )
        for t in talks
    ]


@pytest.mark.parametrize("document", ["schedule.json", "schedule.xml"])
def test_our_own_frab_export_round_trips_into_an_empty_conference(client, programme, document):
    exported = client.get(f"/c/source/{document}").data
    target = make_conference(
        slug="target",
        timezone="Europe/Rome",
        start_date=date(2031, 3, 29),
        end_date=date(2031, 3, 30),
    )
    imports.import_programme(None, target, imports.parse_upload(exported, target.tz))

    assert _sessions(target) == _sessions(programme)
    names = sa.select(Room.name).order_by(Room.position, Room.id)
    assert list(db.session.scalars(names.filter_by(conference_id=target.id))) == [
        "Sala Grande",
        "Empty Room",
        "Side Room",
    ]
    track = db.session.scalar(sa.select(Track).filter_by(conference_id=target.id))
    assert (track.name, track.color) == ("Health", "#2a7ab0")
    speakers = db.session.scalars(
        sa.select(Speaker).filter_by(conference_id=target.id).order_by(Speaker.name)
    ).all()
    assert [s.name for s in speakers] == ["Ada Li", "Ben Rossi"]
    if document == "schedule.json":  # the XML has no biographies
        assert speakers[0].bio == "Works on health."
    # Importing it again clashes with what is now there, row by row.
    again = planned(target, exported)
    assert len(again.refused) == 3


def test_a_schedule_published_by_pretalx_imports(app, schemas):
    # Beside the frab schemas (``schemas`` fails under CI when they are missing).
    example = schemas / "example-pretalx-democon.json"
    conference = make_conference(
        slug="democon", timezone="UTC", start_date=date(2020, 12, 14), end_date=date(2020, 12, 16)
    )
    plan = planned(conference, example.read_bytes())
    document = json.loads(example.read_text())
    events = [
        e
        for day in document["schedule"]["conference"]["days"]
        for room_events in day["rooms"].values()
        for e in room_events
    ]
    assert len(plan.sessions) == len(events)
    first = plan.sessions[0]
    assert first.row.title == events[0]["title"]
    assert first.row.start_at == datetime(2020, 12, 14, 8, 0, tzinfo=UTC)  # 09:00+01:00
    assert first.row.speakers[0].name == events[0]["persons"][0]["public_name"]
    # Its abstract and description are both kept.
    assert events[0]["description"] in first.row.abstract
    # The demo data books one speaker twice at once: that one event is refused.
    assert list(problems(plan)) == [34]
    assert "would be in two places at once" in problems(plan)[34]


def test_frab_times_without_an_offset_are_on_the_files_zone(app):
    xml = b"""<?xml version="1.0" encoding="UTF-8"?><schedule><conference>
      <time_zone_name>Europe/Rome</time_zone_name></conference>
      <day date="2031-05-06"><room name="Aula"><event id="1">
        <date>2031-05-06T10:00:00</date><duration>00:30</duration><title>T</title>
        <type>lecture</type><persons><person id="3">Ada</person></persons>
      </event></room></day></schedule>"""
    (row,) = imports.parse_upload(xml, SHANGHAI).rows
    assert row.start_at == datetime(2031, 5, 6, 8, 0, tzinfo=UTC)
    assert row.end_at - row.start_at == timedelta(minutes=30)
    assert (row.kind, row.room, row.speakers[0].name) == ("talk", "Aula", "Ada")
