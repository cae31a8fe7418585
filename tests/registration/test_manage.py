"""The private management link: status, details, cancelling, personal data, wrong links."""

import json

import pytest
import sqlalchemy as sa

from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Answer, Question, Registration, SessionSignup
from eventreg.registration.tokens import feed_token_for
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_talk
from tests.registration.helpers import (
    latest_link_for,
    outbox,
    page_text,
    post_action,
    post_form,
    register,
    registration_by_email,
)


@pytest.fixture
def conference(app):
    conference = make_conference(capacity=1)
    db.session.add(Question(conference=conference, label="Diet", kind="short_text", position=1))
    db.session.commit()
    return conference


@pytest.fixture
def diet(conference) -> Question:
    return db.session.scalar(sa.select(Question).filter_by(conference_id=conference.id))


def registered(app, conference, name: str, address: str | None = None, **fields) -> str:
    """Register ``name`` through the form; returns their management link."""
    address = address or f"{name.split()[0].lower()}@example.org"
    response = register(app.test_client(), conference, full_name=name, email=address, **fields)
    assert response.status_code == 303
    return latest_link_for(address)


def snapshot() -> list:
    """Everything a registration can change, to prove a request changed nothing."""
    db.session.expire_all()
    rows = []
    for model in (Registration, Answer, SessionSignup, OutboxMessage):
        table = model.__table__
        rows.append(db.session.execute(sa.select(table).order_by(table.c.id)).all())
    return rows


def test_the_management_page_shows_the_registration(app, client, conference, diet):
    link = registered(app, conference, "Giulia Rossi", affiliation="Università di Pavia")

    page = client.get(link)

    assert page.status_code == 200
    text = page_text(page)
    assert "You have a seat." in text
    assert "Giulia Rossi" in text
    assert "giulia@example.org" in text
    assert "Università di Pavia" in text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_management_page_offers_the_personal_calendar_feed(app, client, conference):
    link = registered(app, conference, "Giulia Rossi")
    registration = registration_by_email("giulia@example.org")

    html = client.get(link).get_data(as_text=True)

    feed = f"eventreg.test/feeds/agenda/{feed_token_for(registration.id)}"
    assert f'value="webcal://{feed}' in html
    assert f'href="http://{feed}' in html


@pytest.mark.parametrize(
    "wrong",
    [
        lambda link: link[:-1] + ("A" if link[-1] != "A" else "B"),  # one character off
        lambda link: link.rsplit("/", 1)[0] + "/x",  # nothing like a token
        lambda link: link.replace("/c/conference-", "/c/other-"),  # right token, wrong event
        lambda link: link.rsplit("/", 1)[0] + "/" + "z" * 5000,  # absurdly long
    ],
)
def test_a_wrong_link_is_the_same_404_as_a_missing_page(app, client, conference, wrong):
    link = registered(app, conference, "Ada Lovelace")
    missing = client.get("/no/such/page")

    for suffix in ("", "/details", "/cancel", "/erase", "/data.json"):
        response = client.get(wrong(link) + suffix)
        assert response.status_code == 404
        assert page_text(response) == page_text(missing)


def test_an_unknown_token_cannot_change_anything(app, client, conference):
    link = registered(app, conference, "Ada Lovelace")
    talk = make_talk(conference)
    token = csrf_token_from(client.get(link).get_data(as_text=True))
    before = snapshot()
    wrong = link[:-2] + "zz"

    for action in ("/cancel", "/erase", "/details", f"/sessions/{talk.id}/join"):
        response = client.post(wrong + action, data={"csrf_token": token, "full_name": "X"})
        assert response.status_code == 404

    assert snapshot() == before


def test_get_requests_never_change_anything(app, client, conference):
    link = registered(app, conference, "Ada Lovelace")
    talk = make_talk(conference)
    before = snapshot()

    for suffix in (
        "",
        "/details",
        "/cancel",
        "/erase",
        "/data.json",
        f"/sessions/{talk.id}/join",
        f"/sessions/{talk.id}/leave",
    ):
        response = client.get(link + suffix)
        assert response.status_code in (200, 405), (suffix, response.status_code)
    for page in ("register", "registered", "resend", "erased"):
        assert client.get(f"/c/{conference.slug}/{page}").status_code in (200, 302)

    assert snapshot() == before


def test_changing_actions_need_the_csrf_token(app, client, conference):
    link = registered(app, conference, "Ada Lovelace")
    before = snapshot()

    for action in ("/cancel", "/erase", "/details"):
        assert client.post(link + action, data={"full_name": "X"}).status_code == 400

    assert snapshot() == before


def test_editing_details_and_answers(app, client, conference, diet):
    link = registered(app, conference, "Ada Lovelace", **{f"question_{diet.id}": "Vegan"})
    form_page = client.get(link + "/details").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in form_page
    assert 'value="Vegan"' in form_page

    response = post_form(
        client,
        link + "/details",
        full_name="Ada King",
        affiliation="Analytical Engines Ltd",
        country="GB",
        **{f"question_{diet.id}": ""},
    )

    assert response.status_code == 303
    registration = registration_by_email("ada@example.org")
    assert (registration.full_name, registration.affiliation, registration.country) == (
        "Ada King",
        "Analytical Engines Ltd",
        "GB",
    )
    assert registration.answers == []
    assert "Your details are saved." in page_text(client.get(response.headers["Location"]))


def test_invalid_details_are_refused_and_nothing_changes(app, client, conference):
    link = registered(app, conference, "Ada Lovelace")
    before = snapshot()

    response = post_form(client, link + "/details", full_name="Ada\nLovelace", country="")

    assert response.status_code == 400
    assert 'id="full_name-error"' in response.get_data(as_text=True)
    assert snapshot() == before


def test_cancelling_asks_first_and_then_frees_the_seat(app, client, conference):
    link = registered(app, conference, "Ada Lovelace")
    registered(app, conference, "Bruno Bianchi")

    question = client.get(link + "/cancel")
    assert "Cancel your registration?" in page_text(question)
    assert registration_by_email("ada@example.org").status == "confirmed"

    token = csrf_token_from(question.get_data(as_text=True))
    response = client.post(link + "/cancel", data={"csrf_token": token})

    assert response.status_code == 303
    assert registration_by_email("ada@example.org").status == "cancelled"
    assert registration_by_email("bruno@example.org").status == "confirmed"
    page = page_text(client.get(response.headers["Location"]))
    assert "Your registration is cancelled." in page
    # Cancelling twice (a second tab, a double click) is harmless.
    assert "already cancelled" in page_text(client.get(link + "/cancel"))
    assert client.post(link + "/cancel", data={"csrf_token": token}).status_code == 303
    assert len(outbox(kind="registration_cancelled")) == 1
    assert len(outbox(kind="registration_promoted")) == 1


def test_the_personal_data_download_holds_everything(app, client, conference, diet):
    link = registered(
        app,
        conference,
        "张晓宇",
        "zhang.xiaoyu@example.org",
        affiliation="深圳湾实验室",
        country="CN",
        **{f"question_{diet.id}": "Halal"},
    )
    talk = make_talk(conference, title="Cell therapies")
    post_action(client, link, f"/sessions/{talk.id}/join")

    response = client.get(link + "/data.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    person = data["registration"]
    assert (person["full_name"], person["email"], person["affiliation"], person["country"]) == (
        "张晓宇",
        "zhang.xiaoyu@example.org",
        "深圳湾实验室",
        "CN",
    )
    assert person["status"] == "confirmed"
    assert person["consent"]["text"] == conference.privacy_notice
    assert data["answers"] == [{"question": "Diet", "answer": "Halal"}]
    assert [item["session"] for item in data["agenda"]] == ["Cell therapies"]
    kinds = [message["kind"] for message in data["messages"]]
    assert kinds == ["registration_confirmed", "session_confirmed"]
    assert all(message["text"] for message in data["messages"])


def test_erasing_removes_personal_data_and_keeps_an_anonymous_count(app, client, conference, diet):
    link = registered(app, conference, "Ada Lovelace", **{f"question_{diet.id}": "Vegan"})
    registered(app, conference, "Bruno Bianchi")  # waiting
    talk = make_talk(conference)
    post_action(client, link, f"/sessions/{talk.id}/join")
    ada_id = registration_by_email("ada@example.org").id
    sent = outbox(registration_id=ada_id)[0]
    sent.status = "sent"
    db.session.commit()

    assert "Erase your data?" in page_text(client.get(link + "/erase"))
    response = post_form(client, link + "/erase")

    assert response.status_code == 303
    assert "Your data has been erased" in page_text(client.get(response.headers["Location"]))
    db.session.expire_all()
    ada = db.session.get(Registration, ada_id)
    assert (ada.email, ada.email_key, ada.full_name, ada.affiliation, ada.country) == (
        None,
        None,
        "",
        "",
        "",
    )
    assert ada.answers == [] and ada.signups == []
    assert ada.status == "cancelled" and ada.erased_at is not None
    assert ada.created_at is not None and ada.confirmed_at is not None
    # The seat went to the next in line.
    assert registration_by_email("bruno@example.org").status == "confirmed"
    # Pending mail to Ada is gone; what was sent stays as a record without content.
    remaining = outbox(registration_id=ada_id)
    assert [(m.id, m.status, m.recipient, m.subject, m.raw) for m in remaining] == [
        (sent.id, "sent", "", "", b""),
    ]
    assert client.get(link).status_code == 404
    # The address is free to register again, as a new person.
    assert register(app.test_client(), conference, email="ada@example.org").status_code == 303
