"""Editing the schedule in the workspace: conflicts refused, people told, changes logged."""

from datetime import date

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import SessionSignup
from eventreg.schedule.changes import SessionFields, plan_update
from eventreg.schedule.services import create_session, update_session
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


def session_audit() -> list[AuditEntry]:
    """The audit entries of session changes (the fixtures' accounts and roles left out)."""
    db.session.rollback()
    query = sa.select(AuditEntry).where(AuditEntry.action.startswith("session."))
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


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

    with pytest.raises(Conflict) as refused:
        update_session(
            None,
            keynote,
            SessionFields(
                room_id=lab.id,
                start_at=programme["workshop"].start_at,
                end_at=at(programme["conference"], DAY_ONE, "11:30"),
            ),
        )

    assert "Lab is already taken" in refused.value.errors["room_id"]
    assert "“CAR-T workshop” (11:00–12:00" in refused.value.message
    db.session.rollback()
    unchanged = db.session.get(Talk, keynote.id)
    assert unchanged.room_id == programme["hall"].id and unchanged.revision == 0
    assert outbox_count() == 0


def test_a_speaker_cannot_be_in_two_places_at_once(programme):
    conference = programme["conference"]

    with pytest.raises(Conflict) as refused:
        create_session(
            None,
            conference,
            SessionFields(
                title="Panel on cell therapy",
                kind="panel",
                speaker_ids=[programme["li_na"].id],
                room_id=programme["hall"].id,
                start_at=at(conference, DAY_ONE, "11:30"),
                end_at=at(conference, DAY_ONE, "12:30"),
            ),
        )

    assert "Li Na would be in two places at once" in refused.value.errors["speaker_ids"]
    assert "“CAR-T workshop”" in refused.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(Talk).filter_by(title="Panel on cell therapy")) is None


def test_back_to_back_sessions_in_one_room_do_not_clash(programme):
    conference = programme["conference"]

    talk = create_session(
        None,
        conference,
        SessionFields(
            title="After the workshop",
            speaker_ids=[programme["li_na"].id],
            room_id=programme["lab"].id,
            start_at=at(conference, DAY_ONE, "12:00"),
            end_at=at(conference, DAY_ONE, "13:00"),
        ),
    ).talk

    assert talk.id is not None and talk.room_id == programme["lab"].id


def test_a_session_outside_the_conference_dates_is_refused(programme):
    conference = programme["conference"]

    with pytest.raises(Conflict, match="must take place during the conference"):
        update_session(
            None,
            programme["workshop"],
            SessionFields(
                start_at=at(conference, date(2027, 3, 29), "11:00"),
                end_at=at(conference, date(2027, 3, 29), "12:00"),
            ),
        )


def test_a_session_must_end_after_it_starts(programme):
    conference = programme["conference"]

    with pytest.raises(Invalid, match="must end after it starts") as refused:
        create_session(
            None,
            conference,
            SessionFields(
                title="Backwards",
                start_at=at(conference, DAY_ONE, "15:00"),
                end_at=at(conference, DAY_ONE, "14:00"),
            ),
        )

    assert not isinstance(refused.value, Conflict)
    assert list(refused.value.errors) == ["end_at"]


def test_cancelled_sessions_free_their_room(organizer_client, programme):
    conference = programme["conference"]
    organizer_client.post(
        f"/manage/c/rome/sessions/{programme['workshop'].id}/cancel",
        data={"csrf_token": csrf_token_from(organizer_client.get("/manage/c/rome/sessions").text)},
    )

    talk = create_session(
        None,
        conference,
        SessionFields(
            title="Replacement",
            room_id=programme["lab"].id,
            start_at=at(conference, DAY_ONE, "11:00"),
            end_at=at(conference, DAY_ONE, "12:00"),
        ),
    ).talk

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

    preview = organizer_client.post(path, data=data)

    # What changes, and the two seat holders and the speaker, shown before anything is saved.
    assert preview.status_code == 200
    assert "Saving sends messages to 3 people" in preview.text
    assert "11:00–12:00 → 14:00–15:00" in preview.text
    assert "Lab → Hall" in preview.text
    assert "the speaker: Li Na" in preview.text
    assert "2 attendees holding a seat in this session" in preview.text
    assert "Save and notify 3 people" in preview.text
    assert 'name="notify" value="3"' in preview.text
    db.session.rollback()
    unchanged = db.session.get(Talk, workshop.id)
    assert (unchanged.room_id, unchanged.revision) == (programme["lab"].id, 0)
    assert outbox_count() == 0
    assert session_audit() == []

    saved = organizer_client.post(path, data={**data, "notify": "3"})

    assert saved.status_code == 302
    moved = db.session.get(Talk, workshop.id)
    assert moved.room_id == hall.id
    assert moved.start_at == at(programme["conference"], DAY_ONE, "14:00")
    assert outbox_count() == 3
    messages = deliver(smtp_server)
    recipients = sorted(m["To"].addresses[0].addr_spec for m in messages)
    assert recipients == ["li.na@example.org", "seat1@example.org", "seat2@example.org"]
    method, ics = calendar_part(to(messages, "seat1@example.org")[0])
    assert method == "REQUEST"
    assert b"SEQUENCE:1" in ics and b"Hall" in ics
    (entry,) = session_audit()
    assert (entry.action, entry.actor) == ("session.updated", "organizer@example.org")
    assert entry.before["room_id"] == programme["lab"].id
    assert entry.after["room_id"] == hall.id
    assert set(entry.after) == {"room_id", "start_at", "end_at"}


def test_the_count_shown_is_the_number_of_people_the_save_notifies(programme):
    workshop, conference = programme["workshop"], programme["conference"]
    proposal = SessionFields(
        start_at=at(conference, DAY_TWO, "09:00"), end_at=at(conference, DAY_TWO, "10:00")
    )

    plan = plan_update(workshop, proposal)
    saved = update_session(None, db.session.get(Talk, workshop.id), proposal)

    assert plan.notified == saved.notified == 3 == outbox_count()
    assert [str(change) for change in plan.changes] == [
        f"{_short(DAY_ONE)} 11:00–12:00 → {_short(DAY_TWO)} 09:00–10:00"
    ]


def test_a_stale_preview_shows_the_new_count_instead_of_saving(organizer_client, programme):
    workshop = programme["workshop"]
    path = f"/manage/c/rome/sessions/{workshop.id}"
    token = csrf_token_from(organizer_client.get(path).text)
    data = form_data(
        {
            "csrf_token": token,
            "speaker_ids": str(programme["li_na"].id),
            "room_id": str(programme["hall"].id),
            "start": "14:00",
            "end": "15:00",
        }
    )
    # The organizer saw "3 people"; meanwhile a third attendee took a seat.
    add_signup(make_registration(programme["conference"], email="seat3@example.org"), workshop)

    response = organizer_client.post(path, data={**data, "notify": "3"})

    assert response.status_code == 200
    assert "Save and notify 4 people" in response.text
    assert outbox_count() == 0
    assert db.session.get(Talk, workshop.id).room_id == programme["lab"].id


def _short(day: date) -> str:
    from eventreg.core.timeutil import format_day_short

    return format_day_short(day)


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
    # Next to the room field, and nothing written.
    assert 'id="room_id-error">Lab is already taken at that time by “CAR-T workshop”' in (
        response.text
    )
    assert db.session.get(Talk, keynote.id).room_id == programme["hall"].id
    assert outbox_count() == 0
    assert session_audit() == []


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


def test_fixing_a_typo_in_the_abstract_saves_at_once_without_mail(organizer_client, programme):
    workshop = programme["workshop"]
    path = f"/manage/c/rome/sessions/{workshop.id}"
    token = csrf_token_from(organizer_client.get(path).text)

    response = organizer_client.post(
        path,
        data=form_data(
            {
                "csrf_token": token,
                "speaker_ids": str(programme["li_na"].id),
                "room_id": str(programme["lab"].id),
                "abstract": "An abstract, now spelt right.",
            }
        ),
    )

    assert response.status_code == 302
    db.session.rollback()
    saved = db.session.get(Talk, workshop.id)
    assert (saved.abstract, saved.revision) == ("An abstract, now spelt right.", 0)
    assert outbox_count() == 0
    (entry,) = session_audit()
    assert entry.after == {"abstract": "An abstract, now spelt right."}


def test_a_refused_title_or_unscheduling_is_shown_by_its_field(organizer_client, programme):
    workshop = programme["workshop"]
    path = f"/manage/c/rome/sessions/{workshop.id}"
    token = csrf_token_from(organizer_client.get(path).text)
    base = {"csrf_token": token, "speaker_ids": str(programme["li_na"].id)}

    blank = organizer_client.post(path, data=form_data({**base, "title": "  "}))
    long = organizer_client.post(path, data=form_data({**base, "title": "T" * 251}))
    unscheduled = organizer_client.post(
        path, data=form_data({**base, "day": "", "start": "", "end": ""})
    )
    backwards = organizer_client.post(path, data=form_data({**base, "end": "10:00"}))
    negative = organizer_client.post(path, data=form_data({**base, "capacity": "-1"}))
    huge = organizer_client.post(path, data=form_data({**base, "capacity": "99999999999"}))

    assert blank.status_code == long.status_code == unscheduled.status_code == 400
    assert 'id="title-error">A session needs a title.' in blank.text
    assert 'id="title-error">The title is too long' in long.text
    assert 'id="start-error">A scheduled session cannot be taken off the schedule' in (
        unscheduled.text
    )
    assert 'id="end-error">A session must end after it starts.' in backwards.text
    assert 'id="capacity-error">Give a number of seats' in negative.text
    assert huge.status_code == 400  # not a database error
    assert 'id="capacity-error">Give a number of seats' in huge.text
    assert db.session.get(Talk, workshop.id).revision == 0
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
    data = form_data(
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
    )

    preview = organizer_client.post("/manage/c/rome/sessions/new", data=data)
    assert preview.status_code == 200
    assert "the speaker: Giulia Rossi" in preview.text
    assert "— → “Lunch talk”" in preview.text
    assert db.session.scalar(sa.select(Talk).filter_by(title="Lunch talk")) is None
    response = organizer_client.post("/manage/c/rome/sessions/new", data={**data, "notify": "1"})

    assert response.status_code == 302
    talk = db.session.scalar(sa.select(Talk).filter_by(title="Lunch talk"))
    assert talk.start_at == at(programme["conference"], DAY_TWO, "13:00")
    assert [m["To"].addresses[0].addr_spec for m in deliver(smtp_server)] == ["rossi@example.org"]
    (entry,) = session_audit()
    assert (entry.action, entry.actor) == ("session.created", "organizer@example.org")


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
    assert 'id="day-error">Choose the day of the session' in refused.text
    assert added.status_code == 302
    assert db.session.scalar(sa.select(Talk).filter_by(title="Later")).start_at is None


def test_cancelling_shows_the_count_then_sends_cancellations(
    organizer_client, programme, smtp_server
):
    workshop = programme["workshop"]
    path = f"/manage/c/rome/sessions/{workshop.id}/cancel"

    page = organizer_client.get(path)

    assert "sends a cancellation to 3 people" in page.text
    assert "the speaker: Li Na" in page.text
    assert db.session.get(Talk, workshop.id).status == "scheduled"
    response = organizer_client.post(path, data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302
    assert outbox_count() == 3
    messages = deliver(smtp_server)
    assert len(messages) == 3
    assert all(calendar_part(m)[0] == "CANCEL" for m in messages)
    (entry,) = session_audit()
    assert entry.action == "session.cancelled"
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


def test_the_preview_of_a_session_that_widens_the_conference_counts_its_attendees(
    organizer_client, programme
):
    token = csrf_token_from(organizer_client.get("/manage/c/rome/sessions/new").text)
    data = form_data(
        {"csrf_token": token, "title": "Early breakfast", "start": "07:30", "end": "08:30"}
    )

    preview = organizer_client.post("/manage/c/rome/sessions/new", data=data)

    assert preview.status_code == 200
    assert "2 attendees of the conference, whose own times change" in preview.text
    assert "Save and notify 2 people" in preview.text
    assert outbox_count() == 0
    saved = organizer_client.post("/manage/c/rome/sessions/new", data={**data, "notify": "2"})
    assert saved.status_code == 302
    assert outbox_count() == 2
    assert [entry.action for entry in session_audit()] == ["session.created"]
