"""Messages to attendees (``registration.broadcasts``): who each audience reaches, the
language each recipient reads, the greeting said once, and messages sent later."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import broadcasts
from eventreg.registration.models import Broadcast, Registration
from tests.factories import make_conference, make_speaker, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import deliver, html_body, text_body, to
from tests.organizers.conftest import make_user

ZH = {"zh": {"subject": "班车时间", "body": "班车八点出发。"}}


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", title="Rome Days", capacity=None, timezone="Europe/Rome")


@pytest.fixture
def staff(app):
    return make_user("organizer@example.org")


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def emails(conference, audience, talk=None) -> list[str]:
    return [member.email for member in broadcasts.members(conference, audience, talk)]


# --- audiences ----------------------------------------------------------------------------


def test_each_audience_reaches_exactly_its_people_and_counts_them(conference):
    talk = make_talk(conference, title="Workshop")
    seated = make_registration(conference, email="seated@example.org")
    arrived = make_registration(conference, email="arrived@example.org", checked_in_at=utcnow())
    add_signup(arrived, talk)
    add_signup(seated, talk, "waiting")
    make_registration(conference, email="wait@example.org", status="waiting")
    make_registration(conference, email="pend@example.org", status="pending")
    make_registration(conference, email="no@example.org", status="rejected")
    make_registration(conference, email="gone@example.org", status="cancelled")
    make_registration(conference, email=None, full_name="Erased")
    make_speaker(conference, name="Anna", email="anna@example.org", language="it")
    make_speaker(conference, name="No Address")
    make_registration(make_conference(), email="elsewhere@example.org")

    assert emails(conference, "all") == ["seated@example.org", "arrived@example.org"]
    assert emails(conference, "session", talk) == ["arrived@example.org"]
    assert emails(conference, "waiting") == ["wait@example.org"]
    assert emails(conference, "pending") == ["pend@example.org"]
    assert emails(conference, "speakers") == ["anna@example.org"]
    assert emails(conference, "not_checked_in") == ["seated@example.org"]
    assert broadcasts.audience_counts(conference) == {
        "all": 2,
        "waiting": 1,
        "pending": 1,
        "not_checked_in": 1,
        "speakers": 1,
        f"session:{talk.id}": 1,
    }


def test_a_speaker_is_written_to_in_their_language_else_the_main_one(conference):
    make_speaker(conference, name="Anna", email="anna@example.org", language="it")
    make_speaker(conference, name="Bo", email="bo@example.org")
    make_speaker(conference, name="Cy", email="cy@example.org", language="fr")

    languages = {m.name: m.language for m in broadcasts.members(conference, "speakers")}

    assert languages == {"Anna": "it", "Bo": "en", "Cy": "en"}


def test_an_empty_audience_is_refused_and_writes_nothing(conference, staff):
    make_registration(conference, email="a@example.org")

    with pytest.raises(Conflict):
        broadcasts.send_broadcast(staff, conference, subject="S", body="B", audience="pending")

    assert outbox() == [] and db.session.scalar(sa.select(Broadcast)) is None


def test_an_unknown_audience_or_a_session_of_another_conference_is_refused(conference, staff):
    make_registration(conference)
    foreign = make_talk(make_conference())

    with pytest.raises(Invalid) as unknown:
        broadcasts.send_broadcast(staff, conference, subject="S", body="B", audience="everyone")
    with pytest.raises(Invalid) as elsewhere:
        broadcasts.send_broadcast(staff, conference, subject="S", body="B", talk=foreign)

    assert set(unknown.value.errors) == {"audience"} == set(elsewhere.value.errors)


# --- languages and the greeting --------------------------------------------------------


def test_each_recipient_gets_the_text_in_their_language_else_the_main_one(
    conference, staff, smtp_server
):
    make_registration(conference, email="li@example.org", full_name="李娜", locale="zh")
    make_registration(conference, email="ana@example.org", full_name="Ana", locale="it")

    broadcasts.send_broadcast(
        staff, conference, subject="Shuttle", body="The bus leaves at 8.", translations=ZH
    )
    messages = deliver(smtp_server)

    li, ana = to(messages, "li@example.org")[0], to(messages, "ana@example.org")[0]
    assert li["Subject"] == "Rome Days: 班车时间"
    assert "班车八点出发。" in text_body(li) and "bus" not in text_body(li)
    assert "李娜" in text_body(li)
    assert ana["Subject"] == "Rome Days: Shuttle"
    assert "The bus leaves at 8." in text_body(ana)
    assert "Gentile Ana," in text_body(ana)  # the mail's own words in Italian


@pytest.mark.parametrize(
    "body",
    [
        "Dear all,\nthe bus leaves at 8.",
        "hello everyone! The bus…",
        "Hi Ana,",
        "Good morning,\n…",
        "Ciao a tutti,",
        "Gentili partecipanti,",
        "Cari amici,",
        "尊敬的各位嘉宾：",
        "您好！",
        "亲爱的朋友们，",
        "  \n Dear colleagues,",
    ],
)
def test_a_body_that_greets_is_recognised(body):
    assert broadcasts.starts_with_greeting(body)


@pytest.mark.parametrize(
    "body",
    ["History of the venue: …", "The bus leaves at 8.", "Hiking trip on Sunday", "会议通知", ""],
)
def test_a_body_that_does_not_greet_is_not_taken_for_a_greeting(body):
    assert not broadcasts.starts_with_greeting(body)


def test_the_mail_greets_once_whether_or_not_the_body_does(conference, staff, smtp_server):
    make_registration(conference, email="ana@example.org", full_name="Ana Rossi")
    make_registration(conference, email="li@example.org", full_name="李娜", locale="zh")
    broadcasts.send_broadcast(
        staff,
        conference,
        subject="Doors",
        body="Dear all,\n\nthe doors open at 8.",
        translations={"zh": {"subject": "开门", "body": "尊敬的各位嘉宾：\n\n八点开门。"}},
    )
    broadcasts.send_broadcast(staff, conference, subject="Bus", body="The bus leaves at 8.")

    messages = deliver(smtp_server)

    greeted_by_body = [m for m in messages if "Doors" in m["Subject"] or "开门" in m["Subject"]]
    plain = [m for m in messages if "Bus" in m["Subject"]]
    assert len(greeted_by_body) == 2 and len(plain) == 2
    for message in greeted_by_body:
        for body in (text_body(message), html_body(message)):
            assert "Ana Rossi" not in body and "李娜" not in body
            assert body.count("Dear all") + body.count("尊敬的各位嘉宾") == 1
    ana = next(m for m in plain if "ana@" in m["To"])
    assert text_body(ana).count("Dear Ana Rossi,") == 1
    assert html_body(ana).count("Dear Ana Rossi,") == 1


# --- preview and test send --------------------------------------------------------------


def test_the_preview_is_exactly_the_message_the_recipient_gets(conference, staff, smtp_server):
    make_registration(conference, email="li@example.org", full_name="李娜", locale="zh")
    draft = broadcasts.check_draft(conference, subject="Bus", body="At 8.", translations=ZH)
    member = broadcasts.members(conference, "all")[0]

    shown = broadcasts.preview(conference, draft, member)
    assert outbox() == []  # a preview writes nothing
    broadcasts.send_broadcast(staff, conference, subject="Bus", body="At 8.", translations=ZH)
    received = deliver(smtp_server)[0]

    assert shown.subject == received["Subject"] == "Rome Days: 班车时间"
    assert shown.text == text_body(received)
    assert "班车八点出发。" in shown.html and "李娜" in shown.html
    assert "cid:" not in shown.html


def test_a_test_send_goes_to_the_organizer_alone_marked_as_a_test(conference, staff, smtp_server):
    make_registration(conference, email="li@example.org", full_name="李娜", locale="zh")
    make_registration(conference, email="bo@example.org")
    draft = broadcasts.check_draft(conference, subject="Bus", body="At 8.", translations=ZH)
    li = broadcasts.members(conference, "all")[0]

    broadcasts.send_test(staff, conference, draft, li)
    messages = deliver(smtp_server)

    assert [m["To"] for m in messages] == ["李娜 <organizer@example.org>"]
    assert messages[0]["Subject"] == "[Test] Rome Days: 班车时间"
    assert "班车八点出发。" in text_body(messages[0])
    assert db.session.scalar(sa.select(Broadcast)) is None
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="message.tested"))


# --- later --------------------------------------------------------------------------------


def in_a_day() -> datetime:
    return (utcnow() + timedelta(days=1)).replace(microsecond=0)


def test_a_scheduled_message_waits_and_skips_who_left_the_audience(conference, staff, smtp_server):
    stays = make_registration(conference, email="stays@example.org")
    leaves = make_registration(conference, email="leaves@example.org")
    erased = make_registration(conference, email="erased@example.org")
    when = in_a_day()

    broadcast = broadcasts.send_broadcast(
        staff, conference, subject="Tomorrow", body="See you.", send_at=when
    )

    assert (broadcast.status, broadcast.send_at, broadcast.recipient_count) == (
        "scheduled",
        when,
        3,
    )
    assert {row.next_attempt_at for row in outbox()} == {when}
    assert deliver(smtp_server) == []  # not yet
    db.session.get(Registration, leaves.id).status = "cancelled"
    db.session.get(Registration, erased.id).email = None
    db.session.commit()

    from eventreg.mail.delivery import deliver_due

    deliver_due(now=when + timedelta(minutes=1))

    assert [m["To"] for m in smtp_server.messages] == [f"{stays.full_name} <stays@example.org>"]
    state = broadcasts.delivery_states([broadcast.id])[broadcast.id]
    assert (state.sent, state.skipped, state.failed) == (1, 2, 0)


def test_a_scheduled_message_can_be_cancelled_before_its_time(conference, staff, smtp_server):
    make_registration(conference, email="a@example.org")
    make_registration(conference, email="b@example.org")
    broadcast = broadcasts.send_broadcast(
        staff, conference, subject="Later", body="…", send_at=in_a_day()
    )

    removed = broadcasts.cancel_scheduled(staff, broadcast)

    assert removed == 2 and outbox() == []
    assert db.session.get(Broadcast, broadcast.id).status == "cancelled"
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="message.cancelled"))
    assert entry.after == {"status": "cancelled", "removed": 2}
    with pytest.raises(Conflict):
        broadcasts.cancel_scheduled(staff, broadcast)


def test_a_message_sent_at_once_cannot_be_cancelled(conference, staff):
    make_registration(conference, email="a@example.org")
    broadcast = broadcasts.send_broadcast(staff, conference, subject="Now", body="…")

    with pytest.raises(Conflict):
        broadcasts.cancel_scheduled(staff, broadcast)

    assert len(outbox()) == 1


def test_a_send_time_is_read_in_the_conference_zone_and_must_lie_ahead(conference):
    ahead = datetime(utcnow().year + 1, 7, 1, 9, 30)  # Rome in summer: UTC+2
    past = datetime(2020, 1, 1, 9, 0)
    skipped = datetime(utcnow().year + 1, 3, 1, 2, 30)
    while skipped.weekday() != 6 or skipped.day < 25:  # Rome springs forward then
        skipped += timedelta(days=1)

    draft = broadcasts.check_draft(conference, subject="S", body="B", send_at=ahead)

    assert draft.send_at == datetime(ahead.year, 7, 1, 7, 30, tzinfo=UTC)
    for refused in (past, skipped):
        with pytest.raises(Invalid) as error:
            broadcasts.check_draft(conference, subject="S", body="B", send_at=refused)
        assert set(error.value.errors) == {"send_at"}
