"""Registration categories, as organizers manage them: texts in each language, seats
within the conference's, counts per category, deleting, and questions asked of one."""

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.registration.models import Question, RegistrationCategory
from eventreg.registration.questions import definitions
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, log_in, make_user, post_form


@pytest.fixture
def conference(app):
    return make_conference(slug="sz", title="Biotech bridge", capacity=100)


@pytest.fixture
def organizer_client(client, conference):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return client


def make_category(conference, **fields) -> RegistrationCategory:
    category = RegistrationCategory(
        conference_id=conference.id, name=fields.pop("name", "Delegation"), **fields
    )
    db.session.add(category)
    db.session.commit()
    return category


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


CATEGORY = {"name": "Delegation", "visibility": "public", "position": "1"}


def test_a_category_is_added_with_its_translations_and_audited(organizer_client, conference):
    before = fresh(conference).updated_at

    response = post_form(
        organizer_client,
        "/manage/c/sz/categories",
        {
            **CATEGORY,
            "description": "Official delegates.",
            "capacity": "40",
            "visibility": "hidden",
            "requires_approval": "y",
            "tr_zh_name": "代表团",
            "tr_it_description": "Delegati ufficiali.",
        },
    )

    assert response.status_code == 302
    category = db.session.scalar(sa.select(RegistrationCategory))
    assert (category.name, category.capacity, category.visibility) == ("Delegation", 40, "hidden")
    assert category.requires_approval and category.position == 1
    assert category.translations == {
        "zh": {"name": "代表团"},
        "it": {"description": "Delegati ufficiali."},
    }
    [entry] = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="registrationcategory.created")
    ).all()
    assert entry.after["capacity"] == 40
    assert fresh(conference).updated_at > before
    page = organizer_client.get("/manage/c/sz/categories")
    assert "Delegation" in page.text and "0 / 40" in page.text


def test_a_category_is_edited_and_only_the_change_audited(organizer_client, conference):
    category = make_category(conference, translations={"zh": {"name": "代表团"}})

    page = organizer_client.get(f"/manage/c/sz/categories/{category.id}")
    assert page.status_code == 200 and "代表团" in page.text
    response = post_form(
        organizer_client,
        f"/manage/c/sz/categories/{category.id}",
        {**CATEGORY, "name": "Delegations", "tr_zh_name": "代表团"},
    )

    assert response.status_code == 302
    assert fresh(category).name == "Delegations"
    [entry] = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="registrationcategory.updated")
    ).all()
    assert entry.before == {"name": "Delegation", "position": 0}
    assert entry.after == {"name": "Delegations", "position": 1}


def test_more_seats_than_the_conference_has_are_refused(organizer_client, conference):
    response = post_form(
        organizer_client, "/manage/c/sz/categories", {**CATEGORY, "capacity": "101"}
    )

    assert response.status_code == 400
    assert "The conference has 100 seats; a category cannot have more." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RegistrationCategory)) == 0


def test_a_duplicate_name_is_a_form_error(organizer_client, conference):
    make_category(conference)

    response = post_form(organizer_client, "/manage/c/sz/categories", CATEGORY)

    assert response.status_code == 400
    assert "This conference already has one called “Delegation”." in response.text


def test_the_list_counts_each_categorys_registrations(organizer_client, conference):
    category = make_category(conference, capacity=3)
    for status in ("confirmed", "confirmed", "waiting", "pending", "cancelled"):
        make_registration(conference, status=status, category_id=category.id)

    page = organizer_client.get("/manage/c/sz/categories").text

    row = page[page.index("Delegation") :]
    row = row[: row.index("</tr>")]
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    assert cells[2:6] == ["2 / 3", "1", "1", "0"]


def test_deleting_is_refused_while_people_are_registered(organizer_client, conference):
    category = make_category(conference)
    make_registration(conference, status="cancelled", category_id=category.id)

    response = post_form(
        organizer_client,
        f"/manage/c/sz/categories/{category.id}/delete",
        {},
        form_page="/manage/c/sz/categories",
    )

    assert response.status_code == 303
    assert fresh(category) is not None
    page = organizer_client.get("/manage/c/sz/categories").text
    assert "still has 1 registration" in page


def test_deleting_an_empty_category_asks_first_and_is_audited(organizer_client, conference):
    category = make_category(conference)
    page = organizer_client.get("/manage/c/sz/categories").text
    assert "data-confirm=" in page

    response = post_form(
        organizer_client,
        f"/manage/c/sz/categories/{category.id}/delete",
        {},
        form_page="/manage/c/sz/categories",
    )

    assert response.status_code == 303
    assert db.session.get(RegistrationCategory, category.id) is None
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="registrationcategory.deleted"))


def test_a_question_asked_of_one_category(organizer_client, conference):
    category = make_category(conference)

    response = post_form(
        organizer_client,
        "/manage/c/sz/questions",
        {"label": "Passport number?", "kind": "short_text", "category_id": str(category.id)},
    )

    assert response.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert question.category_id == category.id
    [definition] = definitions(fresh(conference))
    assert definition.category_id == category.id
    page = organizer_client.get("/manage/c/sz/questions").text
    assert "Passport number?" in page and ">Delegation</td>" in page

    # Back to everyone, through the edit page.
    post_form(
        organizer_client,
        f"/manage/c/sz/questions/{question.id}",
        {"label": "Passport number?", "kind": "short_text", "category_id": ""},
    )
    assert fresh(question).category_id is None
    [definition] = definitions(fresh(conference))
    assert definition.category_id is None


def test_a_question_cannot_be_asked_of_another_conferences_category(organizer_client, conference):
    elsewhere = make_category(make_conference(slug="other"))

    response = post_form(
        organizer_client,
        "/manage/c/sz/questions",
        {"label": "Passport?", "kind": "short_text", "category_id": str(elsewhere.id)},
    )

    assert response.status_code == 400
    assert db.session.scalar(sa.select(Question)) is None


def test_viewers_without_the_role_get_403_or_404(client, conference):
    category = make_category(conference)
    other = make_conference(slug="other")
    stranger = make_user("stranger@example.org")
    give_role(stranger, other)
    staff = make_user("desk@example.org")
    give_role(staff, conference, "checkin")

    log_in(client, stranger)
    assert client.get("/manage/c/sz/categories").status_code == 404
    assert client.get(f"/manage/c/other/categories/{category.id}").status_code == 404
    log_in(client, staff)
    assert client.get("/manage/c/sz/categories").status_code == 403
    assert client.get(f"/manage/c/sz/categories/{category.id}").status_code == 403


def test_a_copied_conference_keeps_its_categories_and_their_questions(app, conference):
    from datetime import date

    from eventreg.schedule.conference_changes import duplicate_conference

    organizer = make_user("copier@example.org")
    press = make_category(conference, name="Press", capacity=20, visibility="hidden")
    db.session.add(
        Question(
            conference_id=conference.id, label="Outlet", kind="short_text", category_id=press.id
        )
    )
    db.session.commit()

    copy = duplicate_conference(
        organizer,
        conference,
        title="Biotech bridge 2028",
        slug="sz-2028",
        start_date=date(2028, 3, 1),
    )

    copied = db.session.scalars(
        sa.select(RegistrationCategory).filter_by(conference_id=copy.id)
    ).one()
    assert (copied.name, copied.capacity, copied.visibility) == ("Press", 20, "hidden")
    question = db.session.scalars(sa.select(Question).filter_by(conference_id=copy.id)).one()
    assert question.category_id == copied.id
