"""Sending the form with an address that is registered already: the answer reveals nothing,
the holder is told truly, and their private link keeps working."""

import re

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.delivery import deliver_due
from eventreg.registration.models import Registration
from tests.factories import make_conference
from tests.registration.helpers import (
    latest_link_for,
    outbox,
    post_form,
    readable_text,
    register,
    registration_by_email,
)

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="[^"]*"')


def answer_of(client, conference, **fields) -> tuple[int, str, int, str]:
    """What the sender of the form gets: the POST's status and target, then the page there
    (its CSRF token, different in every session, left out)."""
    response = register(client, conference, **fields)
    page = client.get(response.headers["Location"])
    body = CSRF_FIELD.sub("", page.get_data(as_text=True))
    return response.status_code, response.headers["Location"], page.status_code, body


@pytest.mark.parametrize("capacity", [5, 1])  # the holder has a seat / is on the waiting list
def test_the_answer_for_a_registered_address_is_the_answer_for_a_new_one(app, capacity):
    conference = make_conference(capacity=capacity)
    if capacity == 1:  # Ada waits behind Bruno
        register(app.test_client(), conference, full_name="Bruno", email="bruno@example.org")
    register(app.test_client(), conference, full_name="Ada Lovelace", email="ada@example.org")

    # The same address typed by someone else (the form checks nothing else about it), and
    # a new address, each from a fresh browser; both show the address they typed.
    again = answer_of(app.test_client(), conference, full_name="Eve", email="ada@example.org")
    new = answer_of(app.test_client(), conference, full_name="Eve", email="eve@example.org")

    assert again[:3] == new[:3] == (303, f"/c/{conference.slug}/registered", 200)
    assert again[3].replace("ada@example.org", "EMAIL") == new[3].replace(
        "eve@example.org", "EMAIL"
    )


def test_registering_again_keeps_the_holders_link_and_changes_nothing(app):
    conference = make_conference(capacity=5)
    register(app.test_client(), conference, full_name="Ada Lovelace", email="ada@example.org")
    link = latest_link_for("ada@example.org")
    before = registration_by_email("ada@example.org")
    token_hash, answers = before.token_hash, [a.value for a in before.answers]

    response = register(
        app.test_client(),
        conference,
        full_name="Someone Else",
        email="ADA@example.org",
        affiliation="Elsewhere",
        country="FR",
    )

    assert response.status_code == 303
    ada = registration_by_email("ada@example.org")
    assert (ada.full_name, ada.affiliation, ada.country) == ("Ada Lovelace", "", "")
    assert ada.token_hash == token_hash and [a.value for a in ada.answers] == answers
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    assert app.test_client().get(link).status_code == 200  # the old link still works
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.object_id, entry.actor) == (
        "registration.registered_again",
        ada.id,
        "attendee",
    )


def test_the_holder_is_told_truly_what_happened(app):
    conference = make_conference(capacity=5, title="Cell Therapy Summit")
    register(app.test_client(), conference, full_name="Ada Lovelace", email="ada@example.org")
    first_link = latest_link_for("ada@example.org")

    register(app.test_client(), conference, full_name="Someone Else", email="ada@example.org")

    [first, again] = outbox()
    assert (first.kind, again.kind) == ("registration_confirmed", "registration_again")
    assert again.recipient == "ada@example.org"
    assert again.subject == "Your registration for Cell Therapy Summit is unchanged"
    text = readable_text(again)
    assert "Dear Ada Lovelace" in text and "Someone Else" not in text
    assert "already registered" in text and "unchanged" in text
    assert "You hold a seat." in text
    assert "link we sent you before still works" in text
    # The spare link, should the holder have lost theirs; the one they hold still works.
    spare = latest_link_for("ada@example.org")
    assert spare in text and spare != first_link
    client = app.test_client()
    assert client.get(spare).status_code == 200
    assert client.get(first_link).status_code == 200


def test_the_holder_gets_the_mail_over_smtp(app, smtp_server):
    app.config.update(smtp_server.app_config)
    conference = make_conference(capacity=1)
    register(app.test_client(), conference, full_name="Ada Lovelace", email="ada@example.org")
    register(app.test_client(), conference, full_name="Bruno", email="bruno@example.org")

    register(app.test_client(), conference, full_name="Mallory", email="bruno@example.org")
    deliver_due()

    messages = smtp_server.wait_for(3)
    told = [m for m in messages if "unchanged" in str(m["Subject"])]
    assert [str(m["To"]) for m in told] == ["Bruno <bruno@example.org>"]
    body = told[0].get_body(preferencelist=("plain",)).get_content()
    assert "You are on the waiting list, in position 1." in body


def test_a_cancelled_registration_registering_again_comes_back_as_a_new_arrival(app):
    conference = make_conference(capacity=5)
    register(app.test_client(), conference, full_name="Ada Lovelace", email="ada@example.org")
    client = app.test_client()
    post_form(client, latest_link_for("ada@example.org") + "/cancel")
    assert registration_by_email("ada@example.org").status == "cancelled"

    register(app.test_client(), conference, full_name="Ada King", email="ada@example.org")

    ada = registration_by_email("ada@example.org")
    assert (ada.status, ada.full_name) == ("confirmed", "Ada King")
    assert outbox()[-1].kind == "registration_confirmed"
