"""Every operation, fuzzed by schemathesis against the OpenAPI document it serves: the
public ones anonymously, the organizer ones with a valid token."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import PositiveDataAcceptanceConfig

from eventreg.accounts import api_tokens as tokens
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, make_user


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
    fuzz(operations)


def test_the_organizer_api_does_what_its_openapi_document_says(app):
    _programme()
    organizer = make_user("organizer@example.org")
    conference = make_conference(slug="expo-staff", published=False)
    give_role(organizer, conference)
    make_registration(conference)
    talk_id = make_talk(conference, room=make_room(conference)).id
    secret = tokens.issue(organizer, "fuzzing")[1]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/manage")]
    assert len(operations) == 7

    def into_own_conference(case):
        # Random slugs and ids are all "not found": aim most calls at real rows instead.
        if "slug" in case.path_parameters:
            case.path_parameters["slug"] = "expo-staff"
        if case.path_parameters.get("session_id", 1) % 2 == 0:
            case.path_parameters["session_id"] = talk_id

    # 422: schema-valid requests the schedule's rules refuse (a blank title, times that do
    # not fit together, a room, track or speaker the conference lacks: rules a JSON schema
    # does not state); 409: clashes and times outside the conference.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "401", "403", "404", "409", "422"]
    )
    fuzz(operations, headers={"Authorization": f"Bearer {secret}"}, adjust=into_own_conference)


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
