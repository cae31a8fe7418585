"""How mail looks in clients: inlined styles, the check-in QR code attached by Content-ID
(never a ``data:`` URI, which Gmail and Outlook block), and the invite still where calendar
clients look for it."""

import re
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from eventreg.accounts.services import create_user
from eventreg.core import audit
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import compose_deferred
from eventreg.registration import broadcasts, notifications
from eventreg.registration.checkin import checkin_code, checkin_png
from tests.factories import make_conference, make_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import make_registration
from tests.mail.mailbox import calendar_part, deliver, html_body, part_of, text_body

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(
        title="Shenzhen-Italy Healthcare Special",
        timezone="Asia/Shanghai",
        start_date=date(2027, 11, 1),
        end_date=date(2027, 11, 2),
    )


def shape(part: EmailMessage) -> object:
    """The MIME tree as nested (type, [children]) pairs, leaves as their type."""
    if part.is_multipart():
        return (part.get_content_type(), [shape(child) for child in part.iter_parts()])
    return part.get_content_type()


def recorded_messages() -> list[EmailMessage]:
    """Every message in the outbox, parsed from the bytes that go on the wire (those
    recorded as what to say composed first, as the sender composes them)."""
    compose_deferred()
    rows = db.session.scalars(sa.select(OutboxMessage.raw).order_by(OutboxMessage.id))
    return [message_from_bytes(raw, policy=policy.default) for raw in rows]


class _Elements(HTMLParser):
    """Each start tag of a document with its attributes, and the text of its <style> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style_text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style_text.append(data)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def confirmed(conference):
    registration = make_registration(conference, full_name="Giulia Rossi")
    notifications.registration_received(registration, "manage-secret")
    return registration


def promoted(conference):
    registration = make_registration(conference, full_name="Giulia Rossi")
    notifications.registration_promoted(registration)
    return registration


@pytest.mark.parametrize("notify", [confirmed, promoted])
def test_the_qr_code_is_attached_next_to_the_html_and_the_invite_stays_an_alternative(
    smtp_server, conference, notify
):
    registration = notify(conference)
    db.session.commit()

    (message,) = deliver(smtp_server)

    # RFC 6047: the calendar is an alternative of the bodies; the image is related to the
    # HTML only, so a client showing the text or the invite never meets it.
    assert shape(message) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                [
                    "text/plain",
                    ("multipart/related", ["text/html", "image/png"]),
                    "text/calendar",
                ],
            ),
            "application/ics",
        ],
    )
    related = part_of(message, "multipart/related")
    assert related.get_param("type") == "text/html"
    image = part_of(message, "image/png")
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == checkin_png(registration.id)
    assert image.get_payload(decode=True).startswith(PNG_SIGNATURE)
    content_id = image["Content-ID"].strip()
    assert content_id.startswith("<") and content_id.endswith(">")
    images = [attrs for tag, attrs in elements(html_body(message)).tags if tag == "img"]
    assert [attrs["src"] for attrs in images] == [f"cid:{content_id[1:-1]}"]
    assert images[0]["alt"]


@pytest.mark.parametrize("notify", [confirmed, promoted])
def test_the_check_in_code_is_written_out_in_both_bodies(smtp_server, conference, notify):
    registration = notify(conference)
    db.session.commit()

    (message,) = deliver(smtp_server)

    code = checkin_code(registration.id)
    assert f"Check-in code: {code}" in text_body(message)
    assert f"Check-in code: {code}" in re.sub(r"<[^>]+>", "", html_body(message))


def test_the_invite_next_to_the_image_is_still_read_by_every_parser(smtp_server, conference):
    make_talk(conference, day=date(2027, 11, 1), start="09:15", end="10:00")
    confirmed(conference)
    db.session.commit()

    (message,) = deliver(smtp_server)

    method, data = calendar_part(message)
    assert method == "REQUEST"
    assert parse_agreed(data)[0] == "REQUEST"  # icalendar, vobject and ical.js agree
    attachment = part_of(message, "application/ics")
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == data


def test_the_recorded_message_keeps_crlf_line_ends_and_its_content_id(app, conference):
    confirmed(conference)
    db.session.commit()
    compose_deferred()

    raw = db.session.scalars(sa.select(OutboxMessage.raw)).one()

    assert raw.count(b"\r\n") == raw.count(b"\n")  # the wire policy, image part included
    (message,) = recorded_messages()
    # Fixed with the message, like its Message-ID: every delivery attempt sends these bytes.
    assert part_of(message, "image/png")["Content-ID"].encode() in raw


def every_attendee_mail(conference) -> None:
    talk = make_talk(conference, day=date(2027, 11, 1), start="09:15", end="10:00")
    person = make_registration(conference)
    notifications.registration_received(person, "manage-secret")
    notifications.registration_promoted(person)
    notifications.management_link_resent(person, "manage-secret")
    notifications.registered_again(person, "manage-secret", position=None)
    notifications.cancel_by_reply(person, "manage-secret")
    notifications.session_joined(person, talk, "confirmed")
    notifications.session_left(person, talk)
    notifications.registration_cancelled(person)
    waiting = make_registration(conference, status="waiting")
    notifications.registration_received(waiting, "other-secret", position=1)
    db.session.commit()
    broadcasts.send_broadcast(
        audit.SYSTEM, conference, subject="Parking", body="Use the north gate.\r\n\r\nThanks!"
    )
    create_user(None, "lin@example.org", name="Lin Mei")


def test_no_mail_carries_a_data_uri(app, conference):
    every_attendee_mail(conference)

    messages = recorded_messages()

    assert len(messages) >= 10
    for message in messages:
        html = html_body(message)
        assert "data:" not in html, message["Subject"]


def test_every_mail_has_its_styles_inlined_for_clients_that_drop_style_blocks(app, conference):
    every_attendee_mail(conference)

    for message in recorded_messages():
        html = elements(html_body(message))
        styled = {tag for tag, attrs in html.tags if attrs.get("style")}
        unstyled = [
            (tag, attrs)
            for tag, attrs in html.tags
            if tag in {"p", "td", "a"} and "style" not in attrs
        ]
        assert {"body", "table", "td", "p"} <= styled, message["Subject"]
        assert not unstyled, f"{message['Subject']}: {unstyled[:3]}"
        # What stays in <style> cannot be inlined (media queries); everything else moved.
        assert all(text.strip().startswith("@media") for text in html.style_text if text.strip())


def test_the_layout_avoids_what_outlook_and_dark_modes_break(app, conference):
    confirmed(conference)
    db.session.commit()

    (message,) = recorded_messages()
    html = html_body(message)

    for unsupported in ("display:flex", "display:grid", "var(--"):
        assert unsupported not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<!--[if mso]>" in html  # Outlook's fixed-width column; others read max-width
    assert "max-width:600px" in html
    # Dark text on backgrounds of its own: clients that darken mail (Gmail, Outlook) then
    # keep it readable; no light text is left on whatever a dark mode puts behind it.
    tags = elements(html).tags
    for colour in re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", html):
        assert luminance(colour) < 0.2, colour
    for name in ("frame", "sheet", "content"):
        (attrs,) = [attrs for _, attrs in tags if attrs.get("class") == name]
        assert "background-color:#" in attrs["style"], name
    (body,) = [attrs for tag, attrs in tags if tag == "body"]
    assert "background-color:#" in body["style"]


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
