"""Editing the schedule in the workspace: conflicts refused, people told, changes logged."""

from datetime import date

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import SessionSignup
from eventreg.schedule.services import (
    ScheduleError,
    count_update_recipients,
    create_talk,
    update_talk,
)
from tests.conftest import csrf_token_from
from tests.factories import at, make_conference, make_talk, make_track
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import calendar_part, deliver, to
from tests.organizers.conftest import give_role, log_in, make_user
from tests.programme import DAY_ONE, DAY_TWO, build_programme


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def programme(app):
    return build_programme("rome")


@pytest.fixture
def organizer_client(app, client, programme):
    organizer = make_user("organizer@example.org")
    give_role(organizer, programme["conference"])
    log_in(client, organizer)
    return client


def outbox_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def form_data(talk_values: dict) -> dict:
    data = {
        "title": "CAR-T workshop",
        "abstract": "An abstract.",
        "kind": "talk",
        "track_id": "0",
        "capacity": "2",
        "day": DAY_ONE.isoformat(),
        "start": "11:00",
        "end": "12:00",
        "room_id": "0",
    }
    data.update(talk_values)
    return data


# --- conflicts, at the service ---------------------------------------------------------------


def test_a_room_cannot_be_booked_twice_and_the_message_names_the_other_session(programme):
    keynote, lab = programme["keynote"], programme["lab"]

    with pytest.raises(ScheduleError) as refused:
        update_talk(
            keynote,
            room=lab,
            start_at=programme["workshop"].start_at,
            end_at=at(programme["conference"], DAY_ONE, "11:30"),
        )

    assert "Lab is already taken" in str(refused.value)
    assert "“CAR-T workshop” (11:00–12:00" in str(refused.value)
    db.session.rollback()
    unchanged = db.session.get(Talk, keynote.id)
    assert unchanged.room_id == programme["hall"].id and unchanged.revision == 0
    assert outbox_count() == 0


def test_a_speaker_cannot_be_in_two_places_at_once(programme):
    conference = programme["conference"]

    with pytest.raises(ScheduleError) as refused:
        create_talk(
            conference,
            title="Panel on cell therapy",
            kind="panel",
            speakers=[programme["li_na"]],
            room=programme["hall"],
            start_at=at(conference, DAY_ONE, "11:30"),
            end_at=at(conference, DAY_ONE, "12:30"),
        )

    assert "Li Na would be in two places at once" in str(refused.value)
    assert "“CAR-T workshop”" in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(sa.select(Talk).filter_by(title="Panel on cell therapy")) is None


def test_back_to_back_sessions_in_one_room_do_not_clash(programme):
    conference = programme["conference"]

    talk = create_talk(
        conference,
        title="After the workshop",
        speakers=[programme["li_na"]],
        room=programme["lab"],
        start_at=at(conference, DAY_ONE, "12:00"),
        end_at=at(conference, DAY_ONE, "13:00"),
    )

    assert talk.id is not None and talk.room_id == programme["lab"].id


def test_a_session_outside_the_conference_dates_is_refused(programme):
    conference = programme["conference"]

    with pytest.raises(ScheduleError, match="must take place during the conference"):
        update_talk(
            programme["workshop"],
            start_at=at(conference, date(2027, 3, 29), "11:00"),
            end_at=at(conference, date(2027, 3, 29), "12:00"),
        )


def test_a_session_must_end_after_it_starts(programme):
    conference = programme["conference"]

    with pytest.raises(ScheduleError, match="must end after it starts"):
        create_talk(
            conference,
            title="Backwards",
            start_at=at(conference, DAY_ONE, "15:00"),
            end_at=at(conference, DAY_ONE, "14:00"),
        )


def test_cancelled_sessions_free_their_room(organizer_client, programme):
    conference = programme["conference"]
    organizer_client.post(
        f"/manage/c/rome/sessions/{programme['workshop'].id}/cancel",
        data={"csrf_token": csrf_token_from(organizer_client.get("/manage/c/rome/sessions").text)},
    )

    talk = create_talk(
        conference,
        title="Replacement",
        room=programme["lab"],
        start_at=at(conference, DAY_ONE, "11:00"),
        end_at=at(conference, DAY_ONE, "12:00"),
    )

    assert talk.room_id == programme["lab"].id


# --- the edit page: confirmation, saving, notifying -------------------------------------------


def test_moving_a_session_shows_the_count_first_then_sends_updates_received_by_smtp(
    organizer_client, programme, smtp_server
):
    workshop, hall = programme["workshop"], programme["hall"]
    path = f"/manage/c/rome/sessions/{workshop.id}"
    page = organizer_client.get(path)
    assert page.status_code == 200
    token = csrf_token_from(page.text)
    data = form_data(
        {
            "csrf_token": token,
            "speaker_ids": str(programme["li_na"].id),
            "start": "14:00",
            "end": "15:00",
            "room_id": str(hall.id),
        }
    )

    confirmation = organizer_client.post(path, data=data)

    # Two seat holders and the speaker, told before anything is saved.
    assert confirmation.status_code == 200
    assert "send updated invitations to 3 people" in confirmation.text
    assert 'name="confirmed" value="yes"' in confirmation.text
    db.session.rollback()
    unchanged = db.session.get(Talk, workshop.id)
    assert (unchanged.room_id, unchanged.revision) == (programme["lab"].id, 0)
    assert outbox_count() == 0

    saved = organizer_client.post(path, data={**data, "confirmed": "yes"})

    assert saved.status_code == 302
    moved = db.session.get(Talk, workshop.id)
    assert moved.room_id == hall.id
    assert moved.start_at == at(programme["conference"], DAY_ONE, "14:00")
    messages = deliver(smtp_server)
    recipients = sorted(m["To"].addresses[0].addr_spec for m in messages)
    assert recipients == ["li.na@example.org", "seat1@example.org", "seat2@example.org"]
    method, ics = calendar_part(to(messages, "seat1@example.org")[0])
    assert method == "REQUEST"
    assert b"SEQUENCE:1" in ics and b"Hall" in ics
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="session.updated"))
    assert entry.actor == "organizer@example.org"
    assert entry.before["room_id"] == programme["lab"].id
    assert entry.after["room_id"] == hall.id
    assert set(entry.after) == {"room_id", "start_at", "end_at"}


def test_the_count_shown_is_the_number_of_people_the_save_notifies(programme):
    workshop, conference = programme["workshop"], programme["conference"]
    changes = {
        "start_at": at(conference, DAY_TWO, "09:00"),
        "end_at": at(conference, DAY_TWO, "10:00"),
    }

    shown = count_update_recipients(workshop, **changes)
    notified = update_talk(db.session.get(Talk, workshop.id), **changes)

    assert shown == notified == 3


def test_a_clash_in_the_form_is_shown_next_to_it_and_nothing_changes(organizer_client, programme):
    keynote = programme["keynote"]
    path = f"/manage/c/rome/sessions/{keynote.id}"
    token = csrf_token_from(organizer_client.get(path).text)

    response = organizer_client.post(
        path,
        data=form_data(
            {
                "csrf_token": token,
                "title": "Opening keynote",
                "speaker_ids": str(programme["rossi"].id),
                "start": "11:30",
                "end": "12:30",
                "room_id": str(programme["lab"].id),
            }
        ),
    )

    assert response.status_code == 400
    assert "Lab is already taken at that time by “CAR-T workshop”" in response.text
    assert db.session.get(Talk, keynote.id).room_id == programme["hall"].id


def test_kind_and_track_changes_save_without_confirmation_or_mail(organizer_client, programme):
    workshop = programme["workshop"]
    track = make_track(programme["conference"], name="Clinical")
    path = f"/manage/c/rome/sessions/{workshop.id}"
    token = csrf_token_from(organizer_client.get(path).text)

    response = organizer_client.post(
        path,
        data=form_data(
            {
                "csrf_token": token,
                "speaker_ids": str(programme["li_na"].id),
                "room_id": str(programme["lab"].id),
                "kind": "workshop",
                "track_id": str(track.id),
            }
        ),
    )

    assert response.status_code == 302
    saved = db.session.get(Talk, workshop.id)
    assert (saved.kind, saved.track_id, saved.revision) == ("workshop", track.id, 0)
    assert outbox_count() == 0


def test_raising_the_seats_promotes_the_sessions_waiting_list(organizer_client, programme):
    workshop = programme["workshop"]
    waiting = add_signup(
        make_registration(programme["conference"], email="queue@example.org"), workshop, "waiting"
    )
    path = f"/manage/c/rome/sessions/{workshop.id}"
    token = csrf_token_from(organizer_client.get(path).text)

    response = organizer_client.post(
        path,
        data=form_data(
            {
                "csrf_token": token,
                "speaker_ids": str(programme["li_na"].id),
                "room_id": str(programme["lab"].id),
                "capacity": "3",
            }
        ),
    )

    assert response.status_code == 302
    assert db.session.get(SessionSignup, waiting.id).status == "confirmed"
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="session.updated"))
    assert (entry.before, entry.after) == ({"capacity": 2}, {"capacity": 3})


def test_adding_a_session_through_the_workspace_invites_its_speaker(
    organizer_client, programme, smtp_server
):
    token = csrf_token_from(organizer_client.get("/manage/c/rome/sessions/new").text)

    response = organizer_client.post(
        "/manage/c/rome/sessions/new",
        data=form_data(
            {
                "csrf_token": token,
                "title": "Lunch talk",
                "day": DAY_TWO.isoformat(),
                "start": "13:00",
                "end": "13:30",
                "speaker_ids": str(programme["rossi"].id),
                "room_id": str(programme["lab"].id),
                "capacity": "",
            }
        ),
    )

    assert response.status_code == 302
    talk = db.session.scalar(sa.select(Talk).filter_by(title="Lunch talk"))
    assert talk.start_at == at(programme["conference"], DAY_TWO, "13:00")
    assert [m["To"].addresses[0].addr_spec for m in deliver(smtp_server)] == ["rossi@example.org"]
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="session.created"))


def test_an_unscheduled_session_can_be_added_and_needs_a_day_for_its_times(
    organizer_client, programme
):
    token = csrf_token_from(organizer_client.get("/manage/c/rome/sessions/new").text)
    base = {"csrf_token": token, "title": "Later", "capacity": "", "start": "", "end": ""}

    refused = organizer_client.post(
        "/manage/c/rome/sessions/new", data=form_data({**base, "day": "", "start": "10:00"})
    )
    added = organizer_client.post(
        "/manage/c/rome/sessions/new", data=form_data({**base, "day": ""})
    )

    assert refused.status_code == 400
    assert "Choose the day of the session" in refused.text
    assert added.status_code == 302
    assert db.session.scalar(sa.select(Talk).filter_by(title="Later")).start_at is None


def test_cancelling_shows_the_count_then_sends_cancellations(
    organizer_client, programme, smtp_server
):
    workshop = programme["workshop"]
    path = f"/manage/c/rome/sessions/{workshop.id}/cancel"

    page = organizer_client.get(path)

    assert "sends a cancellation to 3 people" in page.text
    assert db.session.get(Talk, workshop.id).status == "scheduled"
    response = organizer_client.post(path, data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302
    messages = deliver(smtp_server)
    assert len(messages) == 3
    assert all(calendar_part(m)[0] == "CANCEL" for m in messages)
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="session.cancelled"))
    assert (entry.before, entry.after) == ({"status": "scheduled"}, {"status": "cancelled"})


def test_the_overview_highlights_clashes_and_unscheduled_sessions(organizer_client, programme):
    conference = programme["conference"]
    # Written directly, as an import or an older version might have left them.
    make_talk(
        conference,
        title="Double-booked",
        day=DAY_ONE,
        start="11:30",
        end="12:30",
        room=programme["lab"],
    )
    make_talk(conference, title="Someday", start_at=None, end_at=None)

    page = organizer_client.get("/manage/c/rome/schedule")

    assert page.status_code == 200
    assert "2 sessions clash with others" in page.text
    assert "same room as “CAR-T workshop”" in page.text
    assert "same room as “Double-booked”" in page.text
    assert "1 session is not scheduled yet" in page.text
    assert page.text.count('class="badge clash"') == 2
    assert "Opening keynote" in page.text


def test_another_conferences_session_is_not_found_through_ones_own(client, programme):
    other = make_conference(slug="other")
    stranger = make_user("stranger@example.org")
    give_role(stranger, other)
    log_in(client, stranger)

    for path in (
        f"/manage/c/other/sessions/{programme['workshop'].id}",
        f"/manage/c/other/sessions/{programme['workshop'].id}/cancel",
    ):
        assert client.get(path).status_code == 404, path
