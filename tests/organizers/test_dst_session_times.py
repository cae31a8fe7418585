"""Session times on the nights the clocks change: a time the clocks skip is refused with the
times around the jump, a time they show twice is never guessed. Through the workspace's form
and the organizer API, for Europe/Rome (both DST nights) and Asia/Shanghai (no DST)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens as tokens
from eventreg.conferences.models import Talk
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.schedule import changes
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.services import create_session, update_session
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.organizers.conftest import give_role, log_in, make_user

ROME, SHANGHAI = ZoneInfo("Europe/Rome"), ZoneInfo("Asia/Shanghai")
SPRING, AUTUMN = date(2027, 3, 28), date(2027, 10, 31)  # Rome's two DST nights in 2027
API = "/api/v1/manage/conferences"


@pytest.fixture
def conferences(app):
    """A conference on each of Rome's DST nights and one in Shanghai, one organizer for all."""
    made = {
        "spring": make_conference(slug="spring", timezone="Europe/Rome", start_date=SPRING),
        "autumn": make_conference(slug="autumn", timezone="Europe/Rome", start_date=AUTUMN),
        "shanghai": make_conference(slug="shanghai", timezone="Asia/Shanghai", start_date=SPRING),
    }
    organizer = make_user("organizer@example.org")
    for conference in made.values():
        give_role(organizer, conference)
    made["organizer"] = organizer
    return made


@pytest.fixture
def organizer_client(client, conferences):
    log_in(client, conferences["organizer"])
    return client


@pytest.fixture
def api_headers(conferences):
    return {"Authorization": f"Bearer {tokens.issue(conferences['organizer'], 'script')[1]}"}


def talks(slug: str) -> list[Talk]:
    db.session.rollback()
    query = sa.select(Talk).join(Talk.conference).where(Talk.conference.has(slug=slug))
    return list(db.session.scalars(query.order_by(Talk.id)))


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def post_session(client, slug: str, day: date, start: str, end: str, **extra: str):
    path = f"/manage/c/{slug}/sessions/new"
    data = {
        "csrf_token": csrf_token_from(client.get(path).text),
        "title": "Night session",
        "kind": "talk",
        "track_id": "0",
        "room_id": "0",
        "day": day.isoformat(),
        "start": start,
        "end": end,
        **extra,
    }
    return client.post(path, data=data)


def error_of(page: str, field: str) -> str:
    """The message shown next to a field of the form (whitespace as in the page)."""
    marker = f'<p class="error" id="{field}-error">'
    assert marker in page, f"no error on {field}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


# --- the spring night: times that do not exist --------------------------------------------


def test_a_session_starting_in_the_spring_gap_is_refused_naming_the_valid_times(
    organizer_client,
):
    # Before: both ends became 01:30Z (02:30 CET is 03:30 CEST) and the save failed with a 500.
    response = post_session(organizer_client, "spring", SPRING, "02:30", "03:30")

    assert response.status_code == 400
    assert error_of(response.text, "start") == (
        "02:30 does not exist on Sun, Mar 28 in Europe/Rome: clocks go from 02:00 to 03:00; "
        "choose 01:59 or earlier, or 03:00 or later."
    )
    assert 'id="end-error"' not in response.text  # 03:30 exists
    assert talks("spring") == []


def test_a_session_wholly_in_the_gap_is_refused_rather_than_moved_an_hour_later(
    organizer_client,
):
    # Before: it was silently saved as 03:15–03:45.
    response = post_session(organizer_client, "spring", SPRING, "02:15", "02:45")

    assert response.status_code == 400
    assert "02:15 does not exist on Sun, Mar 28" in error_of(response.text, "start")
    assert "02:45 does not exist on Sun, Mar 28" in error_of(response.text, "end")
    assert talks("spring") == []


def test_times_around_the_gap_are_saved_as_the_hour_they_really_last(organizer_client):
    response = post_session(organizer_client, "spring", SPRING, "01:30", "03:30")

    assert response.status_code == 302
    (talk,) = talks("spring")
    # 01:30 CET to 03:30 CEST: one hour, not two.
    assert (talk.start_at, talk.end_at) == (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 1, 30))
    page = organizer_client.get(f"/manage/c/spring/sessions/{talk.id}").text
    assert 'value="01:30"' in page and 'value="03:30"' in page
    assert "Which start time?" not in page  # nothing to choose on this night


def test_the_schedule_refuses_a_skipped_time_built_by_other_callers(conferences):
    # A datetime built with the zone at a skipped time names no real wall clock.
    with pytest.raises(Invalid) as refused:
        create_session(
            None,
            conferences["spring"],
            SessionFields(
                title="Gap",
                start_at=datetime(2027, 3, 28, 2, 30, tzinfo=ROME),
                end_at=datetime(2027, 3, 28, 4, 0, tzinfo=ROME),
            ),
        )

    assert set(refused.value.errors) == {"start_at"}
    assert "Europe/Rome" in refused.value.errors["start_at"]
    assert talks("spring") == []


# --- the autumn night: times that exist twice ---------------------------------------------


def test_a_time_shown_twice_is_not_guessed_the_form_offers_both_with_their_offsets(
    organizer_client,
):
    # Before: the first 02:30 (summer time) was taken without asking.
    response = post_session(organizer_client, "autumn", AUTUMN, "02:30", "04:00")

    assert response.status_code == 400
    assert error_of(response.text, "start") == (
        "02:30 happens twice on Sun, Oct 31 in Europe/Rome, as the clocks go back: "
        "choose 02:30 CEST (+02:00) or 02:30 CET (+01:00)."
    )
    assert "Which start time?" in response.text
    assert 'name="start_occurrence" type="radio" value="first"> 02:30 CEST (+02:00)' in (
        response.text
    )
    assert 'name="start_occurrence" type="radio" value="second"> 02:30 CET (+01:00)' in (
        response.text
    )
    assert "Which end time?" not in response.text  # 04:00 happens once
    assert talks("autumn") == []


@pytest.mark.parametrize(
    ("occurrence", "start"),
    [("first", utc(2027, 10, 31, 0, 30)), ("second", utc(2027, 10, 31, 1, 30))],
)
def test_the_chosen_half_past_two_is_the_one_saved_and_shown_again(
    organizer_client, occurrence, start
):
    response = post_session(
        organizer_client, "autumn", AUTUMN, "02:30", "04:00", start_occurrence=occurrence
    )

    assert response.status_code == 302
    (talk,) = talks("autumn")
    assert (talk.start_at, talk.end_at) == (start, utc(2027, 10, 31, 3, 0))
    # Editing it again shows the same choice, made.
    page = organizer_client.get(f"/manage/c/autumn/sessions/{talk.id}").text
    assert f'checked id="start_occurrence-{0 if occurrence == "first" else 1}"' in page


def test_the_choice_survives_the_preview_and_the_notice_names_the_zone_in_force(
    organizer_client, conferences
):
    talk = make_talk(conferences["autumn"], title="Night session", day=AUTUMN)
    add_signup(make_registration(conferences["autumn"], email="seat@example.org"), talk)
    path = f"/manage/c/autumn/sessions/{talk.id}"
    data = {
        "csrf_token": csrf_token_from(organizer_client.get(path).text),
        "title": "Night session",
        "abstract": "An abstract.",
        "kind": "talk",
        "track_id": "0",
        "room_id": "0",
        "day": AUTUMN.isoformat(),
        "start": "02:30",
        "end": "04:00",
        "start_occurrence": "second",
    }

    preview = organizer_client.post(path, data=data)

    assert preview.status_code == 200
    assert "Save and notify 1 person" in preview.text
    assert "10:00–10:45 → 02:30 CET–04:00 CET" in preview.text  # the second 02:30
    assert '<input type="hidden" name="start_occurrence" value="second">' in preview.text

    saved = organizer_client.post(path, data={**data, "notify": "1"})

    assert saved.status_code == 302
    (moved,) = talks("autumn")
    assert (moved.start_at, moved.end_at) == (utc(2027, 10, 31, 1, 30), utc(2027, 10, 31, 3, 0))


def test_an_end_shown_twice_needs_its_own_choice(organizer_client):
    refused = post_session(organizer_client, "autumn", AUTUMN, "01:00", "02:30")

    assert refused.status_code == 400
    assert "02:30 happens twice" in error_of(refused.text, "end")
    assert "Which end time?" in refused.text

    saved = post_session(
        organizer_client, "autumn", AUTUMN, "01:00", "02:30", end_occurrence="second"
    )

    assert saved.status_code == 302
    (talk,) = talks("autumn")
    # 01:00 CEST to the second 02:30 (CET): two and a half hours.
    assert (talk.start_at, talk.end_at) == (utc(2027, 10, 30, 23, 0), utc(2027, 10, 31, 1, 30))


def test_an_end_before_the_start_in_real_time_is_refused_though_its_clock_is_later(
    organizer_client,
):
    # 02:30 CET comes an hour after 02:45 CEST: the clocks say otherwise.
    response = post_session(
        organizer_client,
        "autumn",
        AUTUMN,
        "02:30",
        "02:45",
        start_occurrence="second",
        end_occurrence="first",
    )

    assert response.status_code == 400
    assert error_of(response.text, "end") == "A session must end after it starts."
    assert talks("autumn") == []


def test_the_schedule_compares_times_in_one_zone_as_instants(conferences):
    # Two datetimes in the same zone compare as wall clocks: 02:30 (fold=1) "before" 02:45.
    talk = make_talk(conferences["autumn"], day=AUTUMN, start="10:00", end="11:00")
    with pytest.raises(Invalid) as refused:
        update_session(
            None,
            talk,
            SessionFields(
                start_at=datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=ROME),
                end_at=datetime(2027, 10, 31, 2, 45, tzinfo=ROME),
            ),
        )

    assert refused.value.errors == {"end_at": "A session must end after it starts."}


def test_the_schedule_says_which_times_a_front_end_must_ask_about(app):
    with app.test_request_context():
        with pytest.raises(Invalid) as refused:
            changes.session_times(ROME, AUTUMN, time(2, 30), time(2, 45))
        assert set(refused.value.errors) == {"start_at", "end_at"}

        start, end = changes.session_times(
            ROME, AUTUMN, time(2, 30), time(2, 45), changes.SECOND, changes.SECOND
        )
        assert (start, end) == (utc(2027, 10, 31, 1, 30), utc(2027, 10, 31, 1, 45))


# --- a zone without DST ---------------------------------------------------------------------


def test_shanghai_has_no_gap_or_fold_and_saves_half_past_two_as_typed(organizer_client):
    response = post_session(organizer_client, "shanghai", SPRING, "02:30", "03:30")

    assert response.status_code == 302
    (talk,) = talks("shanghai")
    assert (talk.start_at, talk.end_at) == (utc(2027, 3, 27, 18, 30), utc(2027, 3, 27, 19, 30))
    assert (
        "Which start time?"
        not in organizer_client.get(f"/manage/c/shanghai/sessions/{talk.id}").text
    )


# --- the API: instants with their offsets, never a wall clock to guess ----------------------


def test_the_api_refuses_a_time_without_an_offset(client, conferences, api_headers):
    response = client.post(
        f"{API}/autumn/sessions",
        headers=api_headers,
        json={
            "title": "Which one?",
            "start_at": "2027-10-31T02:30:00",
            "end_at": "2027-10-31T03:30:00",
        },
    )

    assert response.status_code == 422
    assert "start_at" in response.get_json()["errors"]
    assert talks("autumn") == []


def test_the_api_tells_the_two_autumn_half_past_twos_apart_by_their_offsets(
    client, conferences, api_headers
):
    starts = {}
    for offset in ("+02:00", "+01:00"):
        response = client.post(
            f"{API}/autumn/sessions",
            headers=api_headers,
            json={
                "title": f"At 02:30{offset}",
                "start_at": f"2027-10-31T02:30:00{offset}",
                "end_at": "2027-10-31T04:00:00+01:00",
            },
        )
        assert response.status_code == 201, response.get_json()
        starts[offset] = response.get_json()["start_at"]

    assert starts == {"+02:00": "2027-10-31T00:30:00+00:00", "+01:00": "2027-10-31T01:30:00+00:00"}
    assert [t.start_at for t in talks("autumn")] == [
        utc(2027, 10, 31, 0, 30),
        utc(2027, 10, 31, 1, 30),
    ]


def test_an_offset_the_zone_does_not_use_is_taken_as_the_instant_it_names(
    client, organizer_client, conferences, api_headers
):
    # 02:30+01:00 on the spring night is 01:30Z: 03:30 CEST on Rome's clocks. The offset
    # makes the instant exact, so it is kept as that instant, and shown as Rome shows it.
    response = client.post(
        f"{API}/spring/sessions",
        headers=api_headers,
        json={
            "title": "Offset from elsewhere",
            "start_at": "2027-03-28T02:30:00+01:00",
            "end_at": "2027-03-28T12:30:00+08:00",  # 04:30Z, from a Shanghai script
        },
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["start_at"], body["end_at"], body["day"]) == (
        "2027-03-28T01:30:00+00:00",
        "2027-03-28T04:30:00+00:00",
        "2027-03-28",
    )
    page = organizer_client.get(f"/manage/c/spring/sessions/{body['id']}").text
    assert 'value="03:30"' in page and 'value="06:30"' in page


def test_the_api_refuses_two_offsets_naming_one_instant_as_an_empty_session(
    client, conferences, api_headers
):
    # 02:30+01:00 and 03:30+02:00 are the same instant: the wall clocks differ, the time not.
    response = client.post(
        f"{API}/spring/sessions",
        headers=api_headers,
        json={
            "title": "No time at all",
            "start_at": "2027-03-28T02:30:00+01:00",
            "end_at": "2027-03-28T03:30:00+02:00",
        },
    )

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"end_at": "A session must end after it starts."}
    assert talks("spring") == []


def test_the_api_saves_shanghai_times_as_given(client, conferences, api_headers):
    response = client.post(
        f"{API}/shanghai/sessions",
        headers=api_headers,
        json={
            "title": "凌晨会议",
            "start_at": "2027-03-28T02:30:00+08:00",
            "end_at": "2027-03-28T03:30:00+08:00",
        },
    )

    assert response.status_code == 201, response.get_json()
    (talk,) = talks("shanghai")
    assert (talk.start_at, talk.end_at) == (utc(2027, 3, 27, 18, 30), utc(2027, 3, 27, 19, 30))
