"""Managing a conference from the workspace: details, publishing, the four lists, duplicates,
and the audit log that records every change."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference, ConferenceRole, Room, Speaker, Talk, Track
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Answer, Question, Registration
from tests.factories import at, make_conference, make_room, make_speaker, make_talk, make_track
from tests.organizers.conftest import give_role, log_in, make_user, post_form

NEW_CONFERENCE = {
    "title": "Shenzhen–Italy Biotech 2027",
    "timezone": "Asia/Shanghai",
    "start_date": "2027-11-04",
    "end_date": "2027-11-05",
    "organizer_email": "office@example.org",
}


@pytest.fixture
def organized(app, client):
    """A conference in Europe/Rome and a logged-in organizer of it."""
    conference = make_conference(
        slug="pavia",
        title="Pavia Days",
        timezone="Europe/Rome",
        published=False,
        registration_opens_at=datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
    )
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return conference


def audit_entries(action: str) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)
    ).all()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- creating and editing ---------------------------------------------------------------------


def test_a_new_conference_is_a_draft_with_a_slug_made_from_its_title(app, client, creator):
    response = post_form(client, "/manage/conferences/new", NEW_CONFERENCE)

    assert response.status_code == 302
    conference = db.session.scalar(sa.select(Conference))
    assert conference.slug == "shenzhen-italy-biotech-2027"
    assert response.location == "/manage/c/shenzhen-italy-biotech-2027/"
    assert not conference.published
    assert client.get("/c/shenzhen-italy-biotech-2027/").status_code == 404
    role = db.session.scalar(sa.select(ConferenceRole))
    assert (role.user_id, role.role) == (creator.id, "organizer")
    [entry] = audit_entries("conference.created")
    assert entry.actor == "creator@example.org"
    assert entry.before is None
    assert entry.after["start_date"] == "2027-11-04"
    assert entry.after["timezone"] == "Asia/Shanghai"


def test_a_slug_already_taken_is_refused_naming_its_conference(app, client, creator):
    make_conference(slug="shenzhen-italy-biotech-2027", title="The Other One")

    response = post_form(client, "/manage/conferences/new", NEW_CONFERENCE)

    assert response.status_code == 400
    assert "The address /c/shenzhen-italy-biotech-2027/ already belongs to “The Other One”" in (
        response.text
    )
    assert count(Conference) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Use a time zone name from the IANA database"),
        ({"end_date": "2027-11-03"}, "The last day cannot be before the first day."),
        ({"slug": "Has Spaces"}, "Use only lower-case letters, digits and hyphens"),
        ({"organizer_email": "not-an-address"}, "This is not a valid e-mail address"),
        (
            {
                "registration_opens_at": "2027-10-01T09:00",
                "registration_closes_at": "2027-09-01T09:00",
            },
            "Registration must close after it opens.",
        ),
    ],
)
def test_invalid_details_are_refused_with_a_message_and_nothing_stored(
    app, client, creator, change, message
):
    response = post_form(client, "/manage/conferences/new", {**NEW_CONFERENCE, **change})

    assert response.status_code == 400
    assert message in response.text
    assert "Shenzhen–Italy Biotech 2027" in response.text  # the values typed stay in the form
    assert count(Conference) == 0
    assert not audit_entries("conference.created")


def test_the_registration_window_is_read_on_the_conferences_wall_clock(app, client, creator):
    post_form(
        client,
        "/manage/conferences/new",
        {**NEW_CONFERENCE, "registration_opens_at": "2027-09-01T09:00"},
    )

    conference = db.session.scalar(sa.select(Conference))
    assert conference.registration_opens_at == datetime(2027, 9, 1, 1, 0, tzinfo=UTC)
    edit_page = client.get(f"/manage/c/{conference.slug}/edit").text
    assert 'value="2027-09-01T09:00"' in edit_page


def test_a_registration_time_the_clocks_skip_is_refused_and_a_repeated_one_read_first(
    app, client, creator
):
    rome = {**NEW_CONFERENCE, "timezone": "Europe/Rome", "start_date": "2027-11-04"}
    response = post_form(
        client, "/manage/conferences/new", {**rome, "registration_opens_at": "2027-03-28T02:30"}
    )

    assert response.status_code == 400
    assert "02:30 does not exist" in response.text and "03:00 or later" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conference)) == 0

    post_form(
        client, "/manage/conferences/new", {**rome, "registration_opens_at": "2027-10-31T02:30"}
    )
    conference = db.session.scalar(sa.select(Conference))
    # The first 02:30 of the autumn night, still summer time (+02:00).
    assert conference.registration_opens_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_editing_records_only_what_changed_before_and_after(app, client, organized):
    form = client.get("/manage/c/pavia/edit")
    assert form.status_code == 200

    response = post_form(
        client,
        "/manage/c/pavia/edit",
        {
            "title": "Pavia Days 2027",
            "slug": "pavia",
            "timezone": "Europe/Rome",
            "start_date": organized.start_date.isoformat(),
            "end_date": organized.end_date.isoformat(),
            "organizer_email": organized.organizer_email,
            "venue": "Collegio Borromeo",
            "address": organized.address,
            "description": organized.description,
            "organizer_name": organized.organizer_name,
            "privacy_notice": organized.privacy_notice,
            "registration_opens_at": organized.registration_opens_at.astimezone(organized.tz)
            .replace(tzinfo=None)
            .strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    [entry] = audit_entries("conference.updated")
    assert entry.before == {"title": "Pavia Days", "venue": "Test Venue"}
    assert entry.after == {"title": "Pavia Days 2027", "venue": "Collegio Borromeo"}
    log_page = client.get("/manage/c/pavia/audit").text
    assert 'data-action="conference.updated"' in log_page and "Collegio Borromeo" in log_page


def edit_values(conference: Conference, **changes) -> dict:
    values = {
        "title": conference.title,
        "slug": conference.slug,
        "timezone": conference.timezone,
        "start_date": conference.start_date.isoformat(),
        "end_date": conference.end_date.isoformat(),
        "organizer_email": conference.organizer_email,
    }
    values.update(changes)
    return values


def test_raising_the_capacity_promotes_the_first_in_line_at_once(app, client, organized):
    organized.capacity = 1
    for n, status in enumerate(["confirmed", "waiting", "waiting"]):
        db.session.add(
            Registration(
                conference=organized,
                email=f"person{n}@example.org",
                full_name=f"Person {n}",
                status=status,
                token_hash=f"{n:064d}",
            )
        )
    db.session.commit()

    response = post_form(client, "/manage/c/pavia/edit", edit_values(organized, capacity="2"))

    assert response.status_code == 302
    statuses = dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())
    assert statuses == {
        "person0@example.org": "confirmed",
        "person1@example.org": "confirmed",
        "person2@example.org": "waiting",
    }
    promoted = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert "person1@example.org" in promoted
    [entry] = audit_entries("conference.updated")
    assert (entry.before, entry.after) == ({"capacity": 1}, {"capacity": 2})
    assert "1 promoted from the waiting list" in entry.summary


def test_dates_cannot_move_away_from_a_scheduled_session(app, client, organized):
    make_talk(organized, title="Tumour Genomics", day=organized.end_date)

    response = post_form(
        client,
        "/manage/c/pavia/edit",
        edit_values(organized, end_date=organized.start_date.isoformat()),
    )

    assert response.status_code == 400
    assert "“Tumour Genomics” is scheduled after this day." in response.text
    assert not audit_entries("conference.updated")


def test_the_time_zone_cannot_change_under_scheduled_sessions(app, client, organized):
    make_talk(organized, title="Tumour Genomics")

    response = post_form(
        client, "/manage/c/pavia/edit", edit_values(organized, timezone="Asia/Shanghai")
    )

    assert response.status_code == 400
    assert "Sessions are scheduled (e.g. “Tumour Genomics”)" in response.text
    db.session.refresh(organized)
    assert organized.timezone == "Europe/Rome"


def test_publishing_puts_the_conference_on_the_public_site_and_back(app, client, organized):
    assert client.get("/c/pavia/").status_code == 404

    post_form(client, "/manage/c/pavia/publish", {}, form_page="/manage/c/pavia/")

    public = client.get("/c/pavia/")
    assert public.status_code == 200
    assert "Pavia Days" in public.text

    post_form(client, "/manage/c/pavia/unpublish", {}, form_page="/manage/c/pavia/")

    assert client.get("/c/pavia/").status_code == 404
    actions = [entry.action for entry in db.session.scalars(sa.select(AuditEntry))]
    assert "conference.published" in actions and "conference.unpublished" in actions


# --- rooms, tracks, speakers, questions -----------------------------------------------------------


def test_rooms_are_added_edited_and_deleted_with_audit_entries(app, client, organized):
    added = post_form(client, "/manage/c/pavia/rooms", {"name": "Aula Magna", "seats": "300"})
    assert added.status_code == 302
    room = db.session.scalar(sa.select(Room))
    assert (room.name, room.seats, room.conference_id) == ("Aula Magna", 300, organized.id)
    assert "Aula Magna" in client.get("/manage/c/pavia/rooms").text

    post_form(client, f"/manage/c/pavia/rooms/{room.id}", {"name": "Aula Foscolo", "seats": "120"})
    db.session.refresh(room)
    assert (room.name, room.seats) == ("Aula Foscolo", 120)

    post_form(
        client, f"/manage/c/pavia/rooms/{room.id}/delete", {}, form_page="/manage/c/pavia/rooms"
    )
    assert count(Room) == 0
    actions = [(e.action, e.before, e.after) for e in db.session.scalars(sa.select(AuditEntry))]
    assert (
        "room.created",
        None,
        {"name": "Aula Magna", "description": "", "seats": 300, "position": 0},
    ) in actions
    assert (
        "room.updated",
        {"name": "Aula Magna", "seats": 300},
        {"name": "Aula Foscolo", "seats": 120},
    ) in actions
    assert actions[-1][0] == "room.deleted" and actions[-1][1]["name"] == "Aula Foscolo"


def test_a_second_room_with_the_same_name_is_refused(app, client, organized):
    make_room(organized, name="Aula Magna")

    response = post_form(client, "/manage/c/pavia/rooms", {"name": "Aula Magna"})

    assert response.status_code == 400
    assert "This conference already has one called “Aula Magna”." in response.text
    assert count(Room) == 1


def test_a_room_in_use_cannot_be_deleted_and_the_message_names_the_session(app, client, organized):
    room = make_room(organized, name="Aula Magna")
    make_talk(organized, title="Opening Keynote", room=room)

    response = post_form(
        client, f"/manage/c/pavia/rooms/{room.id}/delete", {}, form_page="/manage/c/pavia/rooms"
    )

    assert response.status_code == 302
    page = client.get("/manage/c/pavia/rooms").text
    assert "“Aula Magna” is the room of “Opening Keynote”; move its sessions first." in page
    assert count(Room) == 1


def test_tracks_take_only_hex_colours(app, client, organized):
    refused = post_form(client, "/manage/c/pavia/tracks", {"name": "Biomedicine", "color": "red"})
    assert refused.status_code == 400
    assert "Use a colour like #1a2b3c." in refused.text

    added = post_form(client, "/manage/c/pavia/tracks", {"name": "Biomedicine", "color": "#B3261E"})

    assert added.status_code == 302
    track = db.session.scalar(sa.select(Track))
    assert track.color == "#b3261e"
    css = client.get("/manage/c/pavia/tracks.css")
    assert css.mimetype == "text/css"
    assert f".track-{track.id} {{ --track: #b3261e; }}" in css.text


def test_a_speakers_address_is_normalised_and_a_speaker_with_sessions_stays(app, client, organized):
    post_form(
        client,
        "/manage/c/pavia/speakers",
        {"name": "Giulia Rossi", "title": "Professor", "email": "Giulia.Rossi@EXAMPLE.org"},
    )
    speaker = db.session.scalar(sa.select(Speaker))
    assert speaker.email == "Giulia.Rossi@example.org"
    make_talk(organized, title="Tumour Genomics", speakers=[speaker])

    post_form(
        client,
        f"/manage/c/pavia/speakers/{speaker.id}/delete",
        {},
        form_page="/manage/c/pavia/speakers",
    )

    assert count(Speaker) == 1
    assert "Giulia Rossi speaks in “Tumour Genomics”" in client.get("/manage/c/pavia/speakers").text


def test_choice_questions_need_two_distinct_choices(app, client, organized):
    one = post_form(
        client,
        "/manage/c/pavia/questions",
        {"label": "Diet", "kind": "single_choice", "choices": "Vegetarian"},
    )
    twice = post_form(
        client,
        "/manage/c/pavia/questions",
        {"label": "Diet", "kind": "single_choice", "choices": "Vegan\nVegan"},
    )
    assert one.status_code == twice.status_code == 400
    assert "Give at least two choices, one per line." in one.text
    assert "Each choice can appear only once." in twice.text

    added = post_form(
        client,
        "/manage/c/pavia/questions",
        {
            "label": "Diet",
            "kind": "multiple_choice",
            "choices": " Vegetarian \r\n\r\nHalal\nNo pork",
            "required": "y",
        },
    )

    assert added.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert question.choices == ["Vegetarian", "Halal", "No pork"]
    assert question.required and question.kind == "multiple_choice"
    edit_page = client.get(f"/manage/c/pavia/questions/{question.id}").text
    assert "Vegetarian\nHalal\nNo pork" in edit_page


def test_text_questions_keep_no_choices_and_an_answered_question_stays(app, client, organized):
    post_form(
        client,
        "/manage/c/pavia/questions",
        {"label": "Anything else?", "kind": "long_text", "choices": "ignored"},
    )
    question = db.session.scalar(sa.select(Question))
    assert question.choices == []
    registration = Registration(
        conference=organized,
        email="a@example.org",
        full_name="A",
        status="confirmed",
        token_hash="a" * 64,
    )
    db.session.add(Answer(registration=registration, question=question, value="Hello"))
    db.session.commit()

    post_form(
        client,
        f"/manage/c/pavia/questions/{question.id}/delete",
        {},
        form_page="/manage/c/pavia/questions",
    )

    assert count(Question) == 1
    assert (
        "Attendees have answered “Anything else?”" in client.get("/manage/c/pavia/questions").text
    )


# --- next year's edition ------------------------------------------------------------------------


def test_duplicating_copies_everything_as_a_draft_moved_to_the_new_dates(app, client, organized):
    # The source runs on the Saturday and Sunday of the change to summer time in Rome.
    organized.start_date, organized.end_date = date(2027, 3, 27), date(2027, 3, 28)
    organized.published = True
    db.session.commit()
    room = make_room(organized, name="Aula Magna", seats=300)
    track = make_track(organized, name="Biomedicine", color="#b3261e")
    speaker = make_speaker(organized, name="Giulia Rossi", email="giulia@example.org")
    organized_question = Question(
        conference=organized, label="Diet", kind="single_choice", choices=["Veg", "Any"]
    )
    db.session.add(organized_question)
    db.session.commit()
    talk = make_talk(
        organized,
        title="Tumour Genomics",
        day=date(2027, 3, 28),
        start="09:30",
        end="10:15",
        room=room,
        track=track,
        speakers=[speaker],
        revision=4,
    )
    db.session.add(
        Registration(
            conference=organized,
            email="a@example.org",
            full_name="A",
            status="confirmed",
            token_hash="b" * 64,
        )
    )
    db.session.commit()

    response = post_form(
        client,
        "/manage/c/pavia/duplicate",
        {"title": "Pavia Days 2028", "slug": "", "start_date": "2028-11-04"},
    )

    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Conference).filter_by(slug="pavia-days-2028"))
    assert response.location == "/manage/c/pavia-days-2028/"
    assert not copy.published
    assert (copy.start_date, copy.end_date) == (date(2028, 11, 4), date(2028, 11, 5))
    assert copy.uuid != organized.uuid
    [copied_talk] = db.session.scalars(sa.select(Talk).filter_by(conference_id=copy.id)).all()
    # 09:30 in Rome stays 09:30 in Rome, though summer time (UTC+2) became winter time (UTC+1).
    assert copied_talk.start_at == at(copy, date(2028, 11, 5), "09:30")
    assert copied_talk.start_at.astimezone(copy.tz).strftime("%H:%M") == "09:30"
    assert copied_talk.end_at.astimezone(copy.tz).strftime("%H:%M") == "10:15"
    assert copied_talk.uuid != talk.uuid and copied_talk.revision == 0
    assert copied_talk.room.name == "Aula Magna" and copied_talk.room.conference_id == copy.id
    assert copied_talk.track.color == "#b3261e" and copied_talk.track.conference_id == copy.id
    assert [s.name for s in copied_talk.speakers] == ["Giulia Rossi"]
    assert copied_talk.speakers[0].id != speaker.id
    assert copied_talk.speakers[0].uuid != speaker.uuid
    copied_question = db.session.scalar(sa.select(Question).filter_by(conference_id=copy.id))
    assert copied_question.choices == ["Veg", "Any"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Registration).filter_by(conference_id=copy.id)
        )
        == 0
    )
    assert (
        db.session.scalar(sa.select(ConferenceRole.role).filter_by(conference_id=copy.id))
        == "organizer"
    )
    [entry] = audit_entries("conference.duplicated")
    assert entry.conference_id == copy.id and entry.before["source"] == "pavia"
    # The source is untouched.
    db.session.refresh(talk)
    assert talk.conference_id == organized.id and talk.revision == 4


def test_duplicating_onto_a_taken_slug_is_refused(app, client, organized):
    make_conference(slug="pavia-2028", title="Already There")

    response = post_form(
        client,
        "/manage/c/pavia/duplicate",
        {"title": "Pavia Days 2028", "slug": "pavia-2028", "start_date": "2028-11-04"},
    )

    assert response.status_code == 400
    assert "already belongs to “Already There”" in response.text
    assert count(Conference) == 2


def test_duplicating_refuses_to_move_a_session_into_an_hour_the_clocks_skip(app, client):
    # 02:30 on Sunday 21 March 2027 in Rome, a week later, is in the spring-forward gap.
    night = make_conference(
        slug="night", timezone="Europe/Rome", start_date=date(2027, 3, 21), published=False
    )
    make_talk(night, title="Night lab", start_at=at(night, date(2027, 3, 21), "02:30"))
    organizer = make_user("night@example.org")
    give_role(organizer, night)
    log_in(client, organizer)

    response = post_form(
        client,
        "/manage/c/night/duplicate",
        {"title": "Night 2", "slug": "night-2", "start_date": "2027-03-28"},
    )

    assert response.status_code == 400
    assert "“Night lab”: 02:30 does not exist" in response.text
    assert count(Conference) == 1


def test_the_workspace_home_lists_only_ones_own_conferences(app, client, organized):
    make_conference(title="Somebody Else's")

    page = client.get("/manage/").text

    assert "Pavia Days" in page
    assert "Somebody Else&#39;s" not in page and "Somebody Else's" not in page
