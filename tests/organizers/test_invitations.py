"""Invitations: upload a list, preview with per-row errors, confirm (one transaction, one
mail per person in their language), the list, resend, revoke, the template."""

import io
import re
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.mail.models import OutboxMessage
from eventreg.registration import invitations
from eventreg.registration.models import Invitation, Registration, RegistrationCategory
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.mail.mailbox import deliver, text_body, to
from tests.organizers.conftest import give_role, log_in, make_user
from tests.registration.helpers import database_state

LINK = re.compile(r"https?://[^\s\"'<>]+/c/forum/register\?invitation=([A-Za-z0-9_\-]+)")
GOOD = (
    b"name,email,affiliation,language\n"
    b"Ada Li,ada@example.org,Example University,zh\n"
    b"Ben Rossi,ben@example.org,,it\n"
    b"Cai Wen,cai@example.org,,\n"
)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(slug="forum", title="Forum 2031")


@pytest.fixture
def organizer(conference, client):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return user


def upload(client, data: bytes, **fields):
    page = client.get("/manage/c/forum/invitations")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token_from(page.text), "file": (io.BytesIO(data), "people.csv")}
    form.setdefault("skips_approval", "y")
    form.update(fields)
    form = {name: value for name, value in form.items() if value is not None}
    return client.post("/manage/c/forum/invitations", data=form, content_type="multipart/form-data")


def payload_of(html: str) -> str:
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', html)
    assert match, "no confirm form on the page"
    return unescape(match.group(1))


def confirm(client, payload: str):
    token = csrf_token_from(client.get("/manage/c/forum/invitations").text)
    return client.post(
        "/manage/c/forum/invitations/confirm", data={"csrf_token": token, "payload": payload}
    )


def post(client, path: str):
    token = csrf_token_from(client.get("/manage/c/forum/invitations").text)
    return client.post(path, data={"csrf_token": token})


def rows() -> list[Invitation]:
    db.session.commit()
    return list(db.session.scalars(sa.select(Invitation).order_by(Invitation.id)))


def invite_all(client, data: bytes = GOOD, **fields):
    preview = upload(client, data, **fields)
    assert preview.status_code == 200, preview.text
    response = confirm(client, payload_of(preview.text))
    assert response.status_code == 303, response.text
    return response


def test_confirming_invites_everyone_with_a_mail_in_their_language(
    client, organizer, conference, smtp_server
):
    preview = upload(client, GOOD)
    assert "3 people will be invited." in unescape(preview.text)
    assert rows() == []
    invite_all(client)
    made = rows()
    assert [(i.full_name, i.locale, i.skips_approval) for i in made] == [
        ("Ada Li", "zh", True),
        ("Ben Rossi", "it", True),
        ("Cai Wen", "en", True),
    ]
    assert all(i.sent_at is not None for i in made)
    [entry] = db.session.scalars(sa.select(AuditEntry).filter_by(action="invitations.sent"))
    assert entry.summary == "3 invited"
    messages = deliver(smtp_server)
    assert len(messages) == 3
    by_address = {i.email: i for i in made}
    for address, locale in [
        ("ada@example.org", "zh"),
        ("ben@example.org", "it"),
        ("cai@example.org", "en"),
    ]:
        [message] = to(messages, address)
        body = text_body(message)
        with force_locale(locale):
            greeting = gettext("Dear %(name)s,", name=by_address[address].full_name)
        assert greeting in body, body
        assert "Forum 2031" in body
        token = LINK.search(body).group(1)
        assert hash_token(token) == by_address[address].token_hash
    page = client.get("/manage/c/forum/invitations")
    assert "Invited: 3 · Registered: 0 · Not yet: 3" in unescape(page.text)
    assert page.text.count("Delivered") == 3


def test_a_bad_row_is_named_and_nothing_is_created(client, organizer, conference):
    bad = GOOD + b"Dee,not-an-address,,\nEve,eve@example.org,,fr\nAda again,ADA@example.org,,\n"
    before = database_state()
    preview = upload(client, bad)
    assert preview.status_code == 200
    text = unescape(preview.text)
    assert "3 rows are refused" in text
    assert "Row 5 (“Dee”): This is not a valid e-mail address" in text
    assert "Row 6 (“Eve”): Unknown language “fr”" in text
    assert "Row 7 (“Ada again”): The same address as row 2." in text
    assert 'name="payload"' not in preview.text
    assert database_state() == before


def test_already_invited_are_skipped_and_registered_are_listed(client, organizer, conference):
    invite_all(client, b"name,email\nAda Li,ada@example.org\n")
    db.session.add(
        Registration(
            conference_id=conference.id,
            email="ben@example.org",
            full_name="Ben Rossi",
            status="confirmed",
            token_hash="b" * 64,
        )
    )
    db.session.commit()
    preview = upload(client, GOOD)
    text = unescape(preview.text)
    assert "1 person will be invited." in text
    assert "1 invited already (skipped)" in text
    assert "1 already registered (not invited again)" in text
    invite_all(client, GOOD)
    assert sorted(i.email for i in rows()) == ["ada@example.org", "cai@example.org"]
    page = unescape(client.get("/manage/c/forum/invitations").text)
    assert "Invited: 2" in page
    # Nobody left: the preview says so and offers no confirmation.
    again = upload(client, GOOD)
    assert "Nobody in the file is left to invite." in unescape(again.text)
    assert 'name="payload"' not in again.text


def test_a_category_and_approval_apply_to_the_whole_list(client, organizer, conference):
    category = RegistrationCategory(conference_id=conference.id, name="Press", visibility="hidden")
    db.session.add(category)
    db.session.commit()
    invite_all(client, GOOD, category_id=str(category.id), skips_approval=None)
    assert {(i.category_id, i.skips_approval) for i in rows()} == {(category.id, False)}
    other = make_conference(slug="other")
    foreign = RegistrationCategory(conference_id=other.id, name="VIP")
    db.session.add(foreign)
    db.session.commit()
    assert upload(client, GOOD, category_id=str(foreign.id)).status_code == 400


def test_resend_gives_a_new_link_and_revoke_removes(client, organizer, conference, smtp_server):
    invite_all(client, b"name,email\nAda Li,ada@example.org\n")
    [invitation] = rows()
    old_hash = invitation.token_hash
    response = post(client, f"/manage/c/forum/invitations/{invitation.id}/resend")
    assert response.status_code == 303
    [invitation] = rows()
    assert invitation.token_hash != old_hash
    messages = deliver(smtp_server)
    # The first mail carried the old link: it is not sent any more, only the new one.
    assert len(messages) == 1
    token = LINK.search(text_body(messages[0])).group(1)
    assert hash_token(token) == invitation.token_hash
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="invitation.resent"))
    page = client.get("/manage/c/forum/invitations")
    assert "data-confirm=" in page.text
    response = post(client, f"/manage/c/forum/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    assert rows() == []
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="invitation.revoked"))
    assert post(client, f"/manage/c/forum/invitations/{invitation.id}/revoke").status_code == 404
    # The revoked link opens the ordinary form.
    assert client.get(f"/c/forum/register?invitation={token}").status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00binary",
        b"",
        b"   \n",
        b"Ada Li,ada@example.org\n",
        b"name,email\n",
        b"name,email\n" + b"x,\xff@example.org\n",
        b'name,email\n"Ada,ada@example.org\n',
        ("name,email\n" + "".join(f"P{n},p{n}@example.org\n" for n in range(2001))).encode(),
    ],
    ids=["binary", "empty", "blank", "no-header", "nobody", "not-utf8", "broken", "too-many"],
)
def test_a_garbage_file_is_refused_with_a_message(client, organizer, conference, data):
    before = database_state()
    response = upload(client, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert database_state() == before


def test_semicolons_and_a_byte_order_mark_are_read(client, organizer, conference):
    data = "\ufeffname;email;language\nAda Li;ada@example.org;it\n".encode()
    invite_all(client, data)
    assert [(i.email, i.locale) for i in rows()] == [("ada@example.org", "it")]


def test_a_changed_payload_is_refused(client, organizer, conference):
    preview = upload(client, GOOD)
    response = confirm(client, payload_of(preview.text)[:-3] + "abc")
    assert response.status_code == 400
    assert rows() == []


def test_the_template_reads_back(client, organizer, conference):
    response = client.get("/manage/c/forum/invitations/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    parsed = invitations.parse_upload(response.data)
    assert [row.problems for row in parsed] == [(), ()]


def test_strangers_are_kept_out(client, conference):
    log_in(client, make_user("someone@example.org"))
    assert client.get("/manage/c/forum/invitations").status_code in (403, 404)


def test_a_registered_invitee_shows_with_their_status(client, organizer, conference):
    invite_all(client, b"name,email\nAda Li,ada@example.org\n")
    registration = Registration(
        conference_id=conference.id,
        email="ada@example.org",
        full_name="Ada Li",
        status="pending",
        token_hash="c" * 64,
    )
    db.session.add(registration)
    db.session.commit()
    page = unescape(client.get("/manage/c/forum/invitations").text)
    assert "Invited: 1 · Registered: 1 · Not yet: 0" in page
    assert f"/manage/c/forum/attendees/{registration.id}" in page
    assert "Pending approval" in page
    [invitation] = rows()
    response = post(client, f"/manage/c/forum/invitations/{invitation.id}/resend")
    assert response.status_code == 303
    assert rows()[0].token_hash == invitation.token_hash


def test_no_outbox_rows_for_a_refused_file(client, organizer, conference):
    upload(client, GOOD + b"x,bad,,\n")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
