// Print, as JSON, the ORGANIZER and each ATTENDEE (address, RSVP, PARTSTAT) of every event
// of the calendar on standard input, as Mozilla's ical.js (Thunderbird) reads them.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const events = calendar.getAllSubcomponents("vevent").map((vevent) => ({
  uid: vevent.getFirstPropertyValue("uid"),
  organizer: vevent.getFirstPropertyValue("organizer"),
  organizer_name: vevent.getFirstProperty("organizer").getParameter("cn") ?? null,
  attendees: vevent.getAllProperties("attendee").map((attendee) => ({
    address: attendee.getFirstValue(),
    rsvp: attendee.getParameter("rsvp") ?? null,
    partstat: attendee.getParameter("partstat") ?? null,
  })),
}));
process.stdout.write(JSON.stringify(events));
