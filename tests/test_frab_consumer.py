"""The frab export as a real consumer reads it: C3VOC's schedule tools (the library behind
the Chaos Communication Congress schedules) in their own Python environment. Every session
must come out with the right start, end and text, Chinese text and DST nights included."""

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.factories import make_conference, make_room, make_speaker, make_talk

ROOT = Path(__file__).resolve().parents[1]
CONSUMER_PYTHON = ROOT / ".tools" / "frab-consumer" / "bin" / "python"
READER = Path(__file__).with_name("read_frab_with_c3voc.py")


def read_with_c3voc(document: bytes) -> dict[str, dict]:
    if not CONSUMER_PYTHON.exists():
        pytest.fail(
            f"the frab consumer is not installed at {CONSUMER_PYTHON}: run make install-test"
        )
    result = subprocess.run(
        [str(CONSUMER_PYTHON), str(READER)], input=document, capture_output=True, check=True
    )
    return {event["guid"]: event for event in json.loads(result.stdout)}


@pytest.fixture
def rome():
    """Sessions on both 2027 DST nights of Europe/Rome, and one in the repeated hour."""
    conference = make_conference(
        slug="biotech",
        title="生物科技, 意大利; 深圳",
        timezone="Europe/Rome",
        start_date=date(2027, 3, 27),
        end_date=date(2027, 10, 31),
    )
    hall = make_room(conference, name="Aula Magna")
    speaker = make_speaker(conference, name="李 明")
    spring = make_talk(
        conference,
        title="合成生物学：从实验室到产业, 第一部分; 讨论",
        abstract="关于 **合成生物学** 的讨论。",
        # 01:30 CET to 04:30 CEST: two hours, though the wall clock moves three.
        start_at=datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
        end_at=datetime(2027, 3, 28, 2, 30, tzinfo=UTC),
        room=hall,
    )
    spring.speakers = [speaker]
    autumn = make_talk(
        conference,
        title="Genomica e salute",
        # The second 02:30 of 31 October (CET), to 03:00 CET.
        start_at=datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
        end_at=datetime(2027, 10, 31, 2, 0, tzinfo=UTC),
        room=hall,
    )
    return conference, spring, autumn


def without_durations(document: bytes) -> bytes:
    """The export without each event's ``duration``, which the schema marks deprecated in
    favour of ``end``: c3voc 1.1.0 prefers a duration when there is one, and reads frab's
    "hh:mm" as minutes and seconds (its ``str2timedelta``), so only without it does it show
    what it makes of our ``end``."""
    data = json.loads(document)
    for day in data["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for event in events:
                del event["duration"]
    return json.dumps(data).encode()


def test_c3voc_reads_every_session_with_its_real_start_end_and_text(client, rome):
    conference, spring, autumn = rome
    document = client.get("/c/biotech/schedule.json").data
    read = read_with_c3voc(document)
    assert set(read) == {spring.uuid, autumn.uuid}
    ends = {
        guid: event["end"] for guid, event in read_with_c3voc(without_durations(document)).items()
    }

    first = read[spring.uuid]
    assert datetime.fromisoformat(first["start"]) == spring.start_at
    assert datetime.fromisoformat(ends[spring.uuid]) == spring.end_at
    assert first["start"] == "2027-03-28T01:30:00+01:00"
    assert first["title"] == "合成生物学：从实验室到产业, 第一部分; 讨论"
    assert "合成生物学" in first["abstract"]
    assert first["room"] == "Aula Magna"
    assert first["persons"] == ["李 明"]

    second = read[autumn.uuid]
    assert second["start"] == "2027-10-31T02:30:00+01:00"  # the second 02:30, not the first
    assert datetime.fromisoformat(ends[autumn.uuid]) == autumn.end_at
