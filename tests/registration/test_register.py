"""Registering through the form: seats, duplicates, validation and closed registration."""

import unicodedata
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventreg.core import audit
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.registration.models import Answer, Question, Registration
from eventreg.registration.services import send_new_link
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.registration.helpers import (
    fill_registration,
    latest_link_for,
    management_link,
    outbox,
    page_text,
    register,
    register_url,
    registration_by_email,
)


def registration_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def add_question(conference, **fields) -> Question:
    question = Question(conference=conference, **fields)
    db.session.add(question)
    db.session.commit()
    return question


def test_the_form_shows_a_visible_label_for_every_field(app, client):
    conference = make_conference(privacy_notice="We keep your data until the end of 2030.")
    add_question(conference, label="Dietary needs", kind="short_text")
    add_question(conference, label="Language", kind="single_choice", choices=["English", "中文"])

    html = client.get(register_url(conference)).get_data(as_text=True)

    for field_id in ("full_name", "email", "affiliation", "country", "consent"):
        assert f'<label for="{field_id}">' in html
    assert "Dietary needs" in html
    assert "<legend>Language" in html
    assert '<label for="question_' in html
    assert "We keep your data until the end of 2030." in html


def test_registering_takes_a_seat_and_mails_the_private_link(app, client):
    conference = make_conference(capacity=10)

    response = register(client, conference, full_name="Giulia Rossi", email="giulia@example.org")

    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    assert "Check your e-mail" in page_text(confirmation)
    registration = registration_by_email("giulia@example.org")
    assert registration.status == "confirmed"
    assert registration.confirmed_at is not None
    assert registration.consented_at is not None
    assert registration.consent_text == conference.privacy_notice
    [message] = outbox()
    assert message.kind == "registration_confirmed"
    assert message.registration_id == registration.id
    assert "giulia@example.org" in message.recipient
    link = management_link(message)
    assert link not in confirmation.get_data(as_text=True)
    assert client.get(link).status_code == 200
    # Only a hash of the secret is stored.
    secret = link.rsplit("/", 1)[1]
    assert secret not in registration.token_hash
    assert len(secret) >= 22  # at least 128 bits in URL-safe base64


def test_chinese_and_italian_names_are_stored_as_typed(app, client):
    conference = make_conference()
    decomposed = unicodedata.normalize("NFD", "Nicolò Bianchi")

    register(client, conference, full_name="  张晓宇  ", email="zhang@example.org")
    register(client, conference, full_name=decomposed, email="nicolo@example.org", country="IT")

    assert registration_by_email("zhang@example.org").full_name == "张晓宇"
    italian = registration_by_email("nicolo@example.org")
    assert italian.full_name == "Nicolò Bianchi"
    assert italian.full_name == unicodedata.normalize("NFC", italian.full_name)
    assert italian.country == "IT"


def test_the_email_address_is_stored_normalised(app, client):
    conference = make_conference()

    register(client, conference, email="Ada.Lovelace@EXAMPLE.org")

    assert registration_by_email("ada.lovelace@example.org").email == "Ada.Lovelace@example.org"


def test_the_database_refuses_a_second_registration_with_the_same_address(app):
    conference = make_conference()
    for token_hash in ("a" * 64, "b" * 64):
        db.session.add(
            Registration(
                conference_id=conference.id,
                email="Ada@example.org" if token_hash[0] == "a" else "ada@example.org",
                full_name="Ada",
                status="confirmed",
                token_hash=token_hash,
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_answers_to_the_organizers_questions_are_stored(app, client):
    conference = make_conference()
    language = add_question(
        conference,
        label="Language",
        kind="single_choice",
        required=True,
        choices=["English", "中文", "Italiano"],
    )
    topics = add_question(
        conference, label="Topics", kind="multiple_choice", choices=["Biomedicine", "Health Tech"]
    )
    diet = add_question(conference, label="Diet", kind="short_text")
    notes = add_question(conference, label="Notes", kind="long_text")
    partnering = add_question(conference, label="Partnering", kind="checkbox")

    response = register(
        client,
        conference,
        **{
            f"question_{language.id}": "中文",
            f"question_{topics.id}": ["Biomedicine", "Health Tech"],
            f"question_{diet.id}": "Vegetarian",
            f"question_{notes.id}": "First line\r\nSecond line",
            f"question_{partnering.id}": "y",
        },
    )

    assert response.status_code == 303
    registration = registration_by_email("ada@example.org")
    answers = {answer.question_id: answer.value for answer in registration.answers}
    assert answers == {
        language.id: "中文",
        topics.id: ["Biomedicine", "Health Tech"],
        diet.id: "Vegetarian",
        notes.id: "First line\r\nSecond line",
        partnering.id: True,
    }


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"full_name": ""}, "full_name", "Please enter your name."),
        ({"full_name": "Ada\r\nBcc: victim@example.org"}, "full_name", "single line"),
        ({"full_name": "Ada\x00Lovelace"}, "full_name", "single line"),
        ({"full_name": "Ada\u202eecalevol"}, "full_name", "single line"),
        ({"full_name": "A" * 201}, "full_name", "200 characters or fewer"),
        ({"affiliation": "x" * 201}, "affiliation", "200 characters or fewer"),
        ({"email": "not an address"}, "email", "not a valid e-mail address"),
        ({"email": ""}, "email", "Please enter your e-mail address."),
        ({"email": "ada@example.org\r\nBcc: x@example.org"}, "email", "not a valid e-mail"),
        ({"email": "张伟@example.org"}, "email", "not a valid e-mail address"),
        ({"country": "Atlantis"}, "country", "choose a country"),
        ({"consent": None}, "consent", "agree to the privacy notice"),
    ],
)
def test_invalid_input_comes_back_with_a_message_and_stores_nothing(
    app, client, fields, field_id, message
):
    conference = make_conference()
    data = fill_registration(client, conference, **{"full_name": "Wang Fang", **fields})

    response = client.post(register_url(conference), data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert registration_count() == 0
    assert outbox() == []


def test_a_refused_form_keeps_the_values_that_were_typed(app, client):
    conference = make_conference()
    diet = add_question(conference, label="Diet", kind="short_text")

    response = client.post(
        register_url(conference),
        data=fill_registration(
            client,
            conference,
            full_name="Francesca Colombo",
            email="broken@",
            affiliation="Istituto di Bioingegneria",
            **{f"question_{diet.id}": "Senza glutine"},
        ),
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="Francesca Colombo"' in html
    assert 'value="broken@"' in html
    assert 'value="Istituto di Bioingegneria"' in html
    assert 'value="Senza glutine"' in html
    assert "Please correct 1 problem" in html


def test_required_questions_must_be_answered(app, client):
    conference = make_conference()
    language = add_question(
        conference, label="Language", kind="single_choice", required=True, choices=["English"]
    )
    agreement = add_question(conference, label="Code of conduct", kind="checkbox", required=True)
    topics = add_question(
        conference, label="Topics", kind="multiple_choice", required=True, choices=["A", "B"]
    )

    response = register(client, conference)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for question in (language, agreement, topics):
        assert f'id="question_{question.id}-error"' in html
    assert registration_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize("blank", ["   ", "\r", "\r\n", "\u3000"])
@pytest.mark.parametrize("kind", ["short_text", "long_text"])
def test_a_blank_answer_to_a_required_text_question_is_refused(app, client, kind, blank):
    conference = make_conference()
    diet = add_question(conference, label="Diet", kind=kind, required=True)

    response = register(client, conference, **{f"question_{diet.id}": blank})

    assert response.status_code == 400
    assert f'id="question_{diet.id}-error"' in response.get_data(as_text=True)
    assert registration_count() == 0


def test_a_choice_that_is_not_offered_is_refused(app, client):
    conference = make_conference()
    language = add_question(
        conference, label="Language", kind="single_choice", choices=["English", "中文"]
    )

    response = register(client, conference, **{f"question_{language.id}": "Klingon"})

    assert response.status_code == 400
    assert "Please choose one of the options." in response.get_data(as_text=True)
    assert registration_count() == 0


def test_a_form_without_its_csrf_token_is_refused(app, client):
    conference = make_conference()
    data = fill_registration(client, conference)
    del data["csrf_token"]

    response = client.post(register_url(conference), data=data)

    assert response.status_code == 400
    assert "expired" in page_text(response)
    assert registration_count() == 0


@pytest.mark.parametrize(
    ("fields", "heading"),
    [
        ({"registration_opens_at": utcnow() + timedelta(days=3)}, "not open yet"),
        (
            {
                "registration_opens_at": utcnow() - timedelta(days=10),
                "registration_closes_at": utcnow() - timedelta(days=1),
            },
            "Registration is closed",
        ),
        (
            {
                "start_date": utcnow().date() - timedelta(days=20),
                "registration_opens_at": utcnow() - timedelta(days=60),
            },
            "This conference has taken place",
        ),
    ],
)
def test_closed_registration_shows_a_message_instead_of_the_form(app, client, fields, heading):
    conference = make_conference(**fields)

    page = client.get(register_url(conference))

    assert page.status_code == 200
    assert heading in page_text(page)
    assert 'name="full_name"' not in page.get_data(as_text=True)
    token = csrf_token_from(client.get(f"/c/{conference.slug}/resend").get_data(as_text=True))
    refused = client.post(
        register_url(conference),
        data={
            "csrf_token": token,
            "full_name": "Late",
            "email": "late@example.org",
            "consent": "y",
        },
    )
    assert refused.status_code == 403
    assert heading in page_text(refused)
    assert registration_count() == 0


def test_a_draft_conference_has_no_registration_page(app, client):
    conference = make_conference(published=False)

    assert client.get(register_url(conference)).status_code == 404


def test_the_resend_page_answers_the_same_whether_or_not_the_address_is_registered(app, client):
    conference = make_conference()
    register(client, conference, email="ada@example.org")
    first_link = latest_link_for("ada@example.org")
    resend_url = f"/c/{conference.slug}/resend"

    answers = []
    for address in ("ada@example.org", "nobody@example.org"):
        token = csrf_token_from(client.get(resend_url).get_data(as_text=True))
        response = client.post(resend_url, data={"csrf_token": token, "email": address})
        assert response.status_code == 303
        answers.append(page_text(client.get(response.headers["Location"])).replace(address, "@"))

    assert answers[0] == answers[1]
    assert [m.kind for m in outbox()] == ["registration_confirmed", "management_link"]
    spare_link = latest_link_for("ada@example.org")
    assert spare_link != first_link
    assert spare_link not in answers[0]
    # Anyone may ask, so asking ends no link: the first keeps working beside the spare.
    assert client.get(first_link).status_code == 200
    assert client.get(spare_link).status_code == 200


def test_asking_again_mails_the_same_spare_link_and_only_the_organizers_replace_links(app, client):
    conference = make_conference()
    register(client, conference, email="ada@example.org")
    first_link = latest_link_for("ada@example.org")
    resend_url = f"/c/{conference.slug}/resend"
    spare_links = []
    for _attempt in range(2):
        token = csrf_token_from(client.get(resend_url).get_data(as_text=True))
        client.post(resend_url, data={"csrf_token": token, "email": "ada@example.org"})
        spare_links.append(latest_link_for("ada@example.org"))
    assert spare_links[0] == spare_links[1] != first_link

    send_new_link(audit.SYSTEM, db.session.scalar(sa.select(Registration)))

    replacement = latest_link_for("ada@example.org")
    assert client.get(first_link).status_code == 404
    assert client.get(spare_links[0]).status_code == 404
    assert client.get(replacement).status_code == 200


def test_the_resend_form_refuses_an_invalid_address(app, client):
    conference = make_conference()
    resend_url = f"/c/{conference.slug}/resend"
    token = csrf_token_from(client.get(resend_url).get_data(as_text=True))

    response = client.post(resend_url, data={"csrf_token": token, "email": "nope"})

    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert outbox() == []


@pytest.mark.parametrize(
    ("content_type", "status", "message"),
    [
        ("application/x-www-form-urlencoded", 400, "200 characters or fewer"),
        ("multipart/form-data", 413, "far too long"),  # beyond Flask's form memory limit
    ],
)
def test_a_huge_submission_is_refused_kindly(app, client, content_type, status, message):
    conference = make_conference()
    data = fill_registration(client, conference, full_name="x" * 900_000)

    response = client.post(register_url(conference), data=data, content_type=content_type)

    assert response.status_code == status
    assert message in page_text(response)
    assert registration_count() == 0
