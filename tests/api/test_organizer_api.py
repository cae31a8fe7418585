"""The organizer API: who gets in, and that its writes are the workspace's writes.

The access matrix reads the routes from the app's URL map, so a new endpoint under
/api/v1/manage is covered the moment it exists and fails here if it lets the wrong caller in.
"""

from datetime import datetime

import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens as tokens
from eventreg.accounts.models import User
from eventreg.conferences.models import Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import reports as attendees
from eventreg.registration.models import SessionSignup
from tests.conftest import csrf_token_from
from tests.factories import at, make_conference, make_room, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.organizers.conftest import give_role, log_in, make_user
from tests.programme import DAY_ONE, DAY_TWO, build_programme

MANAGE = "/api/v1/manage"


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def token_for(user: User) -> str:
    return tokens.issue(user, "script")[1]


# --- access control, for every endpoint ----------------------------------------------------

ALLOWED = "allowed"
EXPECTED = {
    "no_token": 401,
    "malformed_header": 401,
    "unknown_token": 401,
    "revoked_token": 401,
    "inactive_account": 401,
    "no_role": 404,
    "other_organizer": 404,
    "checkin": 403,
    "organizer": ALLOWED,
    "admin": ALLOWED,
}


class World:
    """Conference "target" (not yet published) with a session and a registration, another
    conference, and a caller of each kind."""

    def __init__(self):
        self.conference = make_conference(slug="target", published=False)
        other = make_conference(slug="elsewhere")
        self.talk_id = make_talk(self.conference, room=make_room(self.conference)).id
        make_registration(self.conference)
        organizer = make_user("organizer@example.org")
        give_role(organizer, self.conference)
        other_organizer = make_user("other@example.org")
        give_role(other_organizer, other)
        checkin = make_user("checkin@example.org")
        give_role(checkin, self.conference, "checkin")
        inactive = make_user("gone@example.org")
        give_role(inactive, self.conference)
        inactive_secret = token_for(inactive)
        inactive.active = False
        db.session.commit()
        revoked, revoked_secret = tokens.issue(organizer, "old laptop")
        tokens.revoke(organizer, revoked.id)
        self.headers = {
            "no_token": {},
            "malformed_header": {"Authorization": token_for(organizer)},
            "unknown_token": bearer("not-a-token-anyone-was-given"),
            "revoked_token": bearer(revoked_secret),
            "inactive_account": bearer(inactive_secret),
            "no_role": bearer(token_for(make_user("norole@example.org"))),
            "other_organizer": bearer(token_for(other_organizer)),
            "checkin": bearer(token_for(checkin)),
            "organizer": bearer(token_for(organizer)),
            "admin": bearer(token_for(make_user("admin@example.org", is_admin=True))),
        }

    def url_values(self, rule) -> dict:
        values = {}
        for argument in rule.arguments:
            if argument == "slug":
                values["slug"] = self.conference.slug
            elif argument == "session_id":
                values["session_id"] = self.talk_id
            else:
                raise AssertionError(f"no test value for <{argument}> in {rule.rule}")
        return values


def manage_rules(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(MANAGE)]
    assert len(rules) >= 7, "the organizer API is missing from the URL map"
    return sorted(rules, key=lambda rule: (rule.rule, rule.endpoint))


def test_every_organizer_endpoint_admits_exactly_the_conferences_organizers(app):
    world = World()
    failures = []
    for rule in manage_rules(app):
        path = app.url_map.bind("eventreg.test").build(rule.endpoint, world.url_values(rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for caller, headers in world.headers.items():
                response = app.test_client().open(path, method=method, headers=headers, json={})
                expected = EXPECTED[caller]
                if "slug" not in rule.arguments and expected in (403, 404):
                    # A list of one's conferences: open to every account, the target
                    # conference listed only for its organizers.
                    listed = [item["slug"] for item in response.get_json()["items"]]
                    got = 404 if "target" not in listed else ALLOWED
                    expected = 404
                elif response.status_code in (401, 403, 404):
                    got = response.status_code
                else:
                    got = ALLOWED
                if got != expected:
                    failures.append(f"{method} {path} as {caller}: {got}, expected {expected}")
                if isinstance(expected, int) and response.status_code == expected:
                    body = response.get_json()
                    if body is None or body.get("status") != expected or not body["message"]:
                        failures.append(f"{method} {path} as {caller}: no JSON error")
    assert not failures, "\n".join(failures)
    assert len(failures) == 0


def test_refused_calls_change_nothing(app, client):
    world = World()
    talk_before = db.session.get(Talk, world.talk_id).title
    for caller in ("revoked_token", "other_organizer", "checkin"):
        headers = world.headers[caller]
        client.patch(
            f"{MANAGE}/conferences/target/sessions/{world.talk_id}",
            headers=headers,
            json={"title": "Hijacked"},
        )
        client.post(f"{MANAGE}/conferences/target/sessions/{world.talk_id}/cancel", headers=headers)
        client.post(
            f"{MANAGE}/conferences/target/sessions", headers=headers, json={"title": "Intruder"}
        )
    db.session.rollback()
    talk = db.session.get(Talk, world.talk_id)
    assert (talk.title, talk.status) == (talk_before, "scheduled")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 1


def test_a_401_says_how_to_authenticate(client):
    response = client.get(f"{MANAGE}/conferences")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.get_json()["message"]


def test_a_browser_session_does_not_open_the_api(app, client):
    organizer = make_user("organizer@example.org")
    give_role(organizer, make_conference(slug="target"))
    log_in(client, organizer)
    assert client.get(f"{MANAGE}/conferences/target/registrations").status_code == 401


# --- the same writes and notifications as the workspace --------------------------------------


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def twins(app, client):
    """The same programme twice: one changed through the API, one through the web forms,
    by the same organizer."""
    api, web = (
        build_programme("by-api", title="Rome Summit"),
        build_programme("by-web", title="Rome Summit"),
    )
    organizer = make_user("organizer@example.org")
    give_role(organizer, api["conference"])
    give_role(organizer, web["conference"])
    log_in(client, organizer)
    return {"api": api, "web": web, "headers": bearer(token_for(organizer)), "client": client}


def mail_of(conference) -> list[tuple[str, str, str]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.subject).filter_by(
            conference_id=conference.id
        )
    ).all()
    return sorted(tuple(row) for row in rows)


def audit_of(conference) -> list[tuple[str, str, dict | None, dict | None]]:
    rows = db.session.scalars(
        sa.select(AuditEntry)
        .filter_by(conference_id=conference.id)
        .where(AuditEntry.action.startswith("session."))
        .order_by(AuditEntry.id)
    ).all()
    return [(e.action, e.actor, e.before, e.after) for e in rows]


def comparable(entries) -> list:
    """Audit entries of twin conferences side by side: the same fields changed, the same
    values, except the ids (rooms, speakers) that differ between the twins."""

    def plain(values):
        if values is None:
            return None
        return {
            key: None if key.endswith(("_id", "_ids")) else value for key, value in values.items()
        }

    return [
        (action, actor, plain(before), plain(after)) for action, actor, before, after in entries
    ]


def web_post(client, path: str, data: dict):
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token_from(page.text), **data})


def session_form(programme: dict, **values) -> dict:
    data = {
        "title": "CAR-T workshop",
        "abstract": "An abstract.",
        "kind": "talk",
        "track_id": "0",
        "capacity": "2",
        "day": DAY_ONE.isoformat(),
        "start": "11:00",
        "end": "12:00",
        "room_id": str(programme["lab"].id),
        "speaker_ids": str(programme["li_na"].id),
    }
    data.update(values)
    return data


def test_moving_a_session_notifies_and_logs_as_the_workspace_does(twins):
    api, web, client = twins["api"], twins["web"], twins["client"]
    response = client.patch(
        f"{MANAGE}/conferences/by-api/sessions/{api['workshop'].id}",
        headers=twins["headers"],
        json={
            "room_id": api["hall"].id,
            "start_at": at(api["conference"], DAY_ONE, "14:00").isoformat(),
            "end_at": at(api["conference"], DAY_ONE, "15:00").isoformat(),
        },
    )
    path = f"/manage/c/by-web/sessions/{web['workshop'].id}"
    form = session_form(web, room_id=str(web["hall"].id), start="14:00", end="15:00")
    assert web_post(client, path, {**form, "notify": "3"}).status_code == 302

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["notified"] == 3
    assert (body["room"]["name"], body["revision"]) == ("Hall", 1)
    assert datetime.fromisoformat(body["start_at"]) == at(api["conference"], DAY_ONE, "14:00")
    sent = mail_of(api["conference"])
    assert [recipient for _kind, recipient, _subject in sent] == [
        "li.na@example.org",
        "seat1@example.org",
        "seat2@example.org",
    ]
    assert sent == mail_of(web["conference"])
    assert comparable(audit_of(api["conference"])) == comparable(audit_of(web["conference"]))
    assert audit_of(api["conference"])[0][:2] == ("session.updated", "organizer@example.org")


def test_creating_a_session_invites_its_speaker_as_the_workspace_does(twins):
    api, web, client = twins["api"], twins["web"], twins["client"]
    response = client.post(
        f"{MANAGE}/conferences/by-api/sessions",
        headers=twins["headers"],
        json={
            "title": "Panel on ethics",
            "abstract": "An abstract.",
            "kind": "panel",
            "room_id": api["lab"].id,
            "speaker_ids": [api["rossi"].id],
            "capacity": 30,
            "start_at": at(api["conference"], DAY_TWO, "10:00").isoformat(),
            "end_at": at(api["conference"], DAY_TWO, "11:00").isoformat(),
        },
    )
    form = session_form(
        web,
        title="Panel on ethics",
        kind="panel",
        capacity="30",
        day=DAY_TWO.isoformat(),
        start="10:00",
        end="11:00",
        speaker_ids=str(web["rossi"].id),
    )
    new = "/manage/c/by-web/sessions/new"
    assert web_post(client, new, {**form, "notify": "1"}).status_code == 302

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["title"], body["kind"], body["capacity"]) == ("Panel on ethics", "panel", 30)
    assert body["speakers"] == [{"id": api["rossi"].id, "name": "Giulia Rossi"}]
    sent = mail_of(api["conference"])
    assert [recipient for _kind, recipient, _subject in sent] == ["rossi@example.org"]
    assert sent == mail_of(web["conference"])
    created = audit_of(api["conference"])
    assert [entry[0] for entry in created] == ["session.created"]
    assert comparable(created) == comparable(audit_of(web["conference"]))


def test_cancelling_a_session_notifies_as_the_workspace_does_and_only_once(twins):
    api, web, client = twins["api"], twins["web"], twins["client"]
    path = f"{MANAGE}/conferences/by-api/sessions/{api['workshop'].id}/cancel"
    first = client.post(path, headers=twins["headers"])
    again = client.post(path, headers=twins["headers"])
    web_page = f"/manage/c/by-web/sessions/{web['workshop'].id}/cancel"
    assert web_post(client, web_page, {}).status_code == 302

    assert first.status_code == 200
    assert (first.get_json()["status"], first.get_json()["notified"]) == ("cancelled", 3)
    assert (again.status_code, again.get_json()["notified"]) == (200, 0)
    assert len(mail_of(api["conference"])) == 3
    assert mail_of(api["conference"]) == mail_of(web["conference"])
    assert comparable(audit_of(api["conference"])) == comparable(audit_of(web["conference"]))


def test_a_clash_is_a_409_naming_the_other_session_and_changes_nothing(twins):
    api, client = twins["api"], twins["client"]
    workshop = api["workshop"]
    response = client.patch(
        f"{MANAGE}/conferences/by-api/sessions/{workshop.id}",
        headers=twins["headers"],
        json={
            "room_id": api["hall"].id,
            "start_at": at(api["conference"], DAY_ONE, "09:30").isoformat(),
            "end_at": at(api["conference"], DAY_ONE, "10:30").isoformat(),
        },
    )
    created = client.post(
        f"{MANAGE}/conferences/by-api/sessions",
        headers=twins["headers"],
        json={
            "title": "Double booking",
            "speaker_ids": [api["rossi"].id],
            "start_at": at(api["conference"], DAY_ONE, "09:15").isoformat(),
            "end_at": at(api["conference"], DAY_ONE, "09:45").isoformat(),
        },
    )

    assert response.status_code == 409
    assert "Opening keynote" in response.get_json()["message"]
    assert created.status_code == 409
    assert "Giulia Rossi" in created.get_json()["message"]
    assert "Opening keynote" in created.get_json()["message"]
    db.session.rollback()
    unchanged = db.session.get(Talk, workshop.id)
    assert (unchanged.room_id, unchanged.revision) == (api["lab"].id, 0)
    assert db.session.scalar(sa.select(Talk).filter_by(title="Double booking")) is None
    assert mail_of(api["conference"]) == []
    assert audit_of(api["conference"]) == []


def test_a_cancelled_session_cannot_be_changed(twins):
    api, client = twins["api"], twins["client"]
    path = f"{MANAGE}/conferences/by-api/sessions/{api['workshop'].id}"
    client.post(path + "/cancel", headers=twins["headers"])
    response = client.patch(path, headers=twins["headers"], json={"title": "Revived"})
    assert response.status_code == 409
    assert response.get_json()["message"] == "A cancelled session cannot be changed."


def test_raising_the_seats_promotes_the_sessions_waiting_list(twins):
    api, client = twins["api"], twins["client"]
    workshop = api["workshop"]
    waiting = add_signup(make_registration(api["conference"]), workshop, status="waiting")
    response = client.patch(
        f"{MANAGE}/conferences/by-api/sessions/{workshop.id}",
        headers=twins["headers"],
        json={"capacity": 3, "kind": "workshop"},
    )
    assert response.status_code == 200
    assert (response.get_json()["capacity"], response.get_json()["notified"]) == (3, 0)
    db.session.rollback()
    assert db.session.get(SessionSignup, waiting.id).status == "confirmed"
    entry = audit_of(api["conference"])[0]
    assert entry[2] == {"capacity": 2, "kind": "talk"}
    assert entry[3] == {"capacity": 3, "kind": "workshop"}


def test_refused_input_is_a_json_4xx_with_a_clear_message(twins):
    api, web, client = twins["api"], twins["web"], twins["client"]
    sessions = f"{MANAGE}/conferences/by-api/sessions"
    start = at(api["conference"], DAY_TWO, "10:00").isoformat()
    end = at(api["conference"], DAY_TWO, "11:00").isoformat()
    cases = [
        # The schedule's rules: 422 with the field at fault, as the workspace shows them.
        ({"title": "A", "room_id": web["lab"].id}, 422, "room_id", "This conference has no room"),
        ({"title": "A", "speaker_ids": [web["li_na"].id, 999]}, 422, "speaker_ids", "no speaker"),
        ({"title": "A", "track_id": 12345}, 422, "track_id", "This conference has no track 12345."),
        ({"title": "   "}, 422, "title", "A session needs a title."),
        ({"title": "\x1c"}, 422, "title", "A session needs a title."),
        # Control characters would reach invites (and PostgreSQL refuses NUL outright).
        ({"title": "\x00"}, 422, "title", "without control characters"),
        ({"title": "Two\nlines"}, 422, "title", "without control characters"),
        ({"title": "A", "abstract": "a\x00b"}, 422, "abstract", "control characters"),
        ({"title": "A" * 251}, 422, "title", "The title is too long (at most 250 characters)."),
        ({"title": "A", "start_at": end, "end_at": start}, 422, "end_at", "must end after it"),
        ({"title": "A", "start_at": start}, 422, "end_at", "needs both a start and an end"),
        ({"title": "A", "capacity": -1}, 422, "capacity", "Give a number of seats"),
        # The schema's types: 422 from the request's validation, in the same shape.
        ({"title": "A", "capacity": True}, 422, "capacity", "valid integer"),
        ({"title": "A", "room_id": True}, 422, "room_id", "valid integer"),
        ({"title": "A", "speaker_ids": [True]}, 422, "speaker_ids", "valid integer"),
        ({"title": "A", "start_at": "2027-03-28T10:00:00"}, 422, "start_at", "timezone"),
        ({"title": "A", "kind": "party"}, 422, "kind", "talk"),
        ({"title": "A", "colour": "red"}, 422, "colour", "Extra inputs"),
        ({}, 422, "title", "Field required"),
    ]
    for payload, status, field, message in cases:
        response = client.post(sessions, headers=twins["headers"], json=payload)
        assert response.status_code == status, payload
        body = response.get_json()
        assert body["status"] == status and body["message"], body
        assert message in body["errors"][field], (payload, body)
    null_title = client.patch(
        f"{sessions}/{api['workshop'].id}", headers=twins["headers"], json={"title": None}
    )
    assert null_title.status_code == 422
    assert "title cannot be null" in null_title.get_json()["message"]
    not_ours = client.patch(
        f"{sessions}/{web['workshop'].id}", headers=twins["headers"], json={"title": "Mine"}
    )
    assert not_ours.status_code == 404
    assert not_ours.get_json()["message"] == "This conference has no such session."
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 6
    assert audit_of(api["conference"]) == []
    assert mail_of(api["conference"]) == []


def test_an_abstract_only_edit_is_saved_and_audited_without_mail(twins):
    api, client = twins["api"], twins["client"]
    workshop = api["workshop"]
    response = client.patch(
        f"{MANAGE}/conferences/by-api/sessions/{workshop.id}",
        headers=twins["headers"],
        json={"abstract": "An abstract, without the typo."},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["notified"], body["revision"]) == (0, 0)
    assert body["abstract"] == "An abstract, without the typo."
    assert mail_of(api["conference"]) == []
    (entry,) = audit_of(api["conference"])
    assert entry[:2] == ("session.updated", "organizer@example.org")
    assert entry[3] == {"abstract": "An abstract, without the typo."}


def test_a_move_writes_one_audit_entry_and_one_message_per_person(twins):
    api, client = twins["api"], twins["client"]
    response = client.patch(
        f"{MANAGE}/conferences/by-api/sessions/{api['workshop'].id}",
        headers=twins["headers"],
        json={
            "start_at": at(api["conference"], DAY_ONE, "15:00").isoformat(),
            "end_at": at(api["conference"], DAY_ONE, "16:00").isoformat(),
            "title": "CAR-T manufacturing",
        },
    )
    assert response.status_code == 200
    assert response.get_json()["notified"] == 3
    sent = mail_of(api["conference"])
    assert len(sent) == 3 == len({recipient for _kind, recipient, _subject in sent})
    assert {subject for _kind, _recipient, subject in sent} == {"Changed: CAR-T manufacturing"}
    assert [entry[0] for entry in audit_of(api["conference"])] == ["session.updated"]


def test_an_unscheduled_session_can_be_created_and_read_back(twins):
    client = twins["client"]
    created = client.post(
        f"{MANAGE}/conferences/by-api/sessions",
        headers=twins["headers"],
        json={"title": "  Lightning talks  "},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert (body["title"], body["start_at"], body["day"]) == ("Lightning talks", None, None)
    read = client.get(
        f"{MANAGE}/conferences/by-api/sessions/{body['id']}", headers=twins["headers"]
    )
    assert read.get_json() == body
    assert mail_of(twins["api"]["conference"]) == []


# --- registrations ---------------------------------------------------------------------------


@pytest.fixture
def registered(app):
    conference = make_conference(slug="target")
    make_registration(conference, full_name="=HYPERLINK(1)", email="a@example.org")
    make_registration(conference, full_name="Wang Fang", email="b@example.org", status="waiting")
    for n in range(3):
        make_registration(conference, full_name=f"Guest {n}", email=f"g{n}@example.org")
    make_registration(make_conference(slug="elsewhere"), email="other@example.org")
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    return conference, bearer(token_for(organizer))


def test_registrations_are_listed_by_page_and_status(client, registered):
    _conference, headers = registered
    path = f"{MANAGE}/conferences/target/registrations"
    first = client.get(path + "?per_page=2", headers=headers).get_json()
    last = client.get(path + "?per_page=2&page=3", headers=headers).get_json()
    waiting = client.get(path + "?status=waiting", headers=headers).get_json()

    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert first["items"][0]["email"] == "a@example.org"
    assert [item["full_name"] for item in last["items"]] == ["Guest 2"]
    assert [item["full_name"] for item in waiting["items"]] == ["Wang Fang"]
    assert waiting["items"][0]["status"] == "waiting"
    bad = client.get(path + "?status=lost", headers=headers)
    assert bad.status_code == 422


def test_the_csv_export_is_the_workspaces(client, registered):
    conference, headers = registered
    response = client.get(f"{MANAGE}/conferences/target/registrations.csv", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text == "\ufeff" + attendees.export_csv(conference)
    assert "'=HYPERLINK(1)" in text
    assert "other@example.org" not in text
    assert len(text.strip().splitlines()) == 6


def test_a_session_that_widens_the_conference_tells_every_attendee_once(twins):
    api, client = twins["api"], twins["client"]
    response = client.post(
        f"{MANAGE}/conferences/by-api/sessions",
        headers=twins["headers"],
        json={
            "title": "Early breakfast",
            "speaker_ids": [api["rossi"].id],
            "start_at": at(api["conference"], DAY_ONE, "07:30").isoformat(),
            "end_at": at(api["conference"], DAY_ONE, "08:30").isoformat(),
        },
    )
    assert response.status_code == 201, response.get_json()
    sent = mail_of(api["conference"])
    assert sorted((kind, recipient) for kind, recipient, _subject in sent) == [
        ("conference_updated", "seat1@example.org"),
        ("conference_updated", "seat2@example.org"),
        ("speaker_invite", "rossi@example.org"),
    ]
    assert [entry[0] for entry in audit_of(api["conference"])] == ["session.created"]
    cancel = client.post(
        f"{MANAGE}/conferences/by-api/sessions/{response.get_json()['id']}/cancel",
        headers=twins["headers"],
    )
    assert (cancel.status_code, cancel.get_json()["notified"]) == (200, 3)
    assert [entry[0] for entry in audit_of(api["conference"])] == [
        "session.created",
        "session.cancelled",
    ]
