"""Categories in the seat decision: their own seats within the conference's, one waiting
line per conference, promotion skipping whoever's category is full."""

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.registration import approval, services
from eventreg.registration.models import Question, Registration
from tests.factories import make_conference
from tests.registration.seat_helpers import make_category, sign_up


def status_of(address: str) -> str:
    db.session.commit()
    return db.session.scalar(sa.select(Registration.status).filter_by(email=address))


def test_a_full_category_waits_while_the_conference_has_seats(app):
    conference = make_conference(capacity=10)
    press = make_category(conference, name="Press", capacity=1)
    other = make_category(conference, name="Other")

    sign_up(conference, "p1@example.org", category_id=press.id)
    _, _, outcome = sign_up(conference, "p2@example.org", category_id=press.id)
    sign_up(conference, "o1@example.org", category_id=other.id)

    assert outcome == services.Outcome.WAITING
    assert status_of("p1@example.org") == "confirmed"
    assert status_of("o1@example.org") == "confirmed"
    assert services.category_seat_counts(conference.id) == {press.id: 1, other.id: 1}


def test_promotion_skips_a_full_category_and_raising_it_promotes(app):
    conference = make_conference(capacity=2)
    press = make_category(conference, name="Press", capacity=1)
    other = make_category(conference, name="Other")
    first, _, _ = sign_up(conference, "p1@example.org", category_id=press.id)
    sign_up(conference, "o1@example.org", category_id=other.id)
    sign_up(conference, "p2@example.org", category_id=press.id)  # waits: conference full
    sign_up(conference, "o2@example.org", category_id=other.id)  # waits behind p2

    services.cancel_registration(None, db.session.get(Registration, first.id))

    # p1's seat frees one of Press too: p2 (first in line) gets it.
    assert status_of("p2@example.org") == "confirmed"
    assert status_of("o2@example.org") == "waiting"

    services.set_conference_capacity(None, conference, 4)
    sign_up(conference, "p3@example.org", category_id=press.id)
    assert status_of("o2@example.org") == "confirmed"
    assert status_of("p3@example.org") == "waiting"  # Press is full, the conference is not

    promoted = services.set_category_capacity(None, db.session.get(type(press), press.id), 2)
    assert [row.email for row in promoted] == ["p3@example.org"]
    entry = db.session.scalar(
        sa.select(AuditEntry).filter_by(action="registrationcategory.updated")
    )
    assert entry.before == {"capacity": 1} and entry.after == {"capacity": 2}


def test_lowering_a_category_keeps_everyones_seat(app):
    conference = make_conference()
    press = make_category(conference, name="Press", capacity=3)
    for n in range(3):
        sign_up(conference, f"p{n}@example.org", category_id=press.id)

    assert services.set_category_capacity(None, press, 1) == []
    assert services.category_seat_counts(conference.id) == {press.id: 3}
    _, _, outcome = sign_up(conference, "late@example.org", category_id=press.id)
    assert outcome == services.Outcome.WAITING


def test_a_category_is_required_and_must_be_offered(app):
    conference = make_conference()
    hidden = make_category(conference, name="Delegation", visibility="hidden")
    make_category(conference, name="Public")
    elsewhere = make_category(make_conference(), name="Elsewhere")

    with pytest.raises(Invalid) as missing:
        sign_up(conference, "a@example.org")
    with pytest.raises(Invalid) as refused:
        sign_up(conference, "b@example.org", category_id=hidden.id)
    with pytest.raises(Invalid) as foreign:
        sign_up(conference, "c@example.org", category_id=elsewhere.id)

    assert {"category_id"} == missing.value.errors.keys() == refused.value.errors.keys()
    assert "category_id" in foreign.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_a_category_requiring_approval_is_pending_and_approval_honours_its_seats(app):
    conference = make_conference(capacity=10)
    reviewed = make_category(conference, name="Industry", capacity=1, requires_approval=True)
    first, _, outcome = sign_up(conference, "i1@example.org", category_id=reviewed.id)
    second, _, _ = sign_up(conference, "i2@example.org", category_id=reviewed.id)
    assert outcome == services.Outcome.PENDING

    decision = approval.approve(None, conference, [first.id, second.id])

    assert [r.email for r in decision.confirmed] == ["i1@example.org"]
    assert [r.email for r in decision.waiting] == ["i2@example.org"]


def test_answers_to_another_categorys_questions_are_dropped(app):
    conference = make_conference()
    press = make_category(conference, name="Press")
    other = make_category(conference, name="Other")
    for_press = Question(
        conference=conference, label="Outlet?", kind="short_text", category_id=press.id
    )
    for_all = Question(conference=conference, label="Diet?", kind="short_text")
    db.session.add_all([for_press, for_all])
    db.session.commit()
    answers = {for_press.id: "Gazette", for_all.id: "none"}

    a, _, _ = sign_up(conference, "a@example.org", category_id=press.id, answers=answers)
    b, _, _ = sign_up(conference, "b@example.org", category_id=other.id, answers=answers)

    assert {x.question_id for x in a.answers} == {for_press.id, for_all.id}
    assert {x.question_id for x in b.answers} == {for_all.id}


def test_promoting_out_of_turn_into_a_full_category_is_refused(app):
    conference = make_conference(capacity=5)
    press = make_category(conference, name="Press", capacity=1)
    sign_up(conference, "p1@example.org", category_id=press.id)
    waiting, _, _ = sign_up(conference, "p2@example.org", category_id=press.id)

    with pytest.raises(services.CategoryFull):
        services.promote_registration(None, waiting, add_seat=True)
    assert status_of("p2@example.org") == "waiting"
