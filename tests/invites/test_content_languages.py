"""Mail and calendars in the recipient's language: what organizers wrote reaches a Chinese
attendee in Chinese (subject, body, invite), through the real SMTP server and all three
calendar parsers; an Italian attendee with no Italian text gets the main language."""

from datetime import date

import pytest

from eventreg.core.extensions import db
from eventreg.registration import notifications
from eventreg.registration.tokens import feed_token_for
from tests.factories import make_conference, make_room, make_speaker, make_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import calendar_part, deliver, html_body, text_body

DAY = date(2031, 10, 14)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def keynote(app):
    conference = make_conference(
        title="Medicine across borders",
        translations={"zh": {"title": "跨越国界的医学", "venue": "深圳会展中心"}},
        venue="Shenzhen Convention Centre",
        start_date=DAY,
        end_date=DAY,
    )
    hall = make_room(conference, name="Main Hall", translations={"zh": {"name": "主会场"}})
    chen = make_speaker(
        conference, name="陈伟", title="Chief physician", translations={"zh": {"title": "主任医师"}}
    )
    return make_talk(
        conference,
        title="The future of AI in medicine",
        abstract="How hospitals use data.",
        translations={"zh": {"title": "人工智能与医疗的未来", "abstract": "医院如何使用数据。"}},
        room=hall,
        speakers=[chen],
    )


def joined(smtp_server, talk, locale: str):
    registration = make_registration(talk.conference, locale=locale)
    add_signup(registration, talk)
    notifications.session_joined(registration, talk, "confirmed")
    db.session.commit()
    (message,) = deliver(smtp_server)
    return registration, message


def test_a_chinese_attendee_gets_the_invite_in_chinese(smtp_server, keynote):
    _, message = joined(smtp_server, keynote, "zh")
    assert "人工智能与医疗的未来" in message["Subject"]
    body = text_body(message)
    assert "人工智能与医疗的未来" in body and "主会场, 深圳会展中心" in body
    assert "跨越国界的医学" in html_body(message)
    assert "The future of AI" not in body
    method, data = calendar_part(message)
    _, events = parse_agreed(data)
    (event,) = events.values()
    assert event.summary == "人工智能与医疗的未来"
    assert "医院如何使用数据。" in data.decode() and "主任医师" in data.decode()


def test_an_italian_attendee_without_italian_text_gets_the_main_language(smtp_server, keynote):
    _, message = joined(smtp_server, keynote, "it")
    assert "The future of AI in medicine" in message["Subject"]
    body = text_body(message)
    assert "Main Hall, Shenzhen Convention Centre" in body
    _, events = parse_agreed(calendar_part(message)[1])
    assert [event.summary for event in events.values()] == ["The future of AI in medicine"]


def test_the_conference_mail_subject_and_invite_follow_the_recipient(smtp_server, keynote):
    conference = keynote.conference
    registration = make_registration(conference, locale="zh")
    notifications.registration_received(registration, "a-secret-token-for-the-test")
    db.session.commit()
    (message,) = deliver(smtp_server)
    assert "跨越国界的医学" in message["Subject"]
    _, events = parse_agreed(calendar_part(message)[1])
    assert [event.summary for event in events.values()] == ["跨越国界的医学"]


def test_the_personal_agenda_feed_is_in_the_attendees_language(client, keynote):
    registration = make_registration(keynote.conference, locale="zh")
    add_signup(registration, keynote)
    # A calendar app sends no Accept-Language of the attendee's: their own setting counts.
    response = client.get(
        f"/feeds/agenda/{feed_token_for(registration.id)}.ics", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    _, events = parse_agreed(response.data)
    assert {event.summary for event in events.values()} == {
        "跨越国界的医学",
        "人工智能与医疗的未来",
    }
