"""Erasure erases: one person put into every place ``personal_data.INVENTORY`` lists, erased
through "Erase your data", then searched for in every table and every byte of instance/.

The app of these tests has an instance folder of its own, holding the SQLite database (with
its -wal and -shm files) and the .eml copies of delivered mail, so that all of it can be
read byte by byte. With EVENTREG_TEST_DATABASE_URL set (PostgreSQL), the tables are searched.
"""

import json
import os
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import request_started

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.invites.models import CalendarCopy
from eventreg.mail.delivery import deliver_due
from eventreg.mail.models import OutboxMessage
from eventreg.registration import attendee_edits, broadcasts, checkin, services
from eventreg.registration.attendee_edits import AttendeeDetails
from eventreg.registration.models import (
    Answer,
    BroadcastMessage,
    Question,
    Registration,
    SessionSignup,
)
from eventreg.registration.personal_data import INVENTORY
from tests.conftest import _forget_request_globals, empty_tables, make_test_app
from tests.factories import make_conference, make_talk
from tests.organizers.conftest import make_user
from tests.registration.helpers import (
    MANAGE_LINK,
    latest_link_for,
    post_action,
    post_form,
    readable_text,
    register,
)

NAME = "Augusta Ada Lovelace-Byron"
ADDRESS = "Augusta.Byron@example.org"
AFFILIATION = "Analytical Engine Society"
ANSWER = "Only seed cake, please"


@pytest.fixture
def own_app(_schema, tmp_path):
    """An app whose instance folder holds everything it writes (SQLite: the database too)."""
    instance = tmp_path / "instance"
    instance.mkdir()
    url = os.environ.get("EVENTREG_TEST_DATABASE_URL") or f"sqlite:///{instance}/eventreg.sqlite"
    app = make_test_app(url, instance)
    request_started.connect(_forget_request_globals, app)
    with app.app_context():
        if url.startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def secrets_of(text: str) -> set[str]:
    return {match.group(2) for match in MANAGE_LINK.finditer(text)}


def table_text() -> str:
    """Every value of every row of every table, as text (binary columns decoded)."""
    db.session.rollback()
    values = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    if isinstance(value, bytes):
                        value = readable(value)
                    values.append(json.dumps(value, ensure_ascii=False, default=str))
    return "\n".join(values)


def readable(raw: bytes) -> str:
    """Bytes as they are, and, when they are a message, its headers and parts decoded
    (base64 and quoted-printable would hide a name from a plain search)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    decoded = [f"{key}: {value}" for key, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            content = part.get_content()
            decoded.append(
                content if isinstance(content, str) else content.decode("utf-8", "replace")
            )
    return "\n".join([raw.decode("utf-8", "replace"), *decoded])


def instance_bytes(instance: Path) -> dict[str, bytes]:
    """Every file under instance/; .eml files also in their decoded form."""
    files = {}
    for path in sorted(instance.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            if path.suffix == ".eml":
                content = readable(content).encode()
            files[str(path.relative_to(instance))] = content
    return files


def found(needles: list[str], text: str) -> list[str]:
    return [needle for needle in needles if needle.lower() in text.lower()]


def found_in_files(needles: list[str], files: dict[str, bytes]) -> dict[str, list[str]]:
    hits = {}
    for name, content in files.items():
        lowered = content.lower()
        inside = [n for n in needles if n.lower().encode() in lowered]
        if inside:
            hits[name] = inside
    return hits


def test_erasure_leaves_nothing_of_the_person_anywhere(own_app, smtp_server):
    app = own_app
    client = app.test_client()
    staff = make_user("desk@example.org")
    conference = make_conference(capacity=1)
    diet = Question(conference=conference, label="Diet", kind="short_text")
    db.session.add(diet)
    db.session.commit()
    workshop = make_talk(conference, title="Workshop", capacity=1)
    keynote = make_talk(conference, title="Keynote", start="11:00", end="11:45")
    closing = make_talk(conference, title="Closing", start="17:00", end="17:30")

    # On the waiting list first (Bruno holds the one seat), through the form.
    register(app.test_client(), conference, full_name="Bruno Bianchi", email="bruno@example.org")
    sent = register(
        client,
        conference,
        full_name=NAME,
        email=ADDRESS,
        affiliation=AFFILIATION,
        country="GB",
        **{f"question_{diet.id}": ANSWER},
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)
    # Somebody else types her address: she is told (registration_again).
    register(app.test_client(), conference, full_name="Mallory", email=ADDRESS.upper())
    deliver_due()  # to .eml files in instance/outbox (no MAIL_SERVER)
    ada = db.session.scalar(sa.select(Registration).filter_by(full_name=NAME))

    # Organizers act on her: promote (a seat added), a new link, a message to everyone.
    services.promote_registration(staff, ada, add_seat=True)
    services.send_new_link(staff, ada)
    app.config.update(smtp_server.app_config)
    deliver_due()  # these through SMTP
    link = latest_link_for(ADDRESS)

    # Her agenda: a seat, and a waiting place behind Bruno's seat; then the organizers write.
    bruno = db.session.scalar(sa.select(Registration).filter_by(full_name="Bruno Bianchi"))
    services.join_session(staff, bruno, workshop)
    assert post_action(client, link, f"/sessions/{keynote.id}/join").status_code == 303
    assert post_action(client, link, f"/sessions/{workshop.id}/join").status_code == 303
    broadcasts.send_broadcast(staff, conference, subject="Welcome", body="See you soon.")
    deliver_due()
    assert checkin.check_in(staff, conference, ada.id).first_time  # at the door
    assert post_action(client, link, f"/sessions/{closing.id}/join").status_code == 303
    # (that last mail is left undelivered)
    # An organizer corrects her affiliation: the log keeps the old one, before → after.
    details = AttendeeDetails(full_name=NAME, email=ADDRESS, affiliation="Another lab")
    attendee_edits.edit_attendee(staff, ada, details)

    db.session.expire_all()
    ada = db.session.get(Registration, ada.id)
    outbox = list(db.session.scalars(sa.select(OutboxMessage).filter_by(registration_id=ada.id)))
    tokens = set().union(*(secrets_of(readable_text(m)) for m in outbox if m.raw))
    needles = [NAME, ADDRESS, AFFILIATION, ANSWER, *tokens]
    # She is in every place of the inventory that the application writes.
    assert ada.status == "confirmed" and ada.checked_in_at is not None
    assert db.session.scalar(sa.select(Answer.value).filter_by(registration_id=ada.id)) == ANSWER
    signups = db.session.scalars(sa.select(SessionSignup).filter_by(registration_id=ada.id))
    assert sorted(s.status for s in signups) == ["confirmed", "confirmed", "waiting"]
    assert {m.status for m in outbox} == {"sent", "pending"}
    # The waiting-list mail, the spare link of the "registered again" mail, the new link.
    assert len(tokens) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 2
    entries = db.session.scalars(sa.select(AuditEntry).filter_by(object_id=ada.id)).all()
    assert {e.actor for e in entries if e.object_type == "registration"} >= {
        "attendee",
        "desk@example.org",
    }
    assert any(NAME in e.summary for e in entries)
    assert ADDRESS.lower() in {r.rcpt_tos[0].lower() for r in smtp_server.received}
    assert found(needles, table_text()) == needles
    sqlite = db.engine.dialect.name == "sqlite"
    before = instance_bytes(Path(app.instance_path))
    assert any(name.endswith(".eml") for name in found_in_files(needles, before))
    if sqlite:
        assert any(name.startswith("eventreg.sqlite") for name in found_in_files(needles, before))
    assert len(INVENTORY) >= 10
    copies = sa.select(CalendarCopy.uid).filter_by(recipient=f"registration:{ada.id}")
    assert len(db.session.scalars(copies).all()) >= 3  # the conference and her two sessions

    response = post_form(client, link + "/erase")

    assert response.status_code == 303
    assert client.get(link).status_code == 404
    assert found(needles, table_text()) == []
    files = instance_bytes(Path(app.instance_path))
    assert found_in_files(needles, files) == {}
    # Only the conference's event stays numbered, for her agenda's cancelled copy of it.
    assert db.session.scalars(copies).all() == [f"{ada.conference.uuid}@eventreg"]
    assert any(name.endswith(".eml") for name in files)  # Bruno's mail is still there
    if sqlite:
        assert files.get("eventreg.sqlite-wal", b"") == b""  # checkpointed and truncated
        assert "eventreg.sqlite" in files


def test_every_sqlite_connection_overwrites_what_it_deletes(tmp_path):
    # The setting is made on every SQLite connection of any engine (eventreg.core.db).
    engine = sa.create_engine(f"sqlite:///{tmp_path}/any.sqlite")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        engine.dispose()


def test_every_place_in_the_inventory_says_what_erasure_does_there():
    for place in INVENTORY:
        assert place.where and place.holds and place.on_erasure, place
