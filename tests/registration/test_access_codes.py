"""Access codes: they open a hidden category, skip the review, for so many uses, until a
date; an unknown, expired or used-up code is refused with a clear message."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventreg.core.db import utcnow
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.registration import access, services
from eventreg.registration.models import Registration
from tests.factories import make_conference
from tests.registration.seat_helpers import make_category, make_code, sign_up


def test_a_hidden_category_is_refused_without_its_code_and_taken_with_it(app):
    conference = make_conference()
    hidden = make_category(conference, name="Delegation", visibility="hidden")
    code = make_code(conference, "DELEG", category_id=hidden.id)

    with pytest.raises(Invalid) as refused:
        sign_up(conference, "a@example.org", category_id=hidden.id)
    registration, _, outcome = sign_up(conference, "a@example.org", access_code=" deleg ")

    assert "category_id" in refused.value.errors
    assert outcome == services.Outcome.CONFIRMED
    assert registration.category_id == hidden.id and registration.access_code_id == code.id
    assert services.code_uses(code) == 1


def test_a_code_admits_max_uses_registrations_that_still_count(app):
    conference = make_conference()
    code = make_code(conference, "TWO", max_uses=2)
    first, _, _ = sign_up(conference, "a@example.org", access_code="two")
    sign_up(conference, "b@example.org", access_code="two")

    with pytest.raises(Invalid) as used_up:
        sign_up(conference, "c@example.org", access_code="two")
    assert "used up" in used_up.value.errors["access_code"]

    services.cancel_registration(None, db.session.get(Registration, first.id))
    assert access.code_uses(code) == 1
    sign_up(conference, "c@example.org", access_code="two")  # the cancelled use is free


def test_an_unknown_or_expired_code_is_refused(app):
    conference = make_conference()
    make_code(conference, "OLD", valid_until=utcnow() - timedelta(minutes=1))

    with pytest.raises(Invalid) as unknown:
        sign_up(conference, "a@example.org", access_code="NOPE")
    with pytest.raises(Invalid) as expired:
        sign_up(conference, "a@example.org", access_code="old")

    assert "not valid" in unknown.value.errors["access_code"]
    assert "expired" in expired.value.errors["access_code"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_a_code_skips_the_review(app):
    conference = make_conference(requires_approval=True)
    make_code(conference, "VIP", skips_approval=True)

    _, _, reviewed = sign_up(conference, "a@example.org")
    _, _, skipped = sign_up(conference, "b@example.org", access_code="vip")

    assert reviewed == services.Outcome.PENDING
    assert skipped == services.Outcome.CONFIRMED
