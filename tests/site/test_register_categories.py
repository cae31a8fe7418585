"""The public registration form with categories, access codes, invitations and colleagues."""

import pytest
import sqlalchemy as sa

from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.registration import questions
from eventreg.registration.models import (
    AccessCode,
    Invitation,
    Question,
    Registration,
    RegistrationCategory,
)
from eventreg.site.forms import registration_form
from tests.conftest import count_queries, csrf_token_from
from tests.factories import make_conference
from tests.registration.helpers import (
    database_state,
    fill_registration,
    latest_link_for,
    outbox,
    page_text,
    register,
    register_url,
    registration_by_email,
)


def add(row):
    db.session.add(row)
    db.session.commit()
    return row


def category(conference, name, **fields) -> RegistrationCategory:
    return add(RegistrationCategory(conference_id=conference.id, name=name, **fields))


def question(conference, label, **fields) -> Question:
    fields.setdefault("kind", "short_text")
    return add(Question(conference_id=conference.id, label=label, **fields))


def access_code(conference, code, **fields) -> AccessCode:
    return add(AccessCode(conference_id=conference.id, code=code, **fields))


def invitation(conference, secret, **fields) -> Invitation:
    values = {"full_name": "Wei Chen", "email": "wei@example.org", "affiliation": "Tsinghua"}
    values.update(fields)
    return add(Invitation(conference_id=conference.id, token_hash=hash_token(secret), **values))


@pytest.fixture
def conference(app):
    return make_conference(capacity=50)


@pytest.fixture
def public(conference):
    """Two public categories and a hidden one."""
    return (
        category(conference, "Academia", description="Universities and research", position=1),
        category(conference, "Industry", position=2),
        category(conference, "Delegation", visibility="hidden", position=3),
    )


# --- categories -------------------------------------------------------------------------


def test_public_categories_are_a_required_choice(client, conference, public):
    academia, industry, delegation = public
    page = page_text(client.get(register_url(conference)))
    assert "You are registering as" in page
    assert "Academia" in page and "Universities and research" in page and "Industry" in page
    assert "Delegation" not in page  # hidden: only a code or an invitation opens it

    refused = register(client, conference)
    assert refused.status_code == 400
    assert "Please choose how you are registering." in page_text(refused)

    assert register(client, conference, category_id=str(industry.id)).status_code == 303
    assert registration_by_email("ada@example.org").category_id == industry.id


@pytest.mark.parametrize("sent", ["hidden", "nonsense", "999999"])
def test_a_category_not_offered_is_refused_on_the_field(client, conference, public, sent):
    delegation = public[2]
    value = {"hidden": str(delegation.id)}.get(sent, sent)
    before = database_state()

    refused = register(client, conference, category_id=value)

    assert refused.status_code == 400
    assert "Please choose how you are registering." in page_text(refused)
    assert database_state() == before


def test_without_categories_the_form_is_as_before(client, conference):
    html = client.get(register_url(conference)).get_data(as_text=True)
    assert "You are registering as" not in html
    assert register(client, conference).status_code == 303
    assert registration_by_email("ada@example.org").category_id is None


def test_a_categorys_questions_are_asked_of_it_only(client, conference, public):
    academia, industry, delegation = public
    university = question(conference, "Your university", required=True, category_id=academia.id)
    question(conference, "Delegation number", required=True, category_id=delegation.id)

    page = page_text(client.get(register_url(conference)))
    assert "Your university" in page and "(for Academia only)" in page
    assert "Delegation number" not in page  # a hidden category's question never shows

    field = f"question_{university.id}"
    refused = register(client, conference, category_id=str(academia.id))
    assert refused.status_code == 400 and "Please answer this question." in page_text(refused)

    # Another category neither needs the answer nor keeps one sent anyway.
    sent = register(client, conference, category_id=str(industry.id), **{field: "Ignored"})
    assert sent.status_code == 303
    assert registration_by_email("ada@example.org").answers == []

    answered = register(
        client, conference, email="li@example.org", category_id=str(academia.id), **{field: "PKU"}
    )
    assert answered.status_code == 303
    [answer] = registration_by_email("li@example.org").answers
    assert (answer.question_id, answer.value) == (university.id, "PKU")


def test_the_form_class_is_built_once_per_question_set(app, conference, public):
    question(conference, "Your university", category_id=public[0].id)
    definitions = questions.definitions(conference)
    with app.test_request_context():
        first = registration_form(conference, definitions, max_colleagues=10)
        second = registration_form(conference, definitions, max_colleagues=10)
        other = registration_form(conference, definitions, max_colleagues=3)
    assert type(first) is type(second)
    assert type(other) is not type(first)
    assert type(other).colleagues.kwargs["max_entries"] == 3


def form_statements(client, conference) -> int:
    client.get(register_url(conference))  # the form class and the categories read once
    db.session.commit()
    with count_queries() as counter:
        assert client.get(register_url(conference)).status_code == 200
    return len(counter.statements)


def test_the_public_categories_cost_the_form_no_query_of_its_own(client, conference, public):
    without_categories = make_conference()
    assert form_statements(client, conference) == form_statements(client, without_categories)

    renamed = public[1]
    renamed.name = "Industry and start-ups"
    conference.updated_at = utcnow()  # as the organizers' category service does
    db.session.commit()
    assert "Industry and start-ups" in page_text(client.get(register_url(conference)))


# --- access codes -----------------------------------------------------------------------


def test_a_code_in_the_link_opens_its_hidden_category(client, conference, public):
    delegation = public[2]
    access_code(conference, "VIP-2030", category_id=delegation.id)
    secret_question = question(conference, "Delegation number", category_id=delegation.id)

    url = register_url(conference) + "?code=vip-2030"
    page = page_text(client.get(url))
    assert "You are registering as: Delegation" in page
    assert "Academia" not in page  # the category is fixed: no choice offered
    assert "Delegation number" in page

    html = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(html),
        "full_name": "Ada Lovelace",
        "email": "ada@example.org",
        "consent": "y",
        "access_code": "vip-2030",
        f"question_{secret_question.id}": "D-17",
    }
    assert client.post(register_url(conference), data=data).status_code == 303
    registration = registration_by_email("ada@example.org")
    assert registration.category_id == delegation.id
    assert registration.access_code.code == "VIP-2030"
    assert [answer.value for answer in registration.answers] == ["D-17"]


def test_a_bad_code_in_the_link_leaves_the_form_usable(client, conference, public):
    response = client.get(register_url(conference) + "?code=NOPE")
    assert response.status_code == 200
    page = page_text(response)
    assert "The access code in the link cannot be used" in page
    assert "This access code is not valid for this conference." in page
    assert "Academia" in page  # the ordinary choice is there
    assert register(client, conference, category_id=str(public[0].id)).status_code == 303


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "This access code is not valid for this conference."),
        ({"valid_until": utcnow()}, "This access code has expired."),
        ({"max_uses": 0}, "This access code has been used up."),
    ],
)
def test_a_refused_code_shows_on_its_field(client, conference, public, fields, message):
    if fields:
        access_code(conference, "CODE", category_id=public[2].id, **fields)
    before = database_state()

    refused = register(client, conference, access_code="code", category_id=str(public[0].id))

    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="access_code-error"' in html and message in page_text(refused)
    assert database_state() == before


def test_a_code_admitting_one_more_person_refuses_a_group(client, conference, public):
    access_code(conference, "ONE", category_id=public[2].id, max_uses=1)
    refused = register(
        client,
        conference,
        access_code="ONE",
        **{"colleagues-0-full_name": "Li Na", "colleagues-0-email": "li@example.org"},
    )
    assert refused.status_code == 400
    assert "This access code admits only 1 more person." in page_text(refused)


# --- invitations ------------------------------------------------------------------------


def test_an_invitation_prefills_the_form_and_fixes_its_category(client, conference, public):
    delegation = public[2]
    invited = invitation(conference, "s3cret-invitation", category_id=delegation.id)
    url = register_url(conference) + "?invitation=s3cret-invitation"

    html = client.get(url).get_data(as_text=True)
    assert 'value="Wei Chen"' in html and 'value="wei@example.org"' in html
    assert 'value="Tsinghua"' in html and 'value="s3cret-invitation"' in html
    assert "You are registering as: Delegation" in page_text(client.get(url))

    data = {
        "csrf_token": csrf_token_from(html),
        "full_name": "Wei Chen",
        "email": "wei@example.org",
        "affiliation": "Tsinghua",
        "invitation_token": "s3cret-invitation",
        "consent": "y",
    }
    assert client.post(register_url(conference), data=data).status_code == 303
    registration = registration_by_email("wei@example.org")
    assert registration.category_id == delegation.id
    db.session.refresh(invited)
    assert invited.registration_id == registration.id

    again = page_text(client.get(url))
    assert "This invitation link has been used already" in again
    assert "Wei Chen" not in again and "Academia" in again


def test_a_refused_invitation_sent_with_the_form_is_said_at_the_top(client, conference, public):
    before = database_state()
    refused = register(
        client, conference, invitation_token="not-a-secret", category_id=str(public[0].id)
    )
    assert refused.status_code == 400
    assert "Your registration could not be made" in page_text(refused)
    assert 'name="invitation_token" type="hidden" value=""' in refused.get_data(as_text=True)
    assert database_state() == before


# --- colleagues -------------------------------------------------------------------------


def colleague(index: int, name: str, email: str, affiliation: str = "") -> dict[str, str]:
    prefix = f"colleagues-{index}-"
    return {
        prefix + "full_name": name,
        prefix + "email": email,
        prefix + "affiliation": affiliation,
    }


def test_three_empty_colleague_rows_without_javascript(client, conference):
    html = client.get(register_url(conference)).get_data(as_text=True)
    for index in range(3):
        assert f'<label for="colleagues-{index}-email">' in html
    assert 'id="colleagues-3-email"' not in html
    assert 'data-max="10"' in html
    assert register(client, conference).status_code == 303  # empty rows are no colleagues


def test_colleagues_get_their_own_registration_mail_and_link(client, conference, public):
    industry = public[1]
    response = register(
        client,
        conference,
        category_id=str(industry.id),
        **colleague(0, "Li Na", "li@example.org", "ACME"),
        **colleague(2, "Marco Bianchi", "marco@example.org"),
    )
    assert response.status_code == 303
    confirmation = page_text(client.get(response.headers["Location"]))
    assert "Your 2 colleagues each get an e-mail of their own" in confirmation

    ada = registration_by_email("ada@example.org")
    li = registration_by_email("li@example.org")
    marco = registration_by_email("marco@example.org")
    assert (li.registered_by_id, marco.registered_by_id) == (ada.id, ada.id)
    assert li.affiliation == "ACME" and li.category_id == industry.id
    links = {latest_link_for(address) for address in ("ada@", "li@", "marco@")}
    assert len(links) == 3

    manage = page_text(client.get(latest_link_for("li@example.org")))
    assert "Registered as Industry" in manage
    assert "Registered by Ada Lovelace" in manage
    own = page_text(client.get(latest_link_for("ada@example.org")))
    assert "Registered as Industry" in own and "Registered by" not in own


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (colleague(1, "Li Na", ""), "Please enter your colleague's e-mail address."),
        (colleague(1, "", "li@example.org"), "Please enter your colleague's name."),
        (colleague(1, "", "", "ACME"), "Please enter your colleague's name."),
        (colleague(1, "Li Na", "not-an-address"), "This is not a valid e-mail address"),
        (colleague(1, "Li Na", "ADA@example.org"), "This address is already on the form."),
        (colleague(1, "Li\u202eNa", "li@example.org"), "Please use a single line"),
    ],
)
def test_a_bad_colleague_row_is_refused_with_its_own_message(client, conference, row, message):
    before = database_state()

    # As a browser sends it: the first row empty, the second filled in.
    refused = register(client, conference, **colleague(0, "", ""), **row)

    assert refused.status_code == 400
    page = page_text(refused)
    assert message in page
    assert "Colleague 2 · " in page  # the summary names the row
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert database_state() == before


def test_a_duplicate_colleague_row_is_refused(client, conference):
    refused = register(
        client,
        conference,
        **colleague(0, "Li Na", "li@example.org"),
        **colleague(1, "Li Na", "LI@example.org"),
    )
    assert refused.status_code == 400
    assert "This address is already on the form." in page_text(refused)


def test_rows_beyond_the_maximum_are_not_taken(app, client, conference):
    app.config["MAX_COLLEAGUES"] = 2
    rows = {}
    for index in range(4):
        rows.update(colleague(index, f"Person {index}", f"p{index}@example.org"))
    assert register(client, conference, **rows).status_code == 303
    db.session.expire_all()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    assert count == 3


def test_the_answer_never_says_whether_a_colleague_was_registered(client, conference):
    register(client, conference, email="li@example.org", full_name="Li Na")
    first = register(
        client, conference, email="marco@example.org", **colleague(0, "Li", "li@example.org")
    )
    client.get(first.headers["Location"])  # the confirmation reads the outcome once
    second = register(
        client, conference, email="anna@example.org", **colleague(0, "Gu", "gu@example.org")
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    # The registered colleague was told by mail; their registration is unchanged.
    kinds = [message.kind for message in outbox() if "li@example.org" in message.recipient]
    assert len(kinds) == 2


def test_fill_registration_still_works_for_a_plain_form(client, conference):
    data = fill_registration(client, conference)
    assert "colleagues-0-email" not in data
    assert client.post(register_url(conference), data=data).status_code == 303
