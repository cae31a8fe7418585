"""The registration rush's mail is recorded as what to say and composed by the sender.

Registering records, in its own transaction and under the conference's lock, only a row:
Message-ID, recipient and subject fixed, the parameters of that moment (the invite's
SEQUENCE, the waiting position) and the management secret sealed. The sender composes it
before the first attempt, stores it, and every attempt sends those bytes. What cannot be
composed any more fails with its reason, and never stops the rest of the mail.
"""

import subprocess
import sys
from email.utils import parsedate_to_datetime

import icalendar
import pytest
import sqlalchemy as sa

from eventreg.core import audit, sealing
from eventreg.core.extensions import db
from eventreg.invites.models import CalendarCopy
from eventreg.mail.delivery import deliver_due
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import SEAL_PURPOSE, resend
from eventreg.registration import services
from eventreg.registration.models import Registration
from tests.conftest import ROOT
from tests.factories import make_conference
from tests.mail.mailbox import calendar_part, text_body
from tests.registration.helpers import MANAGE_LINK, fresh_reads, post_form, register


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


def rows() -> list[OutboxMessage]:
    fresh_reads()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def link_in(message) -> str:
    match = MANAGE_LINK.search(text_body(message))
    assert match, "no management link in the message"
    return f"/c/{match.group(1)}/manage/{match.group(2)}"


def test_a_registration_records_what_to_say_and_the_sender_composes_it(app, client, smtp_server):
    conference = make_conference(capacity=10)
    assert register(client, conference, email="ada@example.org").status_code == 303

    [row] = rows()
    recorded = {"content": dict(row.content), "sealed": row.sealed, "id": row.message_id}
    assert row.kind == "registration_confirmed" and row.raw == b""
    assert row.recipient == "ada@example.org" and "is confirmed" in row.subject
    # The invite's number was taken in the registration's transaction, with its copy.
    [copy] = db.session.scalars(sa.select(CalendarCopy))
    assert recorded["content"]["sequence"] == copy.sequence

    assert deliver_due().sent == 1

    [received] = smtp_server.received
    message = received.message
    assert message["Message-ID"] == recorded["id"]
    assert message["Subject"] == row.subject
    assert parsedate_to_datetime(message["Date"]) == row.created_at.replace(microsecond=0)
    [event] = icalendar.Calendar.from_ical(calendar_part(message)[1]).walk("VEVENT")
    assert int(event["SEQUENCE"]) == copy.sequence
    link = link_in(message)
    assert client.get(link).status_code == 200
    # The secret was never stored in the clear, and nothing of it is left now.
    token = link.rsplit("/", 1)[1]
    assert token not in repr(recorded["content"]) and token not in recorded["sealed"]
    [row] = rows()
    assert row.raw == received.raw
    assert row.content is None and row.sealed is None


def test_waiting_registered_again_and_resent_link_mail_are_composed_with_their_moment(
    app, client, smtp_server
):
    conference = make_conference(capacity=1)
    register(client, conference, email="ada@example.org", full_name="Ada")
    register(client, conference, email="bob@example.org", full_name="Bob")
    register(client, conference, email="ADA@example.org", full_name="Someone")
    post_form(client, f"/c/{conference.slug}/resend", email="bob@example.org")
    assert [row.kind for row in rows()] == [
        "registration_confirmed",
        "registration_waiting",
        "registration_again",
        "management_link",
    ]
    assert all(row.raw == b"" for row in rows())

    assert deliver_due().sent == 4

    confirmed, waiting, again, link = smtp_server.messages
    assert "in position 1" in text_body(waiting)
    assert "You hold a seat." in text_body(again)
    holders = {}
    for message in (confirmed, waiting, again, link):
        page = client.get(link_in(message))
        assert page.status_code == 200
        holders[message["To"].addresses[0].addr_spec] = page.get_data(as_text=True)
    assert "Ada" in holders["ada@example.org"] and "Bob" in holders["bob@example.org"]


def test_mail_whose_secret_no_longer_opens_fails_with_the_reason_and_the_rest_goes_out(
    app, client, smtp_server
):
    conference = make_conference(capacity=10)
    register(client, conference, email="ada@example.org")
    app.config["SECRET_KEY"] = "another-secret-key"
    register(client, conference, email="bob@example.org")

    report = deliver_due()

    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["bob@example.org"]
    ada, bob = rows()
    assert ada.status == "failed" and "SECRET_KEY" in ada.last_error
    assert bob.status == "sent"
    assert deliver_due().handled == 0  # failed for good: never tried in a loop

    # With the old key back, the organizers can send it again: it is composed then.
    app.config["SECRET_KEY"] = "test-secret"
    assert resend(ada.id)
    assert deliver_due().sent == 1
    assert client.get(link_in(smtp_server.messages[-1])).status_code == 200


def test_a_sealed_secret_opens_only_for_its_own_message(app):
    sealed = sealing.seal("the-secret", purpose=SEAL_PURPOSE, context="<one@example.org>")

    assert sealing.unseal(sealed, purpose=SEAL_PURPOSE, context="<one@example.org>") == (
        "the-secret"
    )
    with pytest.raises(sealing.BrokenSeal):
        sealing.unseal(sealed, purpose=SEAL_PURPOSE, context="<two@example.org>")
    with pytest.raises(sealing.BrokenSeal):
        sealing.unseal(sealed, purpose="another-purpose", context="<one@example.org>")


def test_mail_about_a_registration_that_is_gone_fails_and_the_rest_goes_out(
    app, client, smtp_server
):
    conference = make_conference(capacity=10)
    register(client, conference, email="ada@example.org")
    register(client, conference, email="bob@example.org")
    fresh_reads()
    db.session.execute(sa.delete(Registration).filter_by(email="ada@example.org"))
    db.session.commit()

    report = deliver_due()

    assert (report.sent, report.failed) == (1, 1)
    ada, bob = rows()
    assert ada.status == "failed" and "no longer exists" in ada.last_error
    assert bob.status == "sent"


def test_erasing_before_delivery_drops_the_message_with_its_sealed_secret(app, client, smtp_server):
    conference = make_conference(capacity=10)
    register(client, conference, email="ada@example.org")
    fresh_reads()
    registration = db.session.scalar(sa.select(Registration))
    services.erase_personal_data(audit.ATTENDEE, registration)

    assert rows() == []
    assert deliver_due().handled == 0
    assert smtp_server.received == []


def test_every_process_that_delivers_knows_how_to_compose_the_registration_mail(tmp_path):
    """The Celery worker builds the app the way ``deliver-mail`` and the web server do:
    the composers are registered by the app factory, whatever else is imported."""
    script = (
        "import eventreg.worker\n"
        "from eventreg.mail.outbox import composer_kinds\n"
        "print(' '.join(sorted(composer_kinds())))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "EVENTREG_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "EVENTREG_SECRET_KEY": "worker-secret",
    }
    finished = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == [
        "invitation",
        "management_link",
        "organizer_message",
        "registration_again",
        "registration_confirmed",
        "registration_pending",
        "registration_rejected",
        "registration_waiting",
    ]
