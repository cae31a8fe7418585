"""An organizer's invitation admits one registration, in its category."""

import pytest

from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.registration import services
from eventreg.registration.models import Invitation
from tests.factories import make_conference
from tests.registration.seat_helpers import make_category, make_invitation, sign_up


def test_an_invitation_registers_once_in_its_category_skipping_the_review(app):
    conference = make_conference(requires_approval=True)
    make_category(conference, name="Public")
    hidden = make_category(conference, name="Speakers", visibility="hidden")
    invitation = make_invitation(conference, "secret", category_id=hidden.id)

    # The invitee may correct the address the organizers had.
    registration, _, outcome = sign_up(conference, "me@example.org", invitation_token="secret")

    assert outcome == services.Outcome.CONFIRMED
    assert registration.category_id == hidden.id
    assert db.session.get(Invitation, invitation.id).registration_id == registration.id
    with pytest.raises(Conflict):
        sign_up(conference, "other@example.org", invitation_token="secret")


def test_an_unknown_invitation_is_refused(app):
    conference = make_conference()
    with pytest.raises(Invalid) as refused:
        sign_up(conference, "me@example.org", invitation_token="no-such-secret")
    assert "" in refused.value.errors
