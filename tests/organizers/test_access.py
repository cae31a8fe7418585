"""Every management route, requested by every kind of visitor, answers as its role allows.

The routes are read from the app's URL map, so a new route under /manage is covered the
moment it exists: one without an access decorator fails ``test_every_route_declares_its_access``,
and one whose check does not hold fails the matrix below.
"""

import pytest
import sqlalchemy as sa

from eventreg.accounts.models import User
from eventreg.conferences.models import Conference, Room, Speaker
from eventreg.core.extensions import db
from eventreg.organizers.auth import ACCESS_LEVELS
from eventreg.registration.models import (
    AccessCode,
    Broadcast,
    Invitation,
    Question,
    Registration,
    RegistrationCategory,
)
from tests.factories import make_conference, make_room, make_talk, make_track
from tests.organizers.conftest import give_role, log_in, make_user

# Who may do what, by the access level a view declares. "login" means: sent to log in.
ALLOWED, LOGIN, FORBIDDEN, HIDDEN = "allowed", "login", 403, 404
VISITORS = ("anonymous", "no_role", "other_organizer", "checkin", "organizer", "creator", "admin")
EXPECTED = {
    "public": dict.fromkeys(VISITORS, ALLOWED),
    "staff": {**dict.fromkeys(VISITORS, ALLOWED), "anonymous": LOGIN},
    "admin": {**dict.fromkeys(VISITORS, FORBIDDEN), "anonymous": LOGIN, "admin": ALLOWED},
    "creator": {
        **dict.fromkeys(VISITORS, FORBIDDEN),
        "anonymous": LOGIN,
        "creator": ALLOWED,
        "admin": ALLOWED,
    },
    "organizer": {
        "anonymous": LOGIN,
        "no_role": HIDDEN,
        "other_organizer": HIDDEN,
        "checkin": FORBIDDEN,
        "organizer": ALLOWED,
        "creator": HIDDEN,
        "admin": ALLOWED,
    },
    "checkin": {
        "anonymous": LOGIN,
        "no_role": HIDDEN,
        "other_organizer": HIDDEN,
        "checkin": ALLOWED,
        "organizer": ALLOWED,
        "creator": HIDDEN,
        "admin": ALLOWED,
    },
}


@pytest.fixture
def app_config():
    # This matrix is about who gets in, not about forms: CSRF is covered by the form tests.
    return {"WTF_CSRF_ENABLED": False}


def manage_rules(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/manage")]
    assert len(rules) > 20, "the workspace routes are missing from the URL map"
    return sorted(rules, key=lambda rule: (rule.rule, rule.endpoint))


def test_every_route_declares_its_access(app):
    for rule in manage_rules(app):
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "access_level", None) in ACCESS_LEVELS, rule.rule


class World:
    """Conference A (the target) with one of everything, conference B, and a visitor of
    each kind."""

    def __init__(self):
        self.conference = make_conference(slug="target", published=False)
        other = make_conference(slug="elsewhere")
        self.room = make_room(self.conference)
        self.track = make_track(self.conference)
        self.speaker = Speaker(conference=self.conference, name="Giulia Rossi")
        self.question = Question(conference=self.conference, label="Diet?", kind="short_text")
        self.registration = Registration(
            conference=self.conference,
            email="attendee@example.org",
            full_name="Li Na",
            status="confirmed",
            token_hash="0" * 64,
        )
        self.category = RegistrationCategory(conference=self.conference, name="Press")
        self.access_code = AccessCode(
            conference=self.conference, code="PRESS-2027", skips_approval=True
        )
        self.invitation = Invitation(
            conference=self.conference,
            email="invited@example.org",
            full_name="Wang Fang",
            token_hash="1" * 64,
        )
        db.session.add_all(
            [
                self.speaker,
                self.question,
                self.registration,
                self.category,
                self.access_code,
                self.invitation,
            ]
        )
        db.session.commit()
        self.talk_id = make_talk(self.conference, room=self.room).id
        broadcast = Broadcast(
            conference=self.conference, sender="organizer@example.org", subject="Hi", body="Hi"
        )
        db.session.add(broadcast)
        db.session.commit()
        self.broadcast_id = broadcast.id
        self.visitors: dict[str, User | None] = {"anonymous": None}
        self.visitors["no_role"] = make_user("norole@example.org")
        self.visitors["other_organizer"] = make_user("other@example.org")
        give_role(self.visitors["other_organizer"], other)
        self.visitors["checkin"] = make_user("checkin@example.org")
        give_role(self.visitors["checkin"], self.conference, "checkin")
        self.visitors["organizer"] = make_user("organizer@example.org")
        give_role(self.visitors["organizer"], self.conference)
        self.visitors["creator"] = make_user("creator@example.org", may_create_conferences=True)
        self.visitors["admin"] = make_user("admin@example.org", is_admin=True)
        self.subject = make_user("subject@example.org")
        # Kept as plain values, so restore() can rebuild an item after the row is gone.
        for item in self.restorable:
            db.session.refresh(item)
            db.session.expunge(item)

    @property
    def restorable(self) -> tuple:
        return (
            self.room,
            self.track,
            self.speaker,
            self.question,
            self.category,
            self.access_code,
            self.invitation,
        )

    def restore(self) -> None:
        """Put back what an allowed delete removed, under the same id, for the next visitor."""
        db.session.rollback()
        for item in self.restorable:
            model = type(item)
            if db.session.get(model, item.id) is None:
                columns = [column.key for column in model.__table__.columns]
                values = {key: getattr(item, key) for key in columns}
                db.session.add(model(**values))
        db.session.commit()

    def url_values(self, rule) -> dict:
        items = {
            "room": self.room.id,
            "track": self.track.id,
            "speaker": self.speaker.id,
            "question": self.question.id,
            "category": self.category.id,
            "access_code": self.access_code.id,
        }
        values = {}
        for argument in rule.arguments:
            if argument == "slug":
                values["slug"] = self.conference.slug
            elif argument == "item_id":
                kind = next(name for name in items if name in rule.endpoint)
                values["item_id"] = items[kind]
            elif argument == "invitation_id":
                values["invitation_id"] = self.invitation.id
            elif argument == "broadcast_id":
                values["broadcast_id"] = self.broadcast_id
            elif argument == "talk_id":
                values["talk_id"] = self.talk_id
            elif argument == "registration_id":
                values["registration_id"] = self.registration.id
            elif argument == "user_id":
                values["user_id"] = self.subject.id
            elif argument == "conference_id":
                values["conference_id"] = self.conference.id
            elif argument == "token":
                values["token"] = "not-a-real-token"
            else:
                raise AssertionError(f"no test value for <{argument}> in {rule.rule}")
        return values


def outcome(response) -> str | int:
    if response.status_code == 302 and response.location.startswith("/manage/login?next="):
        return LOGIN
    if response.status_code in (403, 404):
        return response.status_code
    return ALLOWED


def test_each_visitor_gets_exactly_what_their_role_allows_on_every_route(app):
    world = World()
    failures = []
    for rule in manage_rules(app):
        level = app.view_functions[rule.endpoint].access_level
        path = app.url_map.bind("eventreg.test").build(rule.endpoint, world.url_values(rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for visitor, user in world.visitors.items():
                client = app.test_client()
                if user is not None:
                    log_in(client, db.session.get(User, user.id))
                response = client.open(path, method=method)
                got, expected = outcome(response), EXPECTED[level][visitor]
                if level == "public" and response.status_code == 404 and "token" in rule.arguments:
                    got = ALLOWED  # a made-up token is rightly "not found" for everyone
                if got != expected:
                    failures.append(f"{method} {path} as {visitor}: {got}, expected {expected}")
                world.restore()
    assert not failures, "\n".join(failures)


def test_items_of_another_conference_are_not_found_through_ones_own(app, client):
    """An organizer of B cannot reach A's room, track, speaker or question by its id."""
    world = World()
    other_conference = db.session.scalar(sa.select(Conference).filter_by(slug="elsewhere"))
    log_in(client, world.visitors["other_organizer"])
    items = {
        "rooms": world.room.id,
        "tracks": world.track.id,
        "speakers": world.speaker.id,
        "questions": world.question.id,
    }
    for section, item_id in items.items():
        base = f"/manage/c/{other_conference.slug}/{section}/{item_id}"
        assert client.get(base).status_code == 404, base
        assert client.post(base, data={"name": "x", "label": "x"}).status_code == 404, base
        assert client.post(base + "/delete").status_code == 404, base
    assert db.session.get(Room, world.room.id) is not None
