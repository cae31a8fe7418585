"""iMIP REPLY messages as four calendar apps send them, byte for byte (RFC 6047, 4).

Each builder answers an invite the way its client does when Accept / Tentative / Decline is
pressed: MIME structure, transfer encoding, charset and the client's own properties.

- Outlook: ``multipart/alternative``, the calendar base64 with ``method=REPLY``, ``MAILTO:``
  in capitals, a VTIMEZONE, the typed note as COMMENT;
- Gmail: the calendar inline (7bit) in ``multipart/alternative`` and again attached as
  ``application/ics`` (base64), with Google's X-NUM-GUESTS;
- Apple Calendar: quoted-printable, quoted CN and an EMAIL parameter;
- Thunderbird: 8bit UTF-8 with X-MOZ-* properties and an ``invite.ics`` attachment.
"""

import base64
import quopri
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import formataddr
from itertools import count

_numbers = count(1)

CRLF = "\r\n"


@dataclass(frozen=True)
class Answer:
    """Who answers what, to whom: read from the invite being answered."""

    organizer: str  # the invite's ORGANIZER address (where the reply goes)
    uid: str
    attendee: str
    partstat: str
    name: str = "Chen Wei"
    comment: str | None = None
    sequence: int = 0
    summary: str = "A session"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _lines(*lines: str | None) -> str:
    """CRLF-terminated lines; None (an optional property left out) is no line at all."""
    return CRLF.join(line for line in lines if line is not None) + CRLF


def _headers(answer: Answer, subject: str, content_type: str, message_id: str | None) -> str:
    """The headers every client writes, non-ASCII names and subjects encoded (RFC 2047)."""
    number = next(_numbers)
    return _lines(
        f"From: {formataddr((answer.name, answer.attendee), charset='utf-8')}",
        f"To: <{answer.organizer}>",
        f"Subject: {Header(f'{subject}: {answer.summary}', 'utf-8').encode(maxlinelen=998)}",
        "Date: Mon, 01 Nov 2027 09:00:00 +0800",
        f"Message-ID: {message_id or f'<reply-{number}-{_stamp()}@client.example.org>'}",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    )


WORDS = {"ACCEPTED": "Accepted", "TENTATIVE": "Tentative", "DECLINED": "Declined"}


def outlook(answer: Answer, message_id: str | None = None) -> bytes:
    calendar = _lines(
        "BEGIN:VCALENDAR",
        "METHOD:REPLY",
        "PRODID:Microsoft Exchange Server 2010",
        "VERSION:2.0",
        "BEGIN:VTIMEZONE",
        "TZID:China Standard Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        f"ATTENDEE;PARTSTAT={answer.partstat};CN={answer.name}:MAILTO:{answer.attendee.upper()}",
        f"COMMENT;LANGUAGE=en-US:{answer.comment}" if answer.comment else None,
        f"SUMMARY;LANGUAGE=en-US:{WORDS[answer.partstat]}: {answer.summary}",
        "DTSTART;TZID=China Standard Time:20271101T091500",
        "DTEND;TZID=China Standard Time:20271101T100000",
        f"UID:{answer.uid}",
        "CLASS:PUBLIC",
        "PRIORITY:5",
        f"DTSTAMP:{_stamp()}",
        "TRANSP:OPAQUE",
        f"SEQUENCE:{answer.sequence}",
        "X-MICROSOFT-CDO-APPT-SEQUENCE:0",
        "X-MICROSOFT-CDO-OWNERAPPTID:0",
        "X-MICROSOFT-CDO-IMPORTANCE:1",
        "END:VEVENT",
        "END:VCALENDAR",
    )
    boundary = "_000_outlook_boundary_"
    encoded = base64.encodebytes(calendar.encode("utf-8")).decode().replace("\n", CRLF)
    body = (
        _headers(
            answer,
            WORDS[answer.partstat],
            f'multipart/alternative; boundary="{boundary}"',
            message_id,
        )
        + CRLF
        + _lines(
            f"--{boundary}",
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
        )
        + quopri.encodestring((answer.comment or "").encode("utf-8")).decode()
        + CRLF
        + _lines(
            f"--{boundary}",
            'Content-Type: text/calendar; charset="utf-8"; method=REPLY',
            "Content-Transfer-Encoding: base64",
        )
        + CRLF
        + encoded
        + f"--{boundary}--"
        + CRLF
    )
    return body.encode("ascii")


def _google_calendar(answer: Answer) -> str:
    return _lines(
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REPLY",
        "BEGIN:VEVENT",
        "DTSTART:20271101T011500Z",
        "DTEND:20271101T020000Z",
        f"DTSTAMP:{_stamp()}",
        f"ORGANIZER;CN=Organizers:mailto:{answer.organizer}",
        f"UID:{answer.uid}",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
        f"PARTSTAT={answer.partstat};CN={answer.name};X-NUM-GUESTS=0:mailto:{answer.attendee}",
        f"COMMENT:{answer.comment}" if answer.comment else None,
        "CREATED:20270901T000000Z",
        "LAST-MODIFIED:20270901T000000Z",
        f"SEQUENCE:{answer.sequence}",
        "STATUS:CONFIRMED",
        f"SUMMARY:{answer.summary}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    )


def gmail(answer: Answer, message_id: str | None = None) -> bytes:
    calendar = _google_calendar(answer)
    attached = base64.encodebytes(calendar.encode("utf-8")).decode().replace("\n", CRLF)
    text = f"{answer.name} has {WORDS[answer.partstat].lower()} this invitation."
    body = (
        _headers(
            answer,
            WORDS[answer.partstat],
            'multipart/mixed; boundary="000000000000mixed"',
            message_id,
        )
        + CRLF
        + _lines(
            "--000000000000mixed",
            'Content-Type: multipart/alternative; boundary="000000000000alt"',
            "",
            "--000000000000alt",
            'Content-Type: text/plain; charset="UTF-8"',
            "",
            text,
            "--000000000000alt",
            'Content-Type: text/html; charset="UTF-8"',
            "",
            f"<p>{text}</p>",
            "--000000000000alt",
            'Content-Type: text/calendar; charset="UTF-8"; method=REPLY',
            "Content-Transfer-Encoding: 7bit",
            "",
        )
        + calendar
        + _lines(
            "--000000000000alt--",
            "--000000000000mixed",
            'Content-Type: application/ics; name="invite.ics"',
            'Content-Disposition: attachment; filename="invite.ics"',
            "Content-Transfer-Encoding: base64",
            "",
        )
        + attached
        + _lines("--000000000000mixed--")
    )
    if not calendar.isascii():
        # A non-ASCII comment goes base64 in the inline part too, as Gmail does.
        inline = base64.encodebytes(calendar.encode("utf-8")).decode().replace("\n", CRLF)
        body = body.replace("Content-Transfer-Encoding: 7bit", "Content-Transfer-Encoding: base64")
        body = body.replace(calendar, inline, 1)
    return body.encode("ascii")


def apple(answer: Answer, message_id: str | None = None) -> bytes:
    calendar = _lines(
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Apple Inc.//macOS 14.4//EN",
        "METHOD:REPLY",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f'ATTENDEE;CN="{answer.name}";CUTYPE=INDIVIDUAL;EMAIL="{answer.attendee}";'
        f"PARTSTAT={answer.partstat}:mailto:{answer.attendee}",
        f"COMMENT:{answer.comment}" if answer.comment else None,
        f"DTSTAMP:{_stamp()}",
        "DTSTART:20271101T011500Z",
        "DTEND:20271101T020000Z",
        f"SEQUENCE:{answer.sequence}",
        f"SUMMARY:{answer.summary}",
        f"UID:{answer.uid}",
        "END:VEVENT",
        "END:VCALENDAR",
    )
    encoded = quopri.encodestring(calendar.encode("utf-8")).decode().replace("\n", CRLF)
    encoded = encoded.replace("\r\r\n", "\r\n")
    text = f"{answer.name} has {WORDS[answer.partstat].lower()} your event."
    body = (
        _headers(
            answer,
            f"Invitation {WORDS[answer.partstat].lower()}",
            'multipart/alternative; boundary="Apple-Mail=_A1B2C3"',
            message_id,
        )
        + CRLF
        + _lines(
            "--Apple-Mail=_A1B2C3",
            "Content-Transfer-Encoding: quoted-printable",
            "Content-Type: text/plain; charset=utf-8",
            "",
            quopri.encodestring(text.encode("utf-8")).decode(),
            "--Apple-Mail=_A1B2C3",
            "Content-Transfer-Encoding: quoted-printable",
            "Content-Type: text/calendar; method=REPLY; name=iCal-20271101-091500.ics;"
            " charset=utf-8",
            "",
        )
        + encoded
        + CRLF
        + _lines("--Apple-Mail=_A1B2C3--")
    )
    return body.encode("ascii")


def thunderbird(answer: Answer, message_id: str | None = None) -> bytes:
    calendar = _lines(
        "BEGIN:VCALENDAR",
        "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
        "VERSION:2.0",
        "METHOD:REPLY",
        "BEGIN:VEVENT",
        "CREATED:20270901T000000Z",
        f"LAST-MODIFIED:{_stamp()}",
        f"DTSTAMP:{_stamp()}",
        f"UID:{answer.uid}",
        f"SUMMARY:{answer.summary}",
        f"ORGANIZER;CN=Organizers:mailto:{answer.organizer}",
        f"ATTENDEE;RSVP=TRUE;CN={answer.name};PARTSTAT={answer.partstat};"
        f"ROLE=REQ-PARTICIPANT:mailto:{answer.attendee}",
        f"COMMENT:{answer.comment}" if answer.comment else None,
        "DTSTART:20271101T011500Z",
        "DTEND:20271101T020000Z",
        f"SEQUENCE:{answer.sequence}",
        f"X-MOZ-RECEIVED-SEQUENCE:{answer.sequence}",
        f"X-MOZ-RECEIVED-DTSTAMP:{_stamp()}",
        "X-MOZ-SEND-INVITATIONS:TRUE",
        "X-MOZ-SEND-INVITATIONS-UNDISCLOSED:FALSE",
        "END:VEVENT",
        "END:VCALENDAR",
    )
    text = f"{answer.name} has {WORDS[answer.partstat].lower()} your event invitation."
    body = (
        _headers(
            answer,
            f"{WORDS[answer.partstat]}",
            'multipart/mixed; boundary="------------tb0123456789"',
            message_id,
        )
        + CRLF
        + _lines(
            "This is a multi-part message in MIME format.",
            "--------------tb0123456789",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            text,
            "",
            "--------------tb0123456789",
            "Content-Type: text/calendar; charset=UTF-8; method=REPLY",
            "Content-Transfer-Encoding: 8bit",
            "",
        )
        + calendar
        + _lines(
            "--------------tb0123456789",
            "Content-Type: application/ics; name=invite.ics",
            "Content-Disposition: attachment; filename=invite.ics",
            "Content-Transfer-Encoding: 8bit",
            "",
        )
        + calendar
        + _lines("--------------tb0123456789--")
    )
    return body.encode("utf-8")


CLIENTS = {"outlook": outlook, "gmail": gmail, "apple": apple, "thunderbird": thunderbird}
