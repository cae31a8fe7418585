"""What each notification sends: structure, content and headers of the delivered e-mail."""

import re
from datetime import date

import icalendar
import pytest
import sqlalchemy as sa

from eventreg.accounts.services import create_user, request_password_reset
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import notifications
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import calendar_part, deliver, html_body, part_of, text_body


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
        venue="Shenzhen Conference Centre",
        address="Futian District, Shenzhen",
        organizer_name="Shenzhen-European Office",
        organizer_email="events@example.org",
    )


def kinds() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def test_a_confirmed_registration_gets_a_multipart_mail_with_the_invite(smtp_server, conference):
    make_talk(conference, day=date(2027, 11, 1), start="09:15", end="10:00")
    registration = make_registration(conference, full_name="Giulia Rossi")
    notifications.registration_received(registration, "manage-secret")
    db.session.commit()

    (message,) = deliver(smtp_server)

    assert kinds() == ["registration_confirmed"]
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    # The HTML comes with its check-in QR code (tests/mail/test_mail_look.py).
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "multipart/related",
        "text/calendar",
    ]
    calendar = part_of(message, "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset") == "UTF-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    # The same invite twice, byte for byte, CRLF line ends intact.
    method, data = calendar_part(message)
    assert attachment.get_payload(decode=True) == data
    assert data.count(b"\r\n") == data.count(b"\n")
    assert parse_agreed(data)[0] == method == "REQUEST"

    text = text_body(message)
    manage_url = f"http://eventreg.test/c/{conference.slug}/manage/manage-secret"
    assert "Dear Giulia Rossi," in text
    assert "Shenzhen-Italy Healthcare Special" in text
    # When: at the venue and in UTC; where: venue and address.
    assert "Monday, November 1, 2027, 09:15–10:00 CST (Asia/Shanghai)" in text
    assert "2027-11-01 01:15–02:00 UTC" in text
    assert "Shenzhen Conference Centre, Futian District, Shenzhen" in text
    assert manage_url in text
    assert "webcal://eventreg.test/feeds/agenda/" in text
    html = html_body(message)
    assert f'<a href="{manage_url}"' in html
    assert "2027-11-01 01:15–02:00 UTC" in html

    assert message["Subject"] == "Your seat at Shenzhen-Italy Healthcare Special is confirmed"
    assert message["Reply-To"].addresses[0].addr_spec == "events@example.org"
    # From the address the invite names as ORGANIZER (the attendee's own reply address,
    # see tests/registration/test_calendar_replies.py); the agent sending is the Sender.
    sender = message["From"].addresses[0]
    assert sender.addr_spec.startswith(f"rsvp+{registration.id}-")
    assert sender.display_name == "Shenzhen-European Office"
    assert message["Sender"].addresses[0].addr_spec == "noreply@eventreg.invalid"
    assert message["Message-ID"]
    assert message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"


def test_a_place_on_the_waiting_list_comes_without_an_invite(smtp_server, conference):
    make_registration(conference, status="waiting")
    registration = make_registration(conference, status="waiting")
    notifications.registration_received(registration, "manage-secret", position=2)
    db.session.commit()

    (message,) = deliver(smtp_server)

    assert kinds() == ["registration_waiting"]
    assert part_of(message, "text/calendar") is None
    assert part_of(message, "application/ics") is None
    assert "waiting list, in position 2" in text_body(message)
    assert "/manage/manage-secret" in text_body(message)


def test_names_in_chinese_and_italian_are_encoded_and_read_back_intact(smtp_server, app):
    conference = make_conference(title="深圳–意大利 生物技术 «Salute»")
    chinese = make_registration(conference, full_name="孙晓宇")
    italian = make_registration(conference, full_name="Niccolò D'Alò")
    for registration in (chinese, italian):
        notifications.registration_received(registration, "secret")
    db.session.commit()

    messages = deliver(smtp_server)

    names = [m["To"].addresses[0].display_name for m in messages]
    assert names == ["孙晓宇", "Niccolò D'Alò"]
    assert messages[0]["Subject"] == "Your seat at 深圳–意大利 生物技术 «Salute» is confirmed"
    raw_headers = smtp_server.received[0].raw.split(b"\r\n\r\n")[0]
    assert raw_headers.isascii()  # RFC 2047 encoded words, not raw UTF-8
    assert "Dear 孙晓宇," in text_body(messages[0])
    _, data = calendar_part(messages[1])
    attendee = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]["ATTENDEE"]
    assert attendee.params["CN"] == "Niccolò D'Alò"


def test_a_name_or_title_with_line_breaks_cannot_add_headers(smtp_server, app):
    conference = make_conference(title="Biotech\r\nBcc: everyone@example.org")
    registration = make_registration(
        conference, full_name="Mallory\r\nBcc: victim@example.org\nX-Evil: 1"
    )
    notifications.registration_received(registration, "secret")
    db.session.commit()

    (message,) = deliver(smtp_server)
    (received,) = smtp_server.received

    assert message["Bcc"] is None
    assert message["X-Evil"] is None
    assert received.rcpt_tos == (registration.email,)
    assert len(message["To"].addresses) == 1
    assert message["To"].addresses[0].display_name == "Mallory Bcc: victim@example.org X-Evil: 1"
    assert message["Subject"] == ("Your seat at Biotech Bcc: everyone@example.org is confirmed")


def test_a_resent_link_carries_the_link_and_no_invite(smtp_server, conference):
    registration = make_registration(conference)
    notifications.management_link_resent(registration, "fresh-secret")
    db.session.commit()

    (message,) = deliver(smtp_server)

    assert kinds() == ["management_link"]
    assert part_of(message, "text/calendar") is None
    assert f"/c/{conference.slug}/manage/fresh-secret" in text_body(message)


def test_a_promotion_brings_the_conference_invite(smtp_server, conference):
    registration = make_registration(conference, status="confirmed")
    notifications.registration_promoted(registration)
    db.session.commit()

    (message,) = deliver(smtp_server)

    method, data = calendar_part(message)
    _, events = parse_agreed(data)
    assert method == "REQUEST"
    assert list(events) == [f"{conference.uuid}@eventreg"]
    assert "a seat at Shenzhen-Italy Healthcare Special has become free" in text_body(message)


def test_cancelling_sends_a_cancel_for_the_conference_and_each_session_with_a_seat(
    smtp_server, conference
):
    room = make_room(conference)
    first = make_talk(conference, title="Genomics", room=room)
    second = make_talk(conference, title="Devices", start="11:00", end="11:45")
    queued = make_talk(conference, title="Workshop", start="14:00", end="15:00", capacity=1)
    registration = make_registration(conference)
    add_signup(registration, first)
    add_signup(registration, second)
    add_signup(registration, queued, "waiting")
    registration.status = "cancelled"
    notifications.registration_cancelled(registration)
    db.session.commit()

    messages = deliver(smtp_server)

    assert kinds() == [
        "registration_cancelled",
        "registration_cancelled_session",
        "registration_cancelled_session",
    ]
    cancelled_uids = []
    for message in messages:
        method, data = calendar_part(message)
        parsed_method, events = parse_agreed(data)
        assert method == parsed_method == "CANCEL"
        (event,) = events.values()  # one event per message
        assert event.status == "CANCELLED"
        cancelled_uids.append(event.uid)
    assert cancelled_uids == [
        f"{conference.uuid}@eventreg",
        f"{first.uuid}@eventreg",
        f"{second.uuid}@eventreg",
    ]
    assert "Genomics" in text_body(messages[0]) and "Devices" in text_body(messages[0])


def test_leaving_a_session_cancels_that_session_only(smtp_server, conference):
    kept = make_talk(conference, title="Kept")
    left = make_talk(conference, title="Left", start="11:00", end="11:45")
    registration = make_registration(conference)
    add_signup(registration, kept)
    notifications.session_left(registration, left)
    db.session.commit()

    (message,) = deliver(smtp_server)

    method, data = calendar_part(message)
    _, events = parse_agreed(data)
    assert method == "CANCEL"
    assert list(events) == [f"{left.uuid}@eventreg"]
    assert message["Subject"] == "Removed from your agenda: Left"


def test_joining_a_session_sends_its_invite_and_a_waiting_place_does_not(smtp_server, conference):
    talk = make_talk(conference, title="Hands-on: CAR-T manufacturing", capacity=1)
    seated = make_registration(conference)
    queued = make_registration(conference)
    notifications.session_joined(seated, talk, "confirmed")
    notifications.session_joined(queued, talk, "waiting")
    notifications.session_promoted(queued, talk)
    db.session.commit()

    joined, waiting, promoted = deliver(smtp_server)

    assert kinds() == ["session_confirmed", "session_waiting", "session_promoted"]
    assert calendar_part(joined)[0] == "REQUEST"
    assert part_of(waiting, "text/calendar") is None
    assert calendar_part(promoted)[0] == "REQUEST"
    assert list(parse_agreed(calendar_part(promoted)[1])[1]) == [f"{talk.uuid}@eventreg"]


def test_a_session_without_a_time_is_confirmed_without_an_invite(smtp_server, conference):
    talk = make_talk(conference, start_at=None, end_at=None)
    registration = make_registration(conference)
    notifications.session_joined(registration, talk, "confirmed")
    db.session.commit()

    (message,) = deliver(smtp_server)

    assert part_of(message, "text/calendar") is None
    assert "Not scheduled yet" in text_body(message)


def test_an_erased_registration_is_sent_nothing(smtp_server, conference):
    registration = make_registration(conference, email=None, full_name="")
    notifications.registration_promoted(registration)
    db.session.commit()

    assert kinds() == []


def test_a_registration_that_rolls_back_records_no_mail(smtp_server, conference):
    registration = Registration(
        conference=conference,
        email="rolled.back@example.org",
        full_name="Rolled Back",
        status="confirmed",
        token_hash="0" * 64,
    )
    db.session.add(registration)
    db.session.flush()
    notifications.registration_received(registration, "secret")
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1

    db.session.rollback()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert deliver(smtp_server) == []


# --- staff account mail -------------------------------------------------------------------


def link_in(body: str, base: str) -> str:
    match = re.search(re.escape(base) + r"/manage/\S+?(?=[\s\"<]|$)", body)
    assert match, body
    return match.group(0)


def test_a_welcome_mail_has_text_and_html_and_a_link_on_the_base_url(smtp_server, app):
    app.config["BASE_URL"] = "https://register.example.org/events"
    create_user(None, "lin@example.org", name="Lin Mei")

    (message,) = deliver(smtp_server)

    assert kinds() == ["account_welcome"]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert str(message["To"]) == "Lin Mei <lin@example.org>"
    assert message["Subject"] == "Your eventreg account"
    link = link_in(text_body(message), "https://register.example.org/events")
    assert link.startswith("https://register.example.org/events/manage/welcome/")
    assert f'href="{link}"' in html_body(message)
    path = link.removeprefix("https://register.example.org/events")
    assert app.test_client().get(path).status_code == 200  # the link opens the password form


def test_a_reset_mail_takes_its_link_from_the_base_url_never_from_the_request_host(
    smtp_server, app, client
):
    app.config.update(BASE_URL="https://register.example.org", SERVER_NAME=None, TRUSTED_HOSTS=[])
    create_user(None, "ada@example.org", password="a long enough password")
    forged = {"Host": "evil.example"}
    page = client.get("/manage/password/forgot", headers=forged)
    token = csrf_token_from(page.text)

    response = client.post(
        "/manage/password/forgot",
        data={"csrf_token": token, "email": "ada@example.org"},
        headers=forged,
    )

    assert response.status_code == 302
    (message,) = deliver(smtp_server)
    assert kinds() == ["password_reset"]
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    for body in (text_body(message), html_body(message)):
        link = link_in(body, "https://register.example.org")
        assert link.startswith("https://register.example.org/manage/password/reset/")
        assert "evil.example" not in body


def test_an_account_name_with_line_breaks_cannot_add_headers(smtp_server, app):
    # Names are refused with line breaks now; one stored before that rule must still be safe.
    user = create_user(None, "eve@example.org", password="a long enough password")
    user.name = "Eve\r\nBcc: victim@example.org"
    db.session.commit()
    request_password_reset("eve@example.org")

    (message,) = deliver(smtp_server)
    (received,) = smtp_server.received

    assert message["Bcc"] is None
    assert received.rcpt_tos == ("eve@example.org",)
    assert message["To"].addresses[0].display_name == "Eve Bcc: victim@example.org"
