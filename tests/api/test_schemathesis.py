"""Every operation, fuzzed by schemathesis against the OpenAPI document it serves: the
public ones anonymously, the organizer ones with a valid token, one by one and in sequences
that follow the links between them (a created session read, changed and cancelled)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import PositiveDataAcceptanceConfig

from eventreg.accounts import api_tokens as tokens
from eventreg.core.extensions import db
from tests.conftest import empty_tables
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, make_user


@pytest.fixture
def app_config():
    # schemathesis calls the app as "localhost", next to the configured public address.
    return {"TRUSTED_HOSTS": ["eventreg.test", "localhost"]}


def _programme():
    conference = make_conference(slug="expo")
    room = make_room(conference, name="Main Hall")
    track = make_track(conference, name="Trade")
    talk = make_talk(conference, room=room, track=track)
    talk.speakers = [make_speaker(conference)]
    make_talk(conference, status="cancelled")


def test_the_api_does_what_its_openapi_document_says(app):
    _programme()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not op.path.startswith("/api/v1/manage")]
    assert len(operations) == 7
    # 422: a date-time at the very edge of the calendar (the year 1 or 9999), which the
    # descriptions state but a JSON schema's "format" cannot.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "404", "422"]
    )
    fuzz(operations)


def test_the_organizer_api_does_what_its_openapi_document_says(app):
    _programme()
    secret, talk_id = _organizer_with_a_draft_conference()
    schema = _organizer_schema(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/manage")]
    assert len(operations) == 7

    def into_own_conference(case):
        # Random slugs and ids are all "not found": aim most calls at real rows instead.
        if "slug" in case.path_parameters:
            case.path_parameters["slug"] = "expo-staff"
        if case.path_parameters.get("session_id", 1) % 2 == 0:
            case.path_parameters["session_id"] = talk_id

    fuzz(operations, headers={"Authorization": f"Bearer {secret}"}, adjust=into_own_conference)


def test_the_organizer_api_holds_up_through_sequences_of_calls(app):
    """Stateful: schemathesis links the operations by what they answer (the id of a created
    session feeds reading, changing and cancelling it) and runs random sequences of them."""
    secret = [_organizer_with_a_draft_conference()[0]]
    schema = _organizer_schema(app).include(path_regex="^/api/v1/manage/conferences/")
    # The token is added to every call of the sequence, so schemathesis's "without the
    # token" replay would carry it too; the operation-by-operation run above checks that.
    schema.config.checks.ignored_auth.enabled = False
    base = schema.as_state_machine()

    class OrganizerWorkflow(base):  # type: ignore[misc, valid-type]
        def before_call(self, case):
            if "slug" in case.path_parameters:
                case.path_parameters["slug"] = "expo-staff"
            # In the case itself, so that the authentication checks can try without it.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret[0]}"}

        def teardown(self):
            # Every sequence starts from the same rows (and ids), so that the same choices
            # get the same answers: hypothesis replays sequences and expects that.
            db.session.remove()
            empty_tables()
            secret[0] = _organizer_with_a_draft_conference()[0]

    OrganizerWorkflow.run(
        settings=settings(
            max_examples=50,
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def _organizer_with_a_draft_conference() -> tuple[str, int]:
    organizer = make_user("organizer@example.org")
    conference = make_conference(slug="expo-staff", published=False)
    give_role(organizer, conference)
    make_registration(conference)
    talk_id = make_talk(conference, room=make_room(conference)).id
    return tokens.issue(organizer, "fuzzing")[1], talk_id


def _organizer_schema(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # 422: schema-valid requests the schedule's rules refuse (a blank title, times that do
    # not fit together, a room, track or speaker the conference lacks: rules a JSON schema
    # does not state); 409: clashes and times outside the conference.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "401", "403", "404", "409", "422"]
    )
    return schema


def fuzz(operations, headers=None, adjust=None) -> None:
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def call_and_validate(case):
            if adjust:
                adjust(case)
            case.call_and_validate(headers=headers)

        call_and_validate()
