// Print, as JSON, each event's UID and DESCRIPTION as Mozilla's ical.js (Thunderbird's
// parser) reads them. Reads one calendar from standard input.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const descriptions = Object.fromEntries(
  calendar
    .getAllSubcomponents("vevent")
    .map((vevent) => [vevent.getFirstPropertyValue("uid"), vevent.getFirstPropertyValue("description")]),
);
process.stdout.write(JSON.stringify(descriptions));
