"""Registering colleagues along with oneself: one action, one transaction, each colleague
with their own registration, link and mail; an address already registered gets nothing
new and the registrant learns nothing."""

from collections import Counter

import pytest
import sqlalchemy as sa

from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.registration import notifications, services
from eventreg.registration.models import Registration
from tests.factories import make_conference
from tests.registration.helpers import database_state, management_link, outbox, readable_text
from tests.registration.seat_helpers import make_category, make_code, sign_up

COLLEAGUES = (
    services.Colleague(full_name="Bo Chen", email="bo@example.org"),
    services.Colleague(full_name="Cy Rossi", email="cy@example.org", affiliation="INFN"),
)


def test_colleagues_get_their_own_registrations_links_and_mails(app):
    conference = make_conference(capacity=2)
    press = make_category(conference, name="Press")
    code = make_code(conference, "GROUP", max_uses=3)

    lead, token, outcome = sign_up(
        conference,
        "ada@example.org",
        category_id=press.id,
        access_code="group",
        colleagues=COLLEAGUES,
        locale="it",
    )

    assert outcome == services.Outcome.CONFIRMED and token
    rows = {r.email: r for r in db.session.scalars(sa.select(Registration))}
    assert {e: r.status for e, r in rows.items()} == {
        "ada@example.org": "confirmed",
        "bo@example.org": "confirmed",
        "cy@example.org": "waiting",  # seats in the form's order
    }
    for address in ("bo@example.org", "cy@example.org"):
        row = rows[address]
        assert row.registered_by_id == lead.id and row.locale == "it"
        assert row.category_id == press.id and row.access_code_id == code.id
    assert services.code_uses(code) == 3
    assert [r.email for r in services.group_members(rows["cy@example.org"])] == [
        "ada@example.org",
        "bo@example.org",
        "cy@example.org",
    ]
    messages = outbox()
    assert Counter(m.recipient for m in messages) == Counter(
        {"ada@example.org": 1, "bo@example.org": 1, "cy@example.org": 1}
    )
    links = {management_link(m) for m in messages}
    assert len(links) == 3
    bo_mail = next(m for m in messages if m.recipient == "bo@example.org")
    assert "ada" in readable_text(bo_mail)  # who registered them


def test_a_registered_colleague_gets_the_again_mail_and_nothing_else_changes(app):
    conference = make_conference()
    holder, _, _ = sign_up(conference, "bo@example.org")
    before = holder.token_hash

    sign_up(conference, "ada@example.org", colleagues=COLLEAGUES)

    db.session.commit()
    assert db.session.get(Registration, holder.id).token_hash == before
    assert db.session.get(Registration, holder.id).registered_by_id is None
    kinds = Counter((m.recipient, m.kind) for m in outbox())
    assert kinds[("bo@example.org", notifications.AGAIN)] == 1
    assert kinds[("cy@example.org", notifications.RECEIVED)] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 3


def test_too_many_colleagues_are_refused(app):
    app.config["MAX_COLLEAGUES"] = 1
    conference = make_conference()
    with pytest.raises(Invalid):
        sign_up(conference, "ada@example.org", colleagues=COLLEAGUES)


def test_a_failing_colleague_writes_nothing(app, monkeypatch):
    conference = make_conference()
    state = database_state()
    calls = []
    real = notifications.registration_received

    def fail_on_the_last(registration, *args, **kwargs):
        calls.append(registration.email)
        if registration.email == "cy@example.org":
            raise RuntimeError("the mail could not be recorded")
        return real(registration, *args, **kwargs)

    monkeypatch.setattr(notifications, "registration_received", fail_on_the_last)

    with pytest.raises(RuntimeError):
        sign_up(conference, "ada@example.org", colleagues=COLLEAGUES)

    assert calls == ["ada@example.org", "bo@example.org", "cy@example.org"]
    assert database_state() == state


def test_repeated_addresses_get_one_again_mail_each_and_no_second_registration(app):
    conference = make_conference()
    sign_up(conference, "bo@example.org")
    repeated = (
        services.Colleague(full_name="Bo", email="bo@example.org"),
        services.Colleague(full_name="Bo again", email="BO@example.org"),
        services.Colleague(full_name="Me", email="ada@example.org"),
        services.Colleague(full_name="Cy", email="cy@example.org"),
        services.Colleague(full_name="Cy twice", email="cy@example.org"),
    )

    lead, _, outcome = sign_up(conference, "ada@example.org", colleagues=repeated)

    assert outcome == services.Outcome.CONFIRMED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 3
    kinds = Counter((m.recipient, m.kind) for m in outbox() if m.kind == notifications.AGAIN)
    assert kinds == Counter(
        {
            ("bo@example.org", notifications.AGAIN): 1,
            ("ada@example.org", notifications.AGAIN): 1,
            ("cy@example.org", notifications.AGAIN): 1,
        }
    )


def test_the_registrants_own_address_registered_registers_nobody_else(app):
    conference = make_conference()
    sign_up(conference, "ada@example.org")

    _, token, outcome = sign_up(conference, "ada@example.org", colleagues=COLLEAGUES)

    assert token is None and outcome == services.Outcome.ALREADY_REGISTERED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_colleagues_share_the_review_and_are_told_who_registered_them(app):
    conference = make_conference(requires_approval=True)

    sign_up(conference, "ada@example.org", colleagues=COLLEAGUES[:1])

    [mail] = outbox(recipient="bo@example.org")
    assert mail.kind == notifications.PENDING
    assert "ada registered you for" in readable_text(mail)
