"""Online and hybrid sessions: the join link reaches the people who hold the session (their
invites, e-mails and personal agenda, read alike by icalendar, vobject and ical.js) and
nobody else — not the public pages, feeds, frab export or API, nor the waiting list."""

from datetime import date, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens
from eventreg.conferences.models import Conference, Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.demo import load_demo
from eventreg.mail.models import OutboxMessage
from eventreg.registration import services as registration
from eventreg.registration.tokens import feed_token_for
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.conference_changes import duplicate_conference
from eventreg.schedule.services import invite_speakers, update_session
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_speaker, make_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import make_registration
from tests.mail.mailbox import calendar_part, deliver, html_body, text_body, to
from tests.organizers.conftest import give_role, log_in, make_user

# A comma and a query string: the CONFERENCE value must survive every parser whole.
LINK = "https://meet.example.org/room/cell-therapy?pwd=s3cret,1"
NEW_LINK = "https://meet.example.org/room/cell-therapy-2"
# What the parsers read back (ical.py percent-encodes the comma, as vobject needs).
LINK_READ = LINK.replace(",", "%2C")


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def hybrid(app):
    """A hybrid session (a room and a link) with one seat: a speaker, a seat holder and
    someone on its waiting list."""
    conference = make_conference(
        slug="hybrid",
        timezone="Europe/Rome",
        start_date=date.today() + timedelta(days=30),
        organizer_email="comitato@example.org",
    )
    speaker = make_speaker(conference, name="Li Na", email="li.na@example.org")
    talk = make_talk(
        conference,
        title="Cell therapy, online too",
        room=make_room(conference, name="Aula Magna"),
        capacity=1,
        online_url=LINK,
        speakers=[speaker],
    )
    holder = make_registration(conference, email="holder@example.org", full_name="Holder")
    waiting = make_registration(conference, email="waiting@example.org", full_name="Waiting")
    registration.join_session(None, holder, talk)
    registration.join_session(None, waiting, talk)
    return {"conference": conference, "talk": talk, "holder": holder, "waiting": waiting}


def the_event(message):
    """The one event of a message's invite, as all three parsers agree on it."""
    method, data = calendar_part(message)
    _, events = parse_agreed(data)
    (event,) = events.values()
    return method, event, icalendar.Calendar.from_ical(data).walk("VEVENT")[0]


def agenda_bytes(client, registration_row) -> bytes:
    response = client.get(f"/feeds/agenda/{feed_token_for(registration_row.id)}.ics")
    assert response.status_code == 200
    return response.data


def test_the_seat_holders_invite_carries_the_link_the_waiting_list_sees_none(smtp_server, hybrid):
    messages = deliver(smtp_server)

    (invite,) = to(messages, "holder@example.org")
    method, event, component = the_event(invite)
    assert (method, event.conference) == ("REQUEST", LINK_READ)
    assert f"Join online: {LINK}" in str(component["DESCRIPTION"])
    assert f"Join online: {LINK}" in text_body(invite)
    assert f'href="{LINK}"' in html_body(invite)
    assert "overflow-wrap:anywhere" in html_body(invite)  # a long link wraps on a phone
    (waiting,) = to(messages, "waiting@example.org")
    assert LINK not in waiting.as_string()
    assert "meet.example.org" not in waiting.as_string()


def test_speakers_invites_carry_the_link(smtp_server, hybrid):
    deliver(smtp_server)
    invite_speakers(hybrid["conference"])

    (invite,) = to(deliver(smtp_server), "li.na@example.org")
    method, event, _component = the_event(invite)
    assert (method, event.conference) == ("REQUEST", LINK_READ)
    assert f"Join online: {LINK}" in text_body(invite)


def test_only_the_holders_agenda_carries_the_link(client, hybrid):
    talk_uid = f"{hybrid['talk'].uuid}@eventreg"

    held = agenda_bytes(client, hybrid["holder"])
    _, events = parse_agreed(held)
    assert events[talk_uid].conference == LINK_READ
    description = icalendar.Calendar.from_ical(held).walk("VEVENT")[1]["DESCRIPTION"]
    assert f"Join online: {LINK}" in str(description)

    not_held = agenda_bytes(client, hybrid["waiting"])
    assert talk_uid not in parse_agreed(not_held)[1]
    assert b"meet.example.org" not in not_held


def test_changing_the_link_sends_each_holder_and_speaker_one_update(smtp_server, hybrid):
    talk = hybrid["talk"]
    invite_speakers(hybrid["conference"])
    delivered = deliver(smtp_server)
    before = {
        address: the_event(invite)[1]
        for address in ("holder@example.org", "li.na@example.org")
        for invite in to(delivered, address)
    }
    sent = len(smtp_server.messages)

    saved = update_session(None, talk, SessionFields(online_url=NEW_LINK))

    assert saved.notified == 2
    updates = deliver(smtp_server)[sent:]
    assert sorted(m["To"].addresses[0].addr_spec for m in updates) == [
        "holder@example.org",
        "li.na@example.org",
    ]
    for message in updates:
        method, event, _component = the_event(message)
        address = message["To"].addresses[0].addr_spec
        assert (method, event.uid, event.conference) == ("REQUEST", before[address].uid, NEW_LINK)
        assert event.sequence > before[address].sequence
        assert "the online link" in text_body(message)
        assert LINK not in message.as_string()


def test_removing_the_link_sends_an_update_without_it(smtp_server, client, hybrid):
    sent = len(deliver(smtp_server))

    saved = update_session(None, hybrid["talk"], SessionFields(online_url=""))

    assert saved.notified == 2  # the seat holder and the speaker
    (update,) = to(deliver(smtp_server)[sent:], "holder@example.org")
    method, event, component = the_event(update)
    assert (method, event.conference) == ("REQUEST", None)
    assert "Join online" not in str(component["DESCRIPTION"])
    assert b"meet.example.org" not in agenda_bytes(client, hybrid["holder"])


def public_responses(client, conference: Conference, talk: Talk) -> dict[str, bytes]:
    slug = conference.slug
    paths = [
        f"/c/{slug}/schedule",
        f"/c/{slug}/sessions/{talk.id}",
        f"/c/{slug}/schedule.ics",
        f"/c/{slug}/sessions/{talk.id}.ics",
        f"/c/{slug}/schedule.xml",
        f"/c/{slug}/schedule.json",
        f"/api/v1/conferences/{slug}/sessions",
        f"/api/v1/conferences/{slug}/sessions/{talk.id}",
    ]
    responses = {path: client.get(path) for path in paths}
    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(paths, 200)
    return {path: response.data for path, response in responses.items()}


def test_no_public_page_feed_export_or_api_shows_the_link(client, hybrid):
    for path, body in public_responses(client, hybrid["conference"], hybrid["talk"]).items():
        assert b"meet.example.org" not in body, path
        assert b"CONFERENCE" not in body, path

    page = client.get(f"/c/hybrid/sessions/{hybrid['talk'].id}").text
    assert "Hybrid: in the room and online" in page


def test_the_management_page_shows_the_link_to_the_holder_only(client, hybrid):
    pages = {}
    for key in ("holder", "waiting"):
        token = f"manage-{key}"
        hybrid[key].token_hash = hash_token(token)
        db.session.commit()
        pages[key] = client.get(f"/c/hybrid/manage/{token}").text
        assert "Hybrid" in pages[key]

    assert f'href="{LINK}"' in pages["holder"]
    assert "meet.example.org" not in pages["waiting"]


# --- refusals ---------------------------------------------------------------------------

REFUSED = [
    "javascript:alert(1)",
    "ftp://meet.example.org/call",
    "https://meet.example.org/a call",
    "https://meet.example.org/\tcall",
    "meet.example.org/call",
    "https:///no-host",
    "https://meet.example.org/" + "x" * 500,
]


def nothing_written(talk_id: int, outbox_before: int, audit_before: int) -> None:
    db.session.rollback()
    talk = db.session.get(Talk, talk_id)
    assert (talk.online_url, talk.revision) == (LINK, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == outbox_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_before


def counts() -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    )


@pytest.fixture
def organizer(hybrid):
    user = make_user("organizer@example.org")
    give_role(user, hybrid["conference"])
    return user


@pytest.mark.parametrize("link", REFUSED)
def test_the_workspace_form_refuses_a_link_that_is_not_a_web_address(
    client, hybrid, organizer, link
):
    log_in(client, organizer)
    talk = hybrid["talk"]
    path = f"/manage/c/hybrid/sessions/{talk.id}"
    page = client.get(path)
    assert f'value="{LINK}"' in page.text  # the form shows the link it has
    before = counts()
    local = talk.start_at.astimezone(hybrid["conference"].tz)
    data = {
        "csrf_token": csrf_token_from(page.text),
        "title": talk.title,
        "abstract": talk.abstract,
        "kind": "talk",
        "track_id": "0",
        "room_id": str(talk.room_id),
        "speaker_ids": [str(s.id) for s in talk.speakers],
        "capacity": "1",
        "day": local.date().isoformat(),
        "start": local.strftime("%H:%M"),
        "end": talk.end_at.astimezone(hybrid["conference"].tz).strftime("%H:%M"),
        "online_url": link,
    }

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert 'id="online_url-error"' in response.text  # the message stands by the field
    nothing_written(talk.id, *before)


@pytest.mark.parametrize("link", [*REFUSED, None, 42])
def test_the_organizer_api_refuses_a_link_that_is_not_a_web_address(
    client, hybrid, organizer, link
):
    secret = api_tokens.issue(organizer, "script")[1]
    talk = hybrid["talk"]
    before = counts()

    response = client.patch(
        f"/api/v1/manage/conferences/hybrid/sessions/{talk.id}",
        headers={"Authorization": f"Bearer {secret}"},
        json={"online_url": link},
    )

    assert 400 <= response.status_code < 500
    nothing_written(talk.id, *before)


def test_the_organizer_api_sets_and_returns_the_link(client, hybrid, organizer):
    headers = {"Authorization": f"Bearer {api_tokens.issue(organizer, 'script')[1]}"}
    base = "/api/v1/manage/conferences/hybrid/sessions"

    changed = client.patch(
        f"{base}/{hybrid['talk'].id}", headers=headers, json={"online_url": f" {NEW_LINK} "}
    )
    created = client.post(
        base,
        headers=headers,
        json={"title": "Online only", "online_url": "http://meet.example.org/solo"},
    )

    assert changed.status_code == 200
    assert (changed.json["online_url"], changed.json["notified"]) == (NEW_LINK, 2)
    assert created.status_code == 201
    assert created.json["online_url"] == "http://meet.example.org/solo"
    assert client.get(f"{base}/{created.json['id']}", headers=headers).json["online_url"] == (
        "http://meet.example.org/solo"
    )


def test_a_duplicated_conference_keeps_its_sessions_links(hybrid, organizer):
    copy = duplicate_conference(
        organizer,
        hybrid["conference"],
        title="Again",
        slug="hybrid-again",
        start_date=hybrid["conference"].start_date + timedelta(days=364),
    )

    (talk,) = db.session.scalars(sa.select(Talk).filter_by(conference_id=copy.id))
    assert talk.online_url == LINK


def test_the_demo_has_a_hybrid_session_on_an_example_domain(app):
    conference = load_demo()

    online = db.session.scalars(
        sa.select(Talk).where(Talk.conference_id == conference.id, Talk.online_url != "")
    ).all()
    assert len(online) == 1
    assert online[0].room_id is not None
    assert online[0].online_url.startswith("https://meet.example.org/")


def test_leaving_the_session_sends_a_cancel_without_the_link(smtp_server, hybrid):
    deliver(smtp_server)
    registration.leave_session(None, hybrid["holder"], hybrid["talk"])
    db.session.commit()

    cancels = [m for m in to(deliver(smtp_server), "holder@example.org") if calendar_part(m)]
    (cancel,) = [m for m in cancels if calendar_part(m)[0] == "CANCEL"]
    assert the_event(cancel)[1].conference is None
    assert "meet.example.org" not in cancel.as_string()
