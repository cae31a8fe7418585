"""Categories and groups wherever organizers look at attendees: the list (column, filter,
group marker, CSV), the attendee's page, editing and adding by hand, badges, messages to one
category, the reports and the organizer API."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens as tokens
from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.mail.delivery import deliver_due
from eventreg.registration import broadcasts, reports
from eventreg.registration.models import (
    AccessCode,
    Answer,
    Invitation,
    Question,
    Registration,
    RegistrationCategory,
)
from tests.conftest import count_queries, csrf_token_from
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, log_in, make_user, post_form
from tests.registration.test_badges import text_of

LIST = "/manage/c/rome/attendees"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", title="Rome Days", capacity=None)


@pytest.fixture
def organizer(client, conference):
    user = make_user("organizer@example.org")
    give_role(user, conference, "organizer")
    log_in(client, user)
    return user


def make_category(conference, name, **fields) -> RegistrationCategory:
    with write_transaction():
        category = RegistrationCategory(conference_id=conference.id, name=name, **fields)
        db.session.add(category)
    return category


@pytest.fixture
def press(conference):
    return make_category(conference, "Press", translations={"zh": {"name": "媒体"}}, position=1)


@pytest.fixture
def industry(conference):
    return make_category(conference, "Industry", capacity=10, position=2)


def page_url(registration) -> str:
    return f"{LIST}/{registration.id}"


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_category_and_filters_by_one(client, organizer, press, industry):
    conference = press.conference
    make_registration(conference, full_name="Paola Press", category_id=press.id)
    make_registration(conference, full_name="Ivo Industry", category_id=industry.id)
    make_registration(conference, full_name="Nora None")

    everyone = client.get(LIST).text
    only_press = client.get(f"{LIST}?category={press.id}").text
    foreign = make_category(make_conference(slug="elsewhere"), "Press")
    ignored = client.get(f"{LIST}?category={foreign.id}").text

    assert '<th scope="col">Category</th>' in everyone
    assert '<td class="category">Press</td>' in everyone
    assert '<td class="category">Industry</td>' in everyone
    assert "Paola Press" in only_press and "Ivo Industry" not in only_press
    assert "Nora None" not in only_press
    assert f'<option value="{press.id}" selected>Press</option>' in only_press
    # Another conference's category filters nothing in or out.
    assert all(name in ignored for name in ("Paola Press", "Ivo Industry", "Nora None"))


def test_the_list_marks_the_registrant_and_their_colleagues(client, organizer, conference):
    ada = make_registration(conference, full_name="Ada Li")
    bo = make_registration(conference, full_name="Bo Chen", registered_by_id=ada.id)
    make_registration(conference, full_name="Cy Wu", registered_by_id=ada.id)

    text = client.get(LIST).text

    assert "+2 colleagues" in text
    assert f'registered by <a href="{page_url(ada)}">Ada Li</a>' in text
    assert bo.full_name in text


def test_the_csv_export_has_the_category_and_the_registrant(client, organizer, press):
    conference = press.conference
    ada = make_registration(conference, full_name="Ada Li", category_id=press.id)
    make_registration(conference, full_name="Bo Chen", registered_by_id=ada.id)

    response = client.get(f"{LIST}.csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))

    assert [(r["full_name"], r["category"], r["registered_by"]) for r in rows] == [
        ("Ada Li", "Press", ""),
        ("Bo Chen", "", "Ada Li"),
    ]
    assert rows[1]["registered_by_id"] == str(ada.id)


def test_the_list_s_queries_do_not_grow_with_the_registrations(client, organizer, press):
    conference = press.conference

    def add(number):
        for _n in range(number):
            registrant = make_registration(conference, category_id=press.id)
            make_registration(conference, registered_by_id=registrant.id)

    add(2)
    with count_queries() as few:
        assert client.get(LIST).status_code == 200
    add(14)
    with count_queries() as many:
        assert client.get(LIST).status_code == 200

    assert many.count == few.count


# --- one attendee ------------------------------------------------------------------------------


def test_the_attendee_page_shows_category_code_invitation_and_group(
    client, organizer, conference, press
):
    with write_transaction():
        code = AccessCode(conference_id=conference.id, code="PRESS27", category_id=press.id)
        db.session.add(code)
    ada = make_registration(
        conference, full_name="Ada Li", category_id=press.id, access_code_id=code.id
    )
    bo = make_registration(conference, full_name="Bo Chen", registered_by_id=ada.id)
    cy = make_registration(conference, full_name="Cy Wu", registered_by_id=ada.id, status="waiting")
    with write_transaction():
        db.session.add(
            Invitation(
                conference_id=conference.id,
                email="ada@example.org",
                full_name="Ada Li",
                token_hash="f" * 64,
                registration_id=ada.id,
            )
        )

    own = client.get(page_url(ada)).text
    colleague = client.get(page_url(bo)).text
    alone = client.get(page_url(make_registration(conference, full_name="Di Solo"))).text

    assert '<dd id="attendee-category">Press</dd>' in own
    assert "<code>PRESS27</code>" in own
    assert "Invited as Ada Li (ada@example.org)" in own
    group = colleague[colleague.index('id="attendee-group"') :]
    assert group.index("Ada Li") < group.index("Bo Chen") < group.index("Cy Wu")
    assert f'href="{page_url(ada)}"' in group and f'href="{page_url(cy)}"' in group
    assert "Waiting" in group
    assert 'id="attendee-group"' not in alone


def test_changing_the_category_is_audited_and_keeps_the_seat(
    client, organizer, conference, press, industry
):
    registration = make_registration(
        conference, full_name="Ada Li", email="ada@example.org", category_id=press.id
    )
    form = client.get(page_url(registration) + "/edit").text
    assert "keeps their seat" in form

    response = post_form(
        client,
        page_url(registration) + "/edit",
        {
            "full_name": "Ada Li",
            "email": "ada@example.org",
            "affiliation": "",
            "country": "",
            "locale": "en",
            "category": str(industry.id),
        },
    )

    assert response.status_code == 302
    db.session.rollback()
    moved = db.session.get(Registration, registration.id)
    assert (moved.category_id, moved.status) == (industry.id, "confirmed")
    entry = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="registration.updated", object_id=moved.id)
    ).one()
    assert entry.before == {"category_id": press.id, "category": "Press"}
    assert entry.after == {"category_id": industry.id, "category": "Industry"}


def test_another_conference_s_category_is_refused(client, organizer, conference):
    registration = make_registration(conference, email="ada@example.org", full_name="Ada")
    foreign = make_category(make_conference(slug="elsewhere"), "Press")

    response = post_form(
        client,
        page_url(registration) + "/edit",
        {"full_name": "Ada", "email": "ada@example.org", "locale": "en", "category": foreign.id},
    )

    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(Registration, registration.id).category_id is None


def test_a_registration_added_by_hand_may_have_a_category(client, organizer, conference, press):
    response = post_form(
        client,
        f"{LIST}/new",
        {
            "full_name": "Paola Rossi",
            "email": "paola@example.org",
            "locale": "en",
            "category": str(press.id),
            "send_mail": "y",
        },
    )

    assert response.status_code == 302
    db.session.rollback()
    added = db.session.scalars(sa.select(Registration).filter_by(email="paola@example.org")).one()
    assert added.category_id == press.id


# --- badges -----------------------------------------------------------------------------------


def badges_pdf(client, **data):
    page = client.get("/manage/c/rome/badges")
    assert page.status_code == 200
    form = {"format": "a6", "selection": "confirmed", "action": "download", **data}
    return client.post(
        "/manage/c/rome/badges.pdf", data={"csrf_token": csrf_token_from(page.text), **form}
    )


def test_a_badge_names_the_category_in_the_attendee_s_language(
    client, organizer, conference, press
):
    make_registration(conference, full_name="Li Na", locale="zh", category_id=press.id)
    make_registration(conference, full_name="Ada Rossi", locale="en", category_id=press.id)
    make_registration(conference, full_name="Nora None")

    response = badges_pdf(client, selection="category", category=str(press.id))

    assert response.status_code == 200
    text = text_of(response.data)
    assert "媒体" in text and "PRESS" in text
    assert "Nora None" not in text and "ATTENDEE" not in text
    everyone = text_of(badges_pdf(client).data)
    assert "Nora None" in everyone and "ATTENDEE" in everyone


def test_badges_of_another_conference_s_category_are_refused(client, organizer, conference):
    make_registration(conference)
    foreign = make_category(make_conference(slug="elsewhere"), "Press")

    response = badges_pdf(client, selection="category", category=str(foreign.id))

    assert response.status_code == 400
    assert "Choose a category of this conference." in response.text


# --- messages ---------------------------------------------------------------------------------


def test_a_category_audience_reaches_only_its_confirmed_attendees(
    conference, press, industry, smtp_server
):
    staff = make_user("staff@example.org")
    make_registration(conference, email="p1@example.org", category_id=press.id)
    make_registration(conference, email="p2@example.org", category_id=press.id, status="waiting")
    make_registration(conference, email="i1@example.org", category_id=industry.id)
    make_registration(conference, email="none@example.org")

    counts = broadcasts.audience_counts(conference)
    broadcast = broadcasts.send_broadcast(
        staff,
        conference,
        subject="Press room",
        body="Opens at 8.",
        audience="category",
        category=press,
    )
    deliver_due()

    assert counts[f"category:{press.id}"] == 1 and counts[f"category:{industry.id}"] == 1
    assert broadcast.category_id == press.id
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["p1@example.org"]


def test_a_scheduled_category_message_chooses_its_recipients_at_delivery(
    conference, press, smtp_server
):
    staff = make_user("staff@example.org")
    stays = make_registration(conference, email="stays@example.org", category_id=press.id)
    moves = make_registration(conference, email="moves@example.org", category_id=press.id)
    when = utcnow() + timedelta(days=1)
    broadcasts.send_broadcast(
        staff,
        conference,
        subject="Tomorrow",
        body="See you.",
        audience="category",
        category=press,
        send_at=when,
    )
    db.session.get(Registration, moves.id).category_id = None
    db.session.commit()

    deliver_due(now=when + timedelta(minutes=1))

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == [stays.email]


def test_a_category_without_its_id_is_refused(conference):
    with pytest.raises(Invalid) as refused:
        broadcasts.check_draft(conference, subject="Hi", body="Hello", audience="category")
    assert "audience" in refused.value.errors


def test_the_messages_page_offers_each_category_with_its_count(
    client, organizer, conference, press, smtp_server
):
    make_registration(conference, category_id=press.id)

    page = client.get("/manage/c/rome/messages").text
    data = {"audience": f"category:{press.id}", "subject": "Press room", "body": "At 8."}
    confirm = client.post(
        "/manage/c/rome/messages", data={"csrf_token": csrf_token_from(page), **data}
    )
    sent = client.post(
        "/manage/c/rome/messages",
        data={"csrf_token": csrf_token_from(page), **data, "confirmed": "yes"},
    )
    listing = client.get("/manage/c/rome/messages").text

    assert f'value="category:{press.id}"' in page
    assert "Confirmed attendees of the category “Press” · 1 person" in page
    assert confirm.status_code == 200 and "Press room" in confirm.text
    assert sent.status_code == 302
    assert "Confirmed attendees of the category “Press”" in listing


# --- reports ----------------------------------------------------------------------------------


def test_the_report_counts_registrations_per_category(
    client, organizer, conference, press, industry
):
    for status in ("confirmed", "confirmed", "waiting", "pending", "cancelled"):
        make_registration(conference, category_id=industry.id, status=status)
    make_registration(conference, category_id=press.id)
    make_registration(conference)

    fills = reports.category_fill(conference)
    page = client.get("/manage/c/rome/reports").text

    assert [
        (f.category.name if f.category else None, f.confirmed, f.waiting, f.pending, f.capacity)
        for f in fills
    ] == [("Press", 1, 0, 0, None), ("Industry", 2, 1, 1, 10), (None, 1, 0, 0, None)]
    assert 'id="categories-chart"' in page and 'id="categories-table"' in page
    assert "Industry: 2 confirmed, 1 waiting, 1 pending approval" in page


def test_answer_summaries_can_be_of_one_category(client, organizer, conference, press):
    with write_transaction():
        question = Question(
            conference_id=conference.id,
            label="Lunch?",
            kind="single_choice",
            choices=["Yes", "No"],
        )
        db.session.add(question)
    for category_id, value in ((press.id, "Yes"), (None, "No"), (None, "No")):
        registration = make_registration(conference, category_id=category_id)
        db.session.add(
            Answer(registration_id=registration.id, question_id=question.id, value=value)
        )
    db.session.commit()

    everyone = reports.answer_summaries(conference)[0]
    of_press = reports.answer_summaries(conference, press.id)[0]
    page = client.get(f"/manage/c/rome/reports?category={press.id}").text

    assert everyone.counts == [("Yes", 1), ("No", 2)]
    assert of_press.counts == [("Yes", 1), ("No", 0)]
    assert f'<option value="{press.id}" selected>Press</option>' in page


# --- the API ----------------------------------------------------------------------------------


def test_the_api_gives_category_and_registrant_and_filters_by_category(client, conference, press):
    organizer = make_user("api@example.org")
    give_role(organizer, conference)
    headers = {"Authorization": f"Bearer {tokens.issue(organizer, 'script')[1]}"}
    ada = make_registration(conference, full_name="Ada Li", category_id=press.id)
    make_registration(conference, full_name="Bo Chen", registered_by_id=ada.id)
    path = "/api/v1/manage/conferences/rome/registrations"

    items = client.get(path, headers=headers).get_json()["items"]
    filtered = client.get(f"{path}?category={press.id}", headers=headers).get_json()["items"]
    bad = client.get(f"{path}?category=press", headers=headers)

    assert [(i["full_name"], i["category"], i["registered_by"]) for i in items] == [
        ("Ada Li", {"id": press.id, "name": "Press"}, None),
        ("Bo Chen", None, ada.id),
    ]
    assert [i["full_name"] for i in filtered] == ["Ada Li"]
    assert bad.status_code == 422
