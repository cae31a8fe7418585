"""Every workspace action is one transaction: it writes its change together with exactly one
audit entry (its e-mails and promotions included), and an action that is refused writes
nothing at all — no row, no e-mail, no audit entry.

The actions are sent as a browser sends them: the form read from its page, then posted.
"""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens
from eventreg.accounts.models import User
from eventreg.conferences.models import Conference
from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.checkin import checkin_code
from eventreg.registration.models import Answer, Broadcast, Question, Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track
from tests.mail.builders import add_signup, make_registration
from tests.organizers.conftest import PASSWORD, give_role, log_in, make_user
from tests.registration.helpers import database_state, submit


class World:
    """Conference "rome": two seats, both taken, one person waiting; a workshop one of them
    sits in, a room, a track, a speaker and a question; an organizer and an administrator."""

    def __init__(self):
        self.conference = make_conference(
            slug="rome",
            title="Rome Days",
            timezone="Europe/Rome",
            capacity=2,
            # On a whole minute, as the form shows it: saving the form changes nothing else.
            registration_opens_at=datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
        )
        self.seated = make_registration(self.conference, full_name="Giulia Rossi")
        self.other = make_registration(self.conference, full_name="Marco Bianchi")
        self.waiting = make_registration(
            self.conference, full_name="Li Na", status="waiting", queued_at=utcnow()
        )
        self.room = make_room(self.conference, name="Aula Magna")
        self.track = make_track(self.conference, name="Genomics")
        self.speaker = make_speaker(self.conference, name="Anna Verdi")
        self.workshop = make_talk(self.conference, title="Workshop", room=self.room, capacity=5)
        self.workshop.speakers = [self.speaker]
        self.empty_talk = make_talk(
            self.conference, title="Nobody Here", start="14:00", end="15:00"
        )
        add_signup(self.seated, self.workshop)
        self.question = Question(conference=self.conference, label="Diet?", kind="short_text")
        db.session.add(self.question)
        db.session.commit()
        self.organizer = make_user("organizer@example.org", may_create_conferences=True)
        give_role(self.organizer, self.conference)
        self.admin = make_user("admin@example.org", is_admin=True)
        self.colleague = make_user("colleague@example.org", name="Colleague")


@pytest.fixture
def world(app) -> World:
    return World()


def as_(client, user: User):
    log_in(client, user)
    return client


def new_entries(after_id: int) -> list[AuditEntry]:
    db.session.rollback()  # read what the requests committed
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)
        )
    )


def last_entry_id() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.id), 0)))


def outbox_kinds() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)))


ATTENDEES = "/manage/c/rome/attendees"

# Each action below logs its actor in, does any set-up of its own, and returns the request
# to send: the tests read the database between the two.


def cancel_seated(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, ATTENDEES, f"/attendees/{w.seated.id}/cancel")


def promote_waiting(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, ATTENDEES, f"/attendees/{w.waiting.id}/promote")


def resend_link(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, ATTENDEES, f"/attendees/{w.other.id}/resend")


def raise_capacity(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/edit", "/edit", capacity=3)


def unpublish(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/", "/unpublish")


NEW_CONFERENCE = {
    "title": "Milan Days",
    "timezone": "Europe/Rome",
    "start_date": "2031-05-04",
    "end_date": "2031-05-05",
    "organizer_email": "office@example.org",
}


def create_conference(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/conferences/new", "/conferences/new", **NEW_CONFERENCE)


def duplicate(client, w):
    as_(client, w.organizer)
    page = "/manage/c/rome/duplicate"
    return lambda: submit(client, page, "/duplicate", title="Rome Days 2", slug="rome-2")


def add_room(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/rooms", "/rooms", name="Lab", seats=40)


def edit_room(client, w):
    as_(client, w.organizer)
    page = f"/manage/c/rome/rooms/{w.room.id}"
    return lambda: submit(client, page, page, seats=250)


def delete_track(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/tracks", f"/tracks/{w.track.id}/delete")


def add_speaker(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/speakers", "/speakers", name="Ugo Foscolo")


def add_question(client, w):
    as_(client, w.organizer)
    return lambda: submit(
        client,
        "/manage/c/rome/questions",
        "/questions",
        label="Which workshop?",
        kind="single_choice",
        choices="Morning\nAfternoon",
    )


def delete_question(client, w):
    as_(client, w.organizer)
    page = "/manage/c/rome/questions"
    return lambda: submit(client, page, f"/questions/{w.question.id}/delete")


def send_message(client, w):
    as_(client, w.organizer)
    page = "/manage/c/rome/messages"
    return lambda: submit(
        client, page, "/messages", subject="Doors at 8", body="See you.", confirmed="yes"
    )


def check_in(client, w):
    as_(client, w.organizer)
    code = checkin_code(w.seated.id)
    return lambda: submit(client, "/manage/c/rome/checkin", "/checkin", code=code)


def create_user(client, w):
    as_(client, w.admin)
    return lambda: submit(client, "/manage/users/new", "/users/new", email="new@example.org")


def edit_user(client, w):
    as_(client, w.admin)
    page = f"/manage/users/{w.colleague.id}"
    return lambda: submit(client, page, page, may_create_conferences="y")


def grant_role(client, w):
    as_(client, w.admin)
    page = f"/manage/users/{w.colleague.id}"
    return lambda: submit(client, page, "/roles", conference_id=w.conference.id, role="checkin")


def revoke_role(client, w):
    as_(client, w.admin)
    page = f"/manage/users/{w.organizer.id}"
    return lambda: submit(client, page, f"/roles/{w.conference.id}/revoke")


def change_password(client, w):
    as_(client, w.organizer)
    return lambda: submit(
        client,
        "/manage/password",
        "/password",
        current_password=PASSWORD,
        new_password="a brand new secret",
        confirm_password="a brand new secret",
    )


def create_token(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/tokens", "/tokens", name="import script")


def revoke_token(client, w):
    as_(client, w.organizer)
    api_tokens.issue(w.organizer, "old laptop")
    return lambda: submit(client, "/manage/tokens", "/tokens/revoke")


def check_cancelled(w, entry):
    assert (entry.before, entry.after) == ({"status": "confirmed"}, {"status": "cancelled"})
    assert "1 promoted from the waiting list" in entry.summary
    assert db.session.get(Registration, w.waiting.id).status == "confirmed"
    assert outbox_kinds() == [
        "registration_cancelled",
        "registration_cancelled_session",
        "registration_promoted",
    ]


def check_promoted(w, entry):
    assert entry.before == {"status": "waiting", "capacity": 2}
    assert entry.after == {"status": "confirmed", "capacity": 3}
    assert db.session.get(Conference, w.conference.id).capacity == 3
    assert outbox_kinds() == ["registration_promoted"]


def check_resent(w, entry):
    assert (entry.object_id, entry.summary) == (w.other.id, "Marco Bianchi")
    assert outbox_kinds() == ["management_link"]


def check_capacity_raised(w, entry):
    assert (entry.before, entry.after) == ({"capacity": 2}, {"capacity": 3})
    assert "1 promoted from the waiting list" in entry.summary
    assert db.session.get(Registration, w.waiting.id).status == "confirmed"
    assert outbox_kinds() == ["registration_promoted"]


def check_message(w, entry):
    broadcast = db.session.scalar(sa.select(Broadcast))
    assert (entry.object_id, entry.after["recipients"]) == (broadcast.id, 2)
    assert outbox_kinds() == ["organizer_message"] * 2


def check_checked_in(w, entry):
    assert entry.summary == "Giulia Rossi"
    assert db.session.get(Registration, w.seated.id).checked_in_at is not None


def check_user_created(w, entry):
    assert entry.after["email"] == "new@example.org"
    assert outbox_kinds() == ["account_welcome"]


def check_room_updated(w, entry):
    assert (entry.before, entry.after) == ({"seats": None}, {"seats": 250})


ORGANIZER, ADMIN = "organizer@example.org", "admin@example.org"
ACTIONS = [
    (cancel_seated, ORGANIZER, "registration.cancelled", check_cancelled),
    (promote_waiting, ORGANIZER, "registration.promoted", check_promoted),
    (resend_link, ORGANIZER, "registration.link_resent", check_resent),
    (raise_capacity, ORGANIZER, "conference.updated", check_capacity_raised),
    (unpublish, ORGANIZER, "conference.unpublished", None),
    (create_conference, ORGANIZER, "conference.created", None),
    (duplicate, ORGANIZER, "conference.duplicated", None),
    (add_room, ORGANIZER, "room.created", None),
    (edit_room, ORGANIZER, "room.updated", check_room_updated),
    (delete_track, ORGANIZER, "track.deleted", None),
    (add_speaker, ORGANIZER, "speaker.created", None),
    (add_question, ORGANIZER, "question.created", None),
    (delete_question, ORGANIZER, "question.deleted", None),
    (send_message, ORGANIZER, "message.sent", check_message),
    (check_in, ORGANIZER, "registration.checked_in", check_checked_in),
    (create_user, ADMIN, "user.created", check_user_created),
    (edit_user, ADMIN, "user.updated", None),
    (grant_role, ADMIN, "role.granted", None),
    (revoke_role, ADMIN, "role.revoked", None),
    (change_password, ORGANIZER, "user.password_changed", None),
    (create_token, ORGANIZER, "api_token.created", None),
    (revoke_token, ORGANIZER, "api_token.revoked", None),
]


@pytest.mark.parametrize(
    ("action", "actor", "audited_as", "check"),
    ACTIONS,
    ids=[action.__name__ for action, *_rest in ACTIONS],
)
def test_each_workspace_action_writes_exactly_one_audit_entry_with_its_change(
    client, world, action, actor, audited_as, check
):
    send = action(client, world)
    before = last_entry_id()

    response = send()

    assert response.status_code in (200, 302), response.status_code
    [entry] = new_entries(before)
    assert (entry.action, entry.actor) == (audited_as, actor)
    if check is not None:
        check(world, entry)


# --- refused actions leave nothing behind ---------------------------------------------------


def promote_without_a_seat(client, w):
    as_(client, w.organizer)
    path = f"/attendees/{w.waiting.id}/promote"
    return lambda: submit(client, ATTENDEES, path, add_seat=None)


def cancel_after_the_conference(client, w):
    as_(client, w.organizer)
    past = make_conference(slug="past", start_date=utcnow().date() - timedelta(days=10))
    give_role(w.organizer, past)
    gone = make_registration(past, full_name="Late Person")
    return lambda: submit(client, "/manage/c/past/attendees", f"/attendees/{gone.id}/cancel")


def resend_to_an_erased_registration(client, w):
    as_(client, w.organizer)
    erased = make_registration(
        w.conference, email=None, full_name="", status="cancelled", erased_at=utcnow()
    )
    # The list offers no button for it: the request comes from a page loaded before.
    token = csrf_token_from(client.get(ATTENDEES).text)
    path = f"{ATTENDEES}/{erased.id}/resend"
    return lambda: client.post(path, data={"csrf_token": token})


def move_the_dates_away_from_the_sessions(client, w):
    as_(client, w.organizer)
    later = (w.conference.start_date + timedelta(days=5)).isoformat()
    page = "/manage/c/rome/edit"
    return lambda: submit(client, page, "/edit", start_date=later, end_date=later, capacity=3)


def take_another_conferences_slug(client, w):
    as_(client, w.organizer)
    make_conference(slug="taken", title="Taken")
    return lambda: submit(client, "/manage/c/rome/edit", "/edit", slug="taken", capacity=3)


def create_with_a_taken_slug(client, w):
    as_(client, w.organizer)
    fields = {**NEW_CONFERENCE, "slug": "rome"}
    return lambda: submit(client, "/manage/conferences/new", "/conferences/new", **fields)


def duplicate_onto_a_taken_slug(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/duplicate", "/duplicate", slug="rome")


def add_a_room_at_a_position_no_column_holds(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/rooms", "/rooms", name="Far", position=10**12)


def add_a_room_twice(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/rooms", "/rooms", name="Aula Magna")


def delete_a_room_in_use(client, w):
    as_(client, w.organizer)
    return lambda: submit(client, "/manage/c/rome/rooms", f"/rooms/{w.room.id}/delete")


def delete_a_speaker_who_speaks(client, w):
    as_(client, w.organizer)
    page = "/manage/c/rome/speakers"
    return lambda: submit(client, page, f"/speakers/{w.speaker.id}/delete")


def delete_an_answered_question(client, w):
    as_(client, w.organizer)
    db.session.add(Answer(registration_id=w.seated.id, question_id=w.question.id, value="Vegan"))
    db.session.commit()
    page = "/manage/c/rome/questions"
    return lambda: submit(client, page, f"/questions/{w.question.id}/delete")


def write_to_an_empty_session(client, w):
    as_(client, w.organizer)
    return lambda: submit(
        client,
        "/manage/c/rome/messages",
        "/messages",
        audience=f"session:{w.empty_talk.id}",
        subject="Room change",
        confirmed="yes",
        body="Nobody will read this.",
    )


def check_in_someone_waiting(client, w):
    as_(client, w.organizer)
    code = checkin_code(w.waiting.id)
    return lambda: submit(client, "/manage/c/rome/checkin", "/checkin", code=code)


def create_an_existing_account(client, w):
    as_(client, w.admin)
    return lambda: submit(client, "/manage/users/new", "/users/new", email="Colleague@Example.org")


def take_away_ones_own_rights(client, w):
    as_(client, w.admin)
    page = f"/manage/users/{w.admin.id}"
    return lambda: submit(client, page, page, is_admin=None)


def change_the_password_without_the_current_one(client, w):
    as_(client, w.organizer)
    return lambda: submit(
        client,
        "/manage/password",
        "/password",
        current_password="not my password",
        new_password="a brand new secret",
        confirm_password="a brand new secret",
    )


REFUSED = [
    (promote_without_a_seat, "Every seat is taken"),
    (cancel_after_the_conference, "The conference is over"),
    (resend_to_an_erased_registration, "data has been erased"),
    (move_the_dates_away_from_the_sessions, "is scheduled before this day"),
    (take_another_conferences_slug, "already belongs to"),
    (create_with_a_taken_slug, "already belongs to"),
    (duplicate_onto_a_taken_slug, "already belongs to"),
    (add_a_room_at_a_position_no_column_holds, "Use a smaller number."),
    (add_a_room_twice, "already has one called"),
    (delete_a_room_in_use, "move its sessions first"),
    (delete_a_speaker_who_speaks, "take them off it first"),
    (delete_an_answered_question, "can no longer be deleted"),
    (write_to_an_empty_session, "Nobody would receive this message"),
    (check_in_someone_waiting, "Li Na"),
    (create_an_existing_account, "already exists"),
    (take_away_ones_own_rights, "You cannot take away your own"),
    (change_the_password_without_the_current_one, "This is not your current password"),
]


@pytest.mark.parametrize(
    ("action", "message"), REFUSED, ids=[action.__name__ for action, _message in REFUSED]
)
def test_a_refused_action_writes_nothing_and_says_why(client, world, action, message):
    send = action(client, world)
    state = database_state()

    response = send()

    assert response.status_code < 500
    page = client.get(response.location) if response.status_code == 302 else response
    assert message in page.text.replace("&#39;", "'")
    assert database_state() == state


BEYOND_ANY_ID = 10**20


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/manage/c/rome/rooms/{BEYOND_ANY_ID}"),
        ("get", f"/manage/c/rome/messages/{BEYOND_ANY_ID}"),
        ("get", f"/manage/users/{BEYOND_ANY_ID}"),
        ("post", f"/manage/c/rome/attendees/{BEYOND_ANY_ID}/cancel"),
        ("post", f"/manage/c/rome/questions/{BEYOND_ANY_ID}/delete"),
    ],
)
def test_an_id_no_table_can_hold_is_not_found(client, world, method, path):
    as_(client, world.admin)
    token = csrf_token_from(client.get(ATTENDEES).text)

    response = getattr(client, method)(path, data={"csrf_token": token})

    assert response.status_code == 404


def test_ids_beyond_any_table_in_forms_and_filters_are_refused_not_errors(client, world):
    as_(client, world.organizer)
    token = csrf_token_from(client.get(ATTENDEES).text)

    listed = client.get(f"{ATTENDEES}?session={BEYOND_ANY_ID}")
    desk = client.post(
        "/manage/c/rome/checkin", data={"csrf_token": token, "registration_id": BEYOND_ANY_ID}
    )
    revoked = client.post(
        "/manage/tokens/revoke", data={"csrf_token": token, "token_id": BEYOND_ANY_ID}
    )

    assert listed.status_code == 200
    assert desk.status_code == 400
    assert revoked.status_code == 400
