"""Access codes, as organizers manage them: typed or generated, unique per conference,
their uses counted, their state and their link to share."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.registration.access_codes import CODE_ALPHABET
from eventreg.registration.models import AccessCode, RegistrationCategory
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, log_in, make_user, post_form


@pytest.fixture
def conference(app):
    return make_conference(slug="sz", title="Biotech bridge", timezone="Asia/Shanghai")


@pytest.fixture
def category(conference):
    category = RegistrationCategory(conference_id=conference.id, name="Press", visibility="hidden")
    db.session.add(category)
    db.session.commit()
    return category


@pytest.fixture
def organizer_client(client, conference):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return client


def make_code(conference, code="PRESS-2027", **fields) -> AccessCode:
    access_code = AccessCode(conference_id=conference.id, code=code, **fields)
    db.session.add(access_code)
    db.session.commit()
    return access_code


def the_code() -> AccessCode:
    db.session.expire_all()
    return db.session.scalar(sa.select(AccessCode))


def test_a_typed_code_is_stored_upper_case_with_its_local_time(
    organizer_client, conference, category
):
    response = post_form(
        organizer_client,
        "/manage/c/sz/codes",
        {
            "code": "  press-2027 ",
            "category_id": str(category.id),
            "max_uses": "5",
            "valid_until": "2030-06-01T18:00",
            "note": "For the journalists",
        },
    )

    assert response.status_code == 302
    code = the_code()
    assert (code.code, code.category_id, code.max_uses) == ("PRESS-2027", category.id, 5)
    # 18:00 in Shanghai is 10:00 UTC.
    assert code.valid_until == datetime(2030, 6, 1, 10, 0, tzinfo=UTC)
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="access_code.created"))
    page = organizer_client.get(f"/manage/c/sz/codes/{code.id}").text
    assert 'value="2030-06-01T18:00"' in page


def test_an_empty_code_is_generated(organizer_client, conference):
    response = post_form(organizer_client, "/manage/c/sz/codes", {"skips_approval": "y"})

    assert response.status_code == 302
    code = the_code().code
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)


def test_a_duplicate_code_is_a_form_error(organizer_client, conference):
    make_code(conference, skips_approval=True)

    response = post_form(
        organizer_client, "/manage/c/sz/codes", {"code": "press-2027", "skips_approval": "y"}
    )

    assert response.status_code == 400
    assert "This conference already has the code PRESS-2027." in response.text


def test_the_same_code_may_serve_another_conference(organizer_client, conference):
    make_code(make_conference(slug="other"), skips_approval=True)

    response = post_form(
        organizer_client, "/manage/c/sz/codes", {"code": "PRESS-2027", "skips_approval": "y"}
    )

    assert response.status_code == 302


def test_a_code_that_does_nothing_is_refused(organizer_client, conference):
    response = post_form(organizer_client, "/manage/c/sz/codes", {"code": "NOTHING"})

    assert response.status_code == 400
    assert "A code must open a category or skip the approval" in response.text
    assert the_code() is None


def test_a_category_of_another_conference_is_refused(organizer_client, conference):
    elsewhere = RegistrationCategory(conference_id=make_conference().id, name="Other")
    db.session.add(elsewhere)
    db.session.commit()

    response = post_form(
        organizer_client, "/manage/c/sz/codes", {"code": "ABCD", "category_id": str(elsewhere.id)}
    )

    assert response.status_code == 400
    assert the_code() is None


def test_the_list_counts_uses_and_shows_state_and_link(organizer_client, conference, category):
    code = make_code(conference, category_id=category.id, max_uses=2)
    make_code(conference, "LATE", skips_approval=True, valid_until=utcnow() - timedelta(hours=1))
    for status in ("confirmed", "pending", "cancelled", "rejected"):
        make_registration(conference, status=status, access_code_id=code.id)

    page = organizer_client.get("/manage/c/sz/codes").text

    row = page[page.index("PRESS-2027") : page.index("</tr>", page.index("PRESS-2027"))]
    assert "2 / 2" in row and "used up" in row and "Press" in row
    assert "/c/sz/register?code=PRESS-2027" in row and "://" in row
    late = page[page.index("LATE") : page.index("</tr>", page.index("LATE"))]
    assert "expired" in late and "0 / ∞" in late


def test_a_code_is_edited_and_deleted_keeping_its_registrations(
    organizer_client, conference, category
):
    code = make_code(conference, category_id=category.id)
    registration = make_registration(conference, access_code_id=code.id)

    response = post_form(
        organizer_client,
        f"/manage/c/sz/codes/{code.id}",
        {"code": "", "category_id": str(category.id), "skips_approval": "y"},
    )
    assert response.status_code == 302
    assert the_code().code == "PRESS-2027" and the_code().skips_approval
    [entry] = db.session.scalars(sa.select(AuditEntry).filter_by(action="access_code.updated"))
    assert entry.after == {"skips_approval": True}

    assert "data-confirm=" in organizer_client.get("/manage/c/sz/codes").text
    response = post_form(
        organizer_client, f"/manage/c/sz/codes/{code.id}/delete", {}, form_page="/manage/c/sz/codes"
    )
    assert response.status_code == 303
    assert the_code() is None
    db.session.refresh(registration)
    assert registration.access_code_id is None
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="access_code.deleted"))


def test_others_get_403_or_404(client, conference):
    code = make_code(conference, skips_approval=True)
    stranger = make_user("stranger@example.org")
    give_role(stranger, make_conference(slug="other"))
    staff = make_user("desk@example.org")
    give_role(staff, conference, "checkin")

    log_in(client, stranger)
    assert client.get("/manage/c/sz/codes").status_code == 404
    assert client.get(f"/manage/c/other/codes/{code.id}").status_code == 404
    log_in(client, staff)
    assert client.get("/manage/c/sz/codes").status_code == 403
