"""Property-based: whatever is thrown at the forms, never a 500 and never a partial row.

Random Unicode (control characters, line breaks, direction marks, any script), huge values
and missing fields are posted with a valid CSRF token, like a hostile browser would.
"""

from itertools import count

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Answer, Question, Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.registration.helpers import latest_link_for, register

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the database is shared on purpose: deltas count
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

_addresses = count()

any_text = st.text(max_size=300)
huge_text = st.builds(
    lambda piece, times: piece * times,
    st.text(min_size=1, max_size=8),
    st.integers(min_value=1_000, max_value=40_000),
)
valid_address = st.builds(lambda: f"person{next(_addresses)}@example.org")


hostile = st.one_of(st.none(), any_text, huge_text)

VALID = {
    "full_name": st.sampled_from(["张晓宇", "Nicolò Bianchi", "Ada Lovelace"]),
    "email": valid_address,
    "affiliation": st.sampled_from(["", "Università di Pavia", "深圳湾实验室"]),
    "country": st.sampled_from(["", "CN", "IT"]),
    "consent": st.just("y"),
    "language": st.sampled_from(["English", "中文", "Italiano"]),
    "topics": st.lists(st.sampled_from(["Biomedicine", "Health Tech"]), max_size=2, unique=True),
    "diet": st.sampled_from(["Vegetarian", "Senza glutine", "清真"]),
    "notes": st.sampled_from(["", "Line one\r\nLine two"]),
    "conduct": st.just("y"),
}
HOSTILE = {
    **dict.fromkeys(VALID, hostile),
    "consent": st.sampled_from([None, "", "no"]),
    "conduct": st.sampled_from([None, ""]),
    "topics": st.one_of(st.none(), st.lists(st.one_of(any_text, huge_text), max_size=3)),
}


@st.composite
def form_fields(draw) -> dict:
    """A valid submission with a few fields replaced by hostile values (or left out)."""
    fields = {name: draw(strategy) for name, strategy in VALID.items()}
    for name in draw(st.sets(st.sampled_from(sorted(VALID)), max_size=4)):
        fields[name] = draw(HOSTILE[name])
    return fields


@pytest.fixture
def conference(app):
    conference = make_conference(capacity=3)
    questions = [
        Question(
            conference=conference,
            label="Language",
            kind="single_choice",
            required=True,
            choices=["English", "中文", "Italiano"],
            position=1,
        ),
        Question(
            conference=conference,
            label="Topics",
            kind="multiple_choice",
            choices=["Biomedicine", "Health Tech"],
            position=2,
        ),
        Question(conference=conference, label="Diet", kind="short_text", required=True, position=3),
        Question(conference=conference, label="Notes", kind="long_text", position=4),
        Question(
            conference=conference,
            label="Code of conduct",
            kind="checkbox",
            required=True,
            position=5,
        ),
    ]
    db.session.add_all(questions)
    db.session.commit()
    return conference


def question_names(conference) -> dict[str, str]:
    questions = db.session.scalars(
        sa.select(Question).filter_by(conference_id=conference.id).order_by(Question.position)
    )
    return {question.label: f"question_{question.id}" for question in questions}


def totals() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Registration, Answer, OutboxMessage)
    )


def registration_form_data(draw_fields: dict, names: dict[str, str]) -> dict:
    fields = {
        "full_name": draw_fields["full_name"],
        "email": draw_fields["email"],
        "affiliation": draw_fields["affiliation"],
        "country": draw_fields["country"],
        "consent": draw_fields["consent"],
        names["Language"]: draw_fields["language"],
        names["Topics"]: draw_fields["topics"],
        names["Diet"]: draw_fields["diet"],
        names["Notes"]: draw_fields["notes"],
        names["Code of conduct"]: draw_fields["conduct"],
    }
    return {name: field for name, field in fields.items() if field is not None}


def test_the_registration_form_never_fails_and_never_half_stores(app, conference):
    client = app.test_client()
    url = f"/c/{conference.slug}/register"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    names = question_names(conference)
    outcomes = set()

    @SETTINGS
    @given(fields=form_fields())
    def check(fields):
        before = totals()
        response = client.post(
            url, data={"csrf_token": token, **registration_form_data(fields, names)}
        )
        after = totals()
        assert response.status_code in (303, 400, 413), response.status_code
        outcomes.add(response.status_code)
        if response.status_code != 303:
            assert after == before
            return
        registration = db.session.scalar(
            sa.select(Registration).order_by(Registration.id.desc()).limit(1)
        )
        answered = {answer.question_id for answer in registration.answers}
        required = {
            int(names[label].split("_")[1]) for label in ("Language", "Diet", "Code of conduct")
        }
        assert required <= answered
        assert registration.full_name and registration.email
        assert after[0] == before[0] + 1 and after[2] == before[2] + 1

    check()
    assert outcomes >= {303, 400}  # the strategy reaches both sides of the validation


def test_the_details_form_never_fails_and_never_half_stores(app, conference):
    client = app.test_client()
    names = question_names(conference)
    assert (
        register(
            client,
            conference,
            **{names["Language"]: "English", names["Diet"]: "Vegan", names["Code of conduct"]: "y"},
        ).status_code
        == 303
    )
    link = latest_link_for("ada@example.org")
    token = csrf_token_from(client.get(link + "/details").get_data(as_text=True))

    def stored() -> tuple:
        db.session.expire_all()
        registration = db.session.scalar(sa.select(Registration))
        answers = sorted((a.question_id, repr(a.value)) for a in registration.answers)
        return (registration.full_name, registration.affiliation, registration.country, answers)

    @SETTINGS
    @given(fields=form_fields())
    def check(fields):
        before = stored()
        data = registration_form_data(fields, names)
        response = client.post(link + "/details", data={"csrf_token": token, **data})
        assert response.status_code in (303, 400, 413), response.status_code
        if response.status_code != 303:
            assert stored() == before
        else:
            assert stored()[0]  # a name is always kept

    check()
