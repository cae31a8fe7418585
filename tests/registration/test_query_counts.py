"""Registration requests send the database only what they need: each statement counted.

The counts are exact, so a redundant query (the conference read twice, the questions asked
again by the service, a look-up repeated under the lock) fails here. Transaction control
that only SQLite's plumbing sends (``BEGIN [IMMEDIATE]``) is left out, so the same numbers
hold on SQLite and PostgreSQL. Each request starts as on a server: a fresh transaction.
"""

import pytest
import sqlalchemy as sa

from eventreg.accounts.services import create_user
from eventreg.core import audit
from eventreg.core.extensions import db
from eventreg.registration import services
from eventreg.registration.models import Question, Registration, RegistrationCategory
from eventreg.registration.questions import definitions, save_question
from eventreg.site.forms import registration_form
from tests.conftest import count_queries, csrf_token_from
from tests.factories import make_conference
from tests.registration.helpers import register_url

# What every request starts with: the conference. Its questions are read again only when
# they change (they move the conference's updated_at), so not here.
THE_CONFERENCE = 1


@pytest.fixture
def conference(app):
    conference = make_conference(capacity=1)
    db.session.add(
        Question(
            conference=conference,
            label="Which language?",
            kind="single_choice",
            required=True,
            choices=["English", "Italiano", "中文"],
        )
    )
    db.session.commit()
    return conference


def statements(counter) -> list[str]:
    return [s for s in counter.statements if not s.upper().startswith("BEGIN")]


def measured(client, method: str, url: str, **kwargs):
    db.session.commit()  # a request of its own starts with nothing read
    with count_queries() as counter:
        response = client.open(url, method=method, **kwargs)
    return response, statements(counter)


def form_data(client, conference, address: str) -> dict:
    page = client.get(register_url(conference))
    question_id = db.session.scalar(sa.select(Question.id))
    return {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "full_name": "Ada Lovelace",
        "email": address,
        "consent": "y",
        f"question_{question_id}": "Italiano",
    }


def first_words(sql: list[str]) -> str:
    return "\n".join(statement.split("\n")[0][:90] for statement in sql)


def test_the_form_costs_one_query(client, conference):
    client.get(register_url(conference))  # the form classes are made once, not counted

    response, sql = measured(client, "GET", register_url(conference))

    assert response.status_code == 200
    assert len(sql) == THE_CONFERENCE, first_words(sql)


def test_a_new_seat_costs_a_fixed_number_of_statements(client, conference):
    data = form_data(client, conference, "ada@example.org")

    response, sql = measured(client, "POST", register_url(conference), data=data)

    assert response.status_code == 303
    assert db.session.scalar(sa.select(Registration.status)) == "confirmed"
    # Under the lock: the conference locked, the seats counted, the registration and its
    # answer inserted, then the invite's calendar copy, the audit entry and the outbox row
    # (the mail itself is composed by the sender).
    assert len(sql) == THE_CONFERENCE + 7, first_words(sql)
    # The page's read, then the locking read (FOR UPDATE on PostgreSQL).
    assert sum(statement.startswith("SELECT conference.") for statement in sql) == 2


def test_a_waiting_place_costs_fewer_statements_than_a_seat(client, conference):
    client.post(register_url(conference), data=form_data(client, conference, "first@example.org"))
    data = form_data(client, conference, "ada@example.org")

    response, sql = measured(client, "POST", register_url(conference), data=data)

    assert response.status_code == 303
    assert db.session.scalar(sa.select(Registration.status).filter_by(email="ada@example.org")) == (
        "waiting"
    )
    # No invite while waiting: no calendar copy.
    assert len(sql) == THE_CONFERENCE + 6, first_words(sql)


def test_registering_again_costs_a_fixed_number_of_statements(client, conference):
    client.post(register_url(conference), data=form_data(client, conference, "ada@example.org"))
    data = form_data(client, conference, "ADA@example.org")

    first, first_sql = measured(client, "POST", register_url(conference), data=data)
    again, again_sql = measured(client, "POST", register_url(conference), data=data)

    assert first.status_code == again.status_code == 303
    # Tried as a new address (lock, count, the INSERT the unique address refuses), then
    # looked up, and under the lock: the registration as it is now, the spare link's
    # digest stored (the first time only), the audit entry and the outbox row. The rare
    # case pays for the common one's saved look-up.
    assert len(first_sql) == THE_CONFERENCE + 9, first_words(first_sql)
    assert len(again_sql) == THE_CONFERENCE + 8, first_words(again_sql)


def test_the_form_is_made_once_per_set_of_questions_and_follows_their_changes(
    app, client, conference
):
    def form_class():
        with app.test_request_context():
            return type(registration_form(conference, definitions(conference)))

    kept = form_class()
    assert form_class() is kept

    organizer = create_user(None, "organizer@example.org", password="a long enough password")
    question = db.session.scalar(sa.select(Question))
    save_question(
        organizer,
        conference,
        question,
        label="Which language, please?",
        help_text="",
        kind="single_choice",
        required=True,
        choices=["English", "Deutsch"],
        position=0,
    )

    page = client.get(register_url(conference)).get_data(as_text=True)
    assert "Which language, please?" in page and "Deutsch" in page
    data = form_data(client, conference, "ada@example.org") | {f"question_{question.id}": "Deutsch"}
    assert client.post(register_url(conference), data=data).status_code == 303
    assert form_class() is not kept


def _service_statements(conference, address: str, **fields) -> list[str]:
    data = services.RegistrationData(full_name="Ada", email=address, **fields)
    db.session.commit()
    assert conference.updated_at  # the caller's conference, as a request has read it
    with count_queries() as counter:
        services.register(audit.ATTENDEE, conference, data)
    return statements(counter)


def test_categories_cost_the_service_nothing_until_one_has_seats_of_its_own(app):
    conference = make_conference(capacity=5)
    # The lock, one count (seats and categories at once), the registration, the invite's
    # calendar copy, the audit entry and the outbox row.
    plain = _service_statements(conference, "plain@example.org")
    assert len(plain) == 6, first_words(plain)

    open_category = RegistrationCategory(conference=conference, name="Open")
    limited = RegistrationCategory(conference=conference, name="Limited", capacity=3)
    db.session.add_all([open_category, limited])
    db.session.commit()
    in_open = _service_statements(conference, "open@example.org", category_id=open_category.id)
    in_limited = _service_statements(conference, "lim@example.org", category_id=limited.id)

    # The category chosen is read to check it; the seats per category only when they count.
    assert len(in_open) == len(plain) + 1, first_words(in_open)
    assert len(in_limited) == len(plain) + 2, first_words(in_limited)
