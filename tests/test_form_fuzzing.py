"""Every HTML form, fuzzed: each POST route of the app (found in its URL map, so a new form
is fuzzed without being listed here) gets random submissions from a logged-in
administrator — text with control characters, NUL and invalid UTF-8, huge values, numbers
and dates beyond range, missing fields, file uploads where text is expected. None may
answer a 5xx, and a refusal (4xx) leaves every table as it was."""

import re
from io import BytesIO

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventreg.accounts.models import User
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token
from eventreg.registration.models import AccessCode, Invitation, Question, RegistrationCategory
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, log_in, make_user

# The JSON API has its own fuzzing (tests/api/test_schemathesis.py).
NOT_FORMS = ("api_manage.",)
# Fields some forms read without showing them, and a few that no form has.
EXTRA_FIELDS = ["notify", "code", "registration_id", "token_id", "back", "add_seat", "next"]
EXAMPLES_PER_FORM = 40
UPLOAD = b"\xff\xfe not text"


@pytest.fixture
def app_config():
    # The token is not what is fuzzed here (tests/organizers/test_access.py checks it).
    return {"WTF_CSRF_ENABLED": False}


def _awkward_text():
    return st.one_of(
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8", max_codepoint=0x9F), max_size=20),
        st.sampled_from(
            [
                "",
                " ",
                "\x00",
                "a\x00b",
                "line\r\nbreak",
                "\u202eevil",
                "x" * 30_000,
                "0",
                "-1",
                "2147483648",
                "99999999999999999999999",
                "1" * 4400,
                "true",
                "9999-12-31",
                "0001-01-01",
                "23:59",
                "24:00",
                "Europe/Rome",
                "Not/AZone",
                "organizer",
                "yes",
                "attendee@example.org",
            ]
        ),
    )


def _field_values():
    return st.one_of(
        _awkward_text(),
        st.lists(_awkward_text(), min_size=2, max_size=3),  # a field given several times
        st.just(UPLOAD),  # a file where text is expected
    )


def _form_fields(page: str) -> list[str]:
    return sorted(set(re.findall(r'name="([^"]+)"', page)) - {"csrf_token"})


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def _concrete_paths(app, values: dict[str, object]):
    """Every POST route of the app with its placeholders filled with real rows."""
    item_ids = values.pop("item_ids")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith(NOT_FORMS):
            continue
        arguments = {name: values[name] for name in rule.arguments if name != "item_id"}
        if "item_id" in rule.arguments:
            section = rule.rule.split("/")[4]  # /manage/c/<slug>/<section>/<item_id>
            arguments["item_id"] = item_ids[section]
        path = rule.rule
        for name, value in arguments.items():
            path = re.sub(rf"<([^:>]+:)?{name}>", str(value), path)
        yield rule.endpoint, path, "GET" in rule.methods


def test_no_form_answers_a_server_error_or_half_writes_a_refusal(app, client):
    conference = make_conference(slug="fuzz")
    room, track = make_room(conference), make_track(conference)
    speaker = make_speaker(conference)
    talk = make_talk(conference, room=room, track=track, speakers=[speaker])
    token = new_token()
    registration = make_registration(conference, token_hash=hash_token(token))
    question = Question(conference=conference, label="Diet", kind="short_text", position=1)
    category = RegistrationCategory(conference=conference, name="Press", capacity=5)
    code = AccessCode(conference=conference, code="FUZZ-CODE", category=category)
    invitation = Invitation(
        conference=conference, email="guest@example.org", full_name="Guest", token_hash="2" * 64
    )
    db.session.add_all([question, category, code, invitation])
    db.session.commit()
    admin = make_user("admin@example.org", is_admin=True)
    give_role(admin, conference)
    other = make_user("colleague@example.org")
    values = {
        "slug": conference.slug,
        "talk_id": talk.id,
        "registration_id": registration.id,
        "token": token,
        "user_id": other.id,  # not the administrator's own account, which the test needs
        "conference_id": conference.id,
        "invitation_id": invitation.id,
        "item_ids": {
            "categories": category.id,
            "codes": code.id,
            "rooms": room.id,
            "tracks": track.id,
            "speakers": speaker.id,
            "questions": question.id,
        },
    }
    admin_id = admin.id
    forms = list(_concrete_paths(app, values))
    assert len(forms) >= 40, forms

    for endpoint, path, has_page in forms:
        log_in(client, db.session.get(User, admin_id))
        page = client.get(path).get_data(as_text=True) if has_page else ""
        _fuzz_form(client, admin_id, endpoint, path, _form_fields(page) + EXTRA_FIELDS)


def _fuzz_form(client, admin_id: int, endpoint: str, path: str, fields: list[str]) -> None:
    @given(data=st.dictionaries(st.sampled_from(fields), _field_values(), max_size=8))
    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def submit(data):
        log_in(client, db.session.get(User, admin_id))  # some forms log out or change roles
        before = _row_counts()
        form = {
            name: (BytesIO(value), "upload.bin") if value is UPLOAD else value
            for name, value in data.items()
        }
        response = client.post(path, data=form)
        assert response.status_code < 500, (endpoint, data)
        if 400 <= response.status_code < 500:  # refused: nothing half-written
            assert _row_counts() == before, (endpoint, data)

    submit()


def test_invalid_utf8_in_a_form_body_is_no_server_error(app, client):
    conference = make_conference(slug="bytes")

    response = client.post(
        f"/c/{conference.slug}/register",
        data=b"full_name=%FF%FE&email=%C0%AF%40example.org&privacy=y",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code < 500
