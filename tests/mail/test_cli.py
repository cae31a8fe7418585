"""Mail commands: deliver-mail, resend-mail and invite-speakers."""

import pytest
import sqlalchemy as sa

from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import notifications
from tests.factories import make_conference, make_speaker, make_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import make_registration
from tests.mail.mailbox import calendar_part


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


def test_deliver_mail_sends_what_is_waiting(runner, smtp_server):
    notifications.registration_received(make_registration(make_conference()), "secret")
    db.session.commit()

    result = runner.invoke(args=["deliver-mail"])

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry later, 0 failed." in result.output
    assert len(smtp_server.received) == 1


def test_resend_mail_queues_a_failed_message_again(runner, smtp_server):
    notifications.registration_received(make_registration(make_conference()), "secret")
    db.session.commit()
    message = db.session.scalar(sa.select(OutboxMessage))
    message.status = "failed"
    db.session.commit()

    result = runner.invoke(args=["resend-mail", str(message.id)])
    again = runner.invoke(args=["resend-mail", str(message.id)])

    assert result.exit_code == 0, result.output
    assert again.exit_code != 0
    assert "has not failed" in again.output
    runner.invoke(args=["deliver-mail"])
    assert len(smtp_server.received) == 1


def test_invite_speakers_sends_each_speaker_the_sessions_they_speak_in(runner, smtp_server):
    conference = make_conference()
    rossi = make_speaker(conference, name="Giulia Rossi", email="giulia@example.org")
    chen = make_speaker(conference, name="Chen Wei", email="chen@example.org")
    quiet = make_speaker(conference, name="No Address", email=None)
    panel = make_talk(conference, title="Panel", speakers=[rossi, chen, quiet])
    solo = make_talk(conference, title="Solo", start="14:00", end="14:45", speakers=[rossi])
    make_talk(conference, title="Dropped", speakers=[chen], status="cancelled")

    result = runner.invoke(args=["invite-speakers", conference.slug])
    runner.invoke(args=["deliver-mail"])

    assert result.exit_code == 0, result.output
    assert "Recorded 3 speaker invites" in result.output
    invites = {}
    for message in smtp_server.messages:
        method, data = calendar_part(message)
        assert method == "REQUEST"
        (uid,) = parse_agreed(data)[1]
        invites.setdefault(message["To"].addresses[0].addr_spec, set()).add(uid)
    assert invites == {
        "giulia@example.org": {f"{panel.uuid}@eventreg", f"{solo.uuid}@eventreg"},
        "chen@example.org": {f"{panel.uuid}@eventreg"},
    }


def test_invite_speakers_of_an_unknown_conference_fails_clearly(runner):
    result = runner.invoke(args=["invite-speakers", "no-such-conference"])

    assert result.exit_code != 0
    assert "no conference with the slug 'no-such-conference'" in result.output
