// Parse iCalendar text with Mozilla's ical.js (the parser in Thunderbird) and print, as JSON,
// the calendar's METHOD, its names, and each event's UID, SEQUENCE, STATUS, SUMMARY, CONFERENCE, and its start and end
// as UTC instants. Reads one calendar from standard input.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const text = readFileSync(0, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));

// Zones defined in the calendar itself are what a TZID refers to.
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    summary: event.summary,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    floating: event.startDate.zone === ICAL.Timezone.localTimezone,
    // RFC 7986 CONFERENCE: the online join link (null when the event has none).
    conference: vevent.getFirstPropertyValue("conference"),
  };
});

// The calendar's own name and description, as a subscribing app shows them.
const names = Object.fromEntries(
  ["name", "x-wr-calname", "x-wr-caldesc"].map((name) => [name, calendar.getFirstPropertyValue(name)]),
);

process.stdout.write(
  JSON.stringify({ method: calendar.getFirstPropertyValue("method"), events, names }),
);
