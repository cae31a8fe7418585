"""Writing a message in the workspace: write, preview, test-send, confirm, send (or schedule,
or cancel what was scheduled). Forms are sent as a browser sends them."""

from datetime import timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Broadcast
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_speaker, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import deliver, text_body
from tests.organizers.conftest import give_role, log_in, make_user

PAGE = "/manage/c/rome/messages"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", title="Rome Days", capacity=None, timezone="Europe/Rome")


@pytest.fixture
def organizer(client, conference):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return client


@pytest.fixture
def people(conference):
    return [
        make_registration(conference, email="ana@example.org", full_name="Ana", locale="it"),
        make_registration(conference, email="li@example.org", full_name="李娜", locale="zh"),
    ]


def written(**changes) -> dict[str, str]:
    return {
        "audience": "all",
        "subject": "Shuttle",
        "body": "The bus leaves at 8.",
        "tr_zh_subject": "班车",
        "tr_zh_body": "班车八点出发。",
        **changes,
    }


def post(client, path: str, data: dict):
    token = csrf_token_from(client.get(PAGE).text)
    return client.post(path, data={"csrf_token": token, **data})


def forms_of(response) -> list:
    return lxml.html.fromstring(response.text).forms


def submit_form(client, form, button_id: str | None = None, **changes):
    """Post a form of a page as the browser does, pressing the button ``button_id``."""
    values = dict(form.form_values())
    action = form.get("action")
    if button_id is not None:
        button = form.xpath(f".//button[@id='{button_id}']")[0]
        action = button.get("formaction") or action
        if button.get("name"):
            values[button.get("name")] = button.get("value")
    values.update(changes)
    return client.post(action, data=values)


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_form_says_how_many_each_audience_reaches(organizer, conference, people):
    talk = make_talk(conference, title="CAR-T workshop")
    add_signup(people[0], talk)
    make_registration(conference, status="waiting")
    make_speaker(conference, email="sp@example.org")

    page = organizer.get(PAGE)

    options = {
        option.get("value"): option.text_content()
        for option in lxml.html.fromstring(page.text).xpath("//select[@name='audience']/option")
    }
    assert options["all"].endswith("· 2 people")
    assert options["waiting"].endswith("· 1 person")
    assert options["pending"].endswith("· 0 people")
    assert options["speakers"].endswith("· 1 person")
    assert options[f"session:{talk.id}"] == "Seat holders of “CAR-T workshop” · 1 person"


def test_sending_asks_first_and_sends_only_once_confirmed(organizer, people, smtp_server):
    asked = post(organizer, PAGE, written())

    assert asked.status_code == 200
    assert "Send to 2 people now?" in asked.text
    assert outbox() == [] and db.session.scalar(sa.select(Broadcast)) is None

    done = submit_form(organizer, forms_of(asked)[-1], "confirm-send")

    assert done.status_code == 302
    messages = deliver(smtp_server)
    li = next(m for m in messages if "li@" in m["To"])
    assert li["Subject"] == "Rome Days: 班车" and "班车八点出发。" in text_body(li)
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="message.sent"))
    assert entry.after["recipients"] == 2 and entry.after["audience"] == "all"


def test_the_preview_shows_the_chosen_recipients_copy(organizer, people):
    first = post(organizer, f"{PAGE}/preview", written())
    assert first.status_code == 200
    assert "Gentile Ana," in first.text  # the first recipient, in Italian

    form = forms_of(first)[-2]  # the recipient chooser
    chinese = submit_form(organizer, form, "show-recipient", recipient=f"r{people[1].id}")

    document = lxml.html.fromstring(chinese.text)
    assert document.get_element_by_id("preview-subject").text_content() == "Rome Days: 班车"
    text = document.get_element_by_id("preview-text").text_content()
    assert "李娜" in text and "班车八点出发。" in text
    html = organizer.post(
        f"{PAGE}/preview/html",
        data={
            **written(),
            "recipient": f"r{people[1].id}",
            "csrf_token": form.fields["csrf_token"],
        },
    )
    assert "班车八点出发。" in html.text
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert outbox() == []


def test_a_test_send_goes_to_oneself_as_the_chosen_recipient(organizer, people, smtp_server):
    preview = post(organizer, f"{PAGE}/preview", written())
    form = forms_of(preview)[-2]

    sent = submit_form(organizer, form, "send-test", recipient=f"r{people[1].id}")

    assert sent.status_code == 200
    assert "is on its way to organizer@example.org" in sent.text
    messages = deliver(smtp_server)
    assert [m["To"] for m in messages] == ["李娜 <organizer@example.org>"]
    assert messages[0]["Subject"] == "[Test] Rome Days: 班车"


def test_a_message_for_later_is_listed_in_the_conference_zone_and_can_be_cancelled(
    organizer, conference, people
):
    when = (utcnow() + timedelta(days=2)).astimezone(conference.tz).replace(second=0)
    local = when.strftime("%Y-%m-%dT%H:%M")

    asked = post(organizer, PAGE, written(send_at=local))
    assert "Schedule for" in asked.text and "(Europe/Rome), to 2 people?" in asked.text
    submit_form(organizer, forms_of(asked)[-1], "confirm-send")

    broadcast = db.session.scalar(sa.select(Broadcast))
    assert broadcast.status == "scheduled"
    page = organizer.get(PAGE)
    assert f"Scheduled for {when.strftime('%Y-%m-%d %H:%M')} (Europe/Rome)" in page.text
    assert len(outbox()) == 2

    cancel = next(f for f in forms_of(page) if f.get("action").endswith("/cancel"))
    assert cancel.get("data-confirm")
    organizer.post(cancel.get("action"), data=dict(cancel.form_values()))

    assert outbox() == []
    assert db.session.get(Broadcast, broadcast.id).status == "cancelled"


def test_a_refused_message_comes_back_with_its_reasons_and_writes_nothing(
    organizer, conference, people
):
    an_hour_ago = (utcnow() - timedelta(hours=1)).astimezone(conference.tz)
    empty = post(organizer, f"{PAGE}/preview", written(body=" "))
    past = post(
        organizer, PAGE, written(send_at=an_hour_ago.strftime("%Y-%m-%dT%H:%M"), confirmed="yes")
    )
    far = post(organizer, PAGE, written(send_at="9999-12-31T23:59", confirmed="yes"))
    nobody = post(organizer, PAGE, written(audience="pending"))

    assert {r.status_code for r in (empty, past, far, nobody)} == {400}
    assert "Choose a time in the future" in past.text
    assert "Choose a time within the coming year." in far.text
    assert "Nobody would receive this message" in nobody.text
    assert outbox() == [] and db.session.scalar(sa.select(Broadcast)) is None


def test_going_back_keeps_what_was_written(organizer, people):
    asked = post(organizer, PAGE, written())

    back = organizer.post(f"{PAGE}/edit", data={**dict(forms_of(asked)[-1].form_values())})

    assert back.status_code == 200
    assert "班车八点出发。" in back.text and "The bus leaves at 8." in back.text
