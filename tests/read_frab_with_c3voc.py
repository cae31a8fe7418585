"""Reads a frab schedule.json the way C3VOC's schedule tools do, and prints what they
understood: one JSON object per event. Run by the consumer's own Python
(``.tools/frab-consumer``, see requirements/frab-consumer.in), never by the test suite's.
"""

import copy
import json
import sys

from voc.event import Event
from voc.schedule import Schedule


def as_read(event) -> dict:
    return {
        "guid": event["guid"],
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "title": event["title"],
        "abstract": event["abstract"],
        "description": event["description"],
        "room": event["room"],
        "persons": event.persons(),
    }


def main() -> None:
    document = json.load(sys.stdin)
    # The schedule as a whole must load (days, rooms, conference); it rewrites each event's
    # dict as it goes (adding its own "h:mm" duration, which a second pass would read as
    # minutes and seconds), so the events are read from an untouched copy, once each.
    pristine = copy.deepcopy(document)
    Schedule(json=document)
    events = [
        as_read(Event(event))
        for day in pristine["schedule"]["conference"]["days"]
        for room in day["rooms"].values()
        for event in room
    ]
    print(json.dumps(events, ensure_ascii=False))


if __name__ == "__main__":
    main()
