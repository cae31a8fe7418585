"""The schedule's draft: places collected while published, released in one step."""

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Talk, TalkDraft
from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.schedule import drafts
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.services import update_session
from tests.factories import at, make_conference, make_room, make_talk
from tests.mail.mailbox import calendar_part, deliver
from tests.programme import DAY_ONE, DAY_TWO, build_programme


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def programme(app):
    return build_programme("rome")


def place(conference, room, start: str, end: str, day=DAY_ONE) -> drafts.Place:
    return drafts.Place(at(conference, day, start), at(conference, day, end), room.id)


def outbox() -> list[tuple[str, str]]:
    """The messages recorded (kind, address), reminders left out."""
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OutboxMessage.kind, OutboxMessage.recipient).where(
            OutboxMessage.kind.not_like("%reminder%")
        )
    )
    return sorted((kind, address) for kind, address in rows)


def draft_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(TalkDraft))


def test_a_drop_in_a_published_conference_goes_to_the_draft_and_tells_nobody(programme):
    conference, workshop, hall = programme["conference"], programme["workshop"], programme["hall"]

    saved = drafts.save_place(None, workshop, place(conference, hall, "14:00", "15:00"))

    assert (saved.applied, saved.drafted) == (False, 1)
    assert [str(change) for change in saved.plan.changes] == [
        "11:00–12:00 → 14:00–15:00",
        "Lab → Hall",
    ]
    db.session.rollback()
    published = db.session.get(Talk, workshop.id)
    assert (published.room_id, published.start_at, published.revision) == (
        programme["lab"].id,
        at(conference, DAY_ONE, "11:00"),
        0,
    )
    assert outbox() == []


def test_two_drags_then_release_send_one_update_per_person_for_the_net_change(
    programme, smtp_server
):
    conference, workshop, hall = programme["conference"], programme["workshop"], programme["hall"]
    drafts.save_place(None, workshop, place(conference, hall, "14:00", "15:00"))
    drafts.save_place(None, workshop, place(conference, hall, "15:00", "16:00"))
    assert draft_count() == 1

    released = drafts.release(None, conference)

    assert released.sessions == 1
    assert released.told == {"li.na@example.org", "seat1@example.org", "seat2@example.org"}
    assert draft_count() == 0
    moved = db.session.get(Talk, workshop.id)
    assert (moved.room_id, moved.start_at, moved.revision) == (
        hall.id,
        at(conference, DAY_ONE, "15:00"),
        1,
    )
    messages = deliver(smtp_server)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "li.na@example.org",
        "seat1@example.org",
        "seat2@example.org",
    ]
    assert {m["Subject"] for m in messages} == {"Changed: CAR-T workshop"}
    method, ics = calendar_part(messages[0])
    assert method == "REQUEST" and b"SEQUENCE:1" in ics and b"Hall" in ics


def test_the_release_sends_what_a_direct_change_to_the_same_place_sends(programme):
    conference, workshop, hall = programme["conference"], programme["workshop"], programme["hall"]
    twin = build_programme("milan")
    drafts.save_place(None, workshop, place(conference, hall, "09:00", "10:00", DAY_TWO))
    drafts.save_place(None, workshop, place(conference, hall, "14:00", "15:00"))

    drafts.release(None, conference)
    by_draft = outbox()
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    update_session(
        None,
        twin["workshop"],
        SessionFields(
            start_at=at(twin["conference"], DAY_ONE, "14:00"),
            end_at=at(twin["conference"], DAY_ONE, "15:00"),
            room_id=twin["hall"].id,
        ),
    )

    assert by_draft == outbox()
    assert len(by_draft) == 3


def test_a_place_taken_by_a_published_session_is_refused_with_the_reason(programme):
    conference, workshop, hall = programme["conference"], programme["workshop"], programme["hall"]

    with pytest.raises(Conflict) as refused:
        drafts.save_place(None, workshop, place(conference, hall, "09:30", "10:30"))

    assert "Hall is already taken at that time by “Opening keynote”" in refused.value.message
    assert draft_count() == 0


def test_the_check_is_a_dry_run_that_sees_the_draft(programme):
    conference, workshop, keynote = (
        programme["conference"],
        programme["workshop"],
        programme["keynote"],
    )
    hall = programme["hall"]
    # The keynote leaves the Hall at 09:00 in the draft, and the workshop may take it.
    drafts.save_place(None, keynote, place(conference, hall, "14:00", "15:00"))
    assert not drafts.check_place(workshop, place(conference, hall, "09:00", "10:00")).refused
    # Its new place is taken in the draft.
    taken = drafts.check_place(workshop, place(conference, hall, "14:30", "15:30"))
    assert taken.refused
    assert "“Opening keynote”" in taken.errors["room_id"]
    assert draft_count() == 1


def test_a_place_freed_in_the_draft_can_be_taken_and_both_released_together(programme):
    conference, workshop, keynote = (
        programme["conference"],
        programme["workshop"],
        programme["keynote"],
    )
    hall = programme["hall"]
    drafts.save_place(None, keynote, place(conference, hall, "14:00", "15:00"))
    drafts.save_place(None, workshop, place(conference, hall, "09:00", "10:00"))

    released = drafts.release(None, conference)

    assert released.sessions == 2
    db.session.rollback()
    assert db.session.get(Talk, workshop.id).start_at == at(conference, DAY_ONE, "09:00")
    assert db.session.get(Talk, keynote.id).start_at == at(conference, DAY_ONE, "14:00")


def test_a_release_that_a_later_change_made_impossible_applies_nothing(programme):
    conference, workshop, keynote = (
        programme["conference"],
        programme["workshop"],
        programme["keynote"],
    )
    hall = programme["hall"]
    drafts.save_place(None, workshop, place(conference, hall, "14:00", "15:00"))
    drafts.draft_cancel(None, keynote)
    # Meanwhile someone puts another session in that place directly.
    other = make_talk(conference, title="Press briefing", day=DAY_ONE, start="16:00", end="17:00")
    update_session(
        None,
        other,
        SessionFields(
            start_at=at(conference, DAY_ONE, "14:30"),
            end_at=at(conference, DAY_ONE, "15:30"),
            room_id=hall.id,
        ),
    )
    before = outbox()

    with pytest.raises(Conflict) as refused:
        drafts.release(None, conference)

    assert "“CAR-T workshop”" in refused.value.message
    assert "Press briefing" in refused.value.message
    assert draft_count() == 2
    assert db.session.get(Talk, keynote.id).status == "scheduled"
    assert outbox() == before


def test_apply_now_releases_one_session_and_keeps_the_rest(programme):
    conference, workshop, keynote = (
        programme["conference"],
        programme["workshop"],
        programme["keynote"],
    )
    drafts.save_place(None, workshop, place(conference, programme["hall"], "14:00", "15:00"))
    drafts.draft_cancel(None, keynote)

    released = drafts.release(None, conference, keynote.id)

    assert released.sessions == 1
    assert db.session.get(Talk, keynote.id).status == "cancelled"
    assert [row.talk_id for row in drafts.draft_rows(conference)] == [workshop.id]
    # The keynote opened the conference: its attendees learn the conference's new times.
    assert outbox() == [
        ("conference_updated", "seat1@example.org"),
        ("conference_updated", "seat2@example.org"),
        ("session_cancelled", "rossi@example.org"),
    ]


def test_moving_a_session_back_to_its_published_place_empties_its_draft_row(programme):
    conference, workshop = programme["conference"], programme["workshop"]
    drafts.save_place(None, workshop, place(conference, programme["hall"], "14:00", "15:00"))

    saved = drafts.save_place(None, workshop, place(conference, programme["lab"], "11:00", "12:00"))

    assert saved.drafted == 0
    assert draft_count() == 0


def test_a_published_session_cannot_go_back_to_the_tray(programme):
    workshop = programme["workshop"]

    with pytest.raises(Invalid) as refused:
        drafts.save_place(None, workshop, drafts.Place(None, None, None))

    assert "cancel it instead" in refused.value.message


def test_the_draft_lists_what_changes_and_who_is_affected(programme):
    conference, workshop, keynote = (
        programme["conference"],
        programme["workshop"],
        programme["keynote"],
    )
    unscheduled = make_talk(conference, title="Poster walk", start_at=None, end_at=None)
    drafts.save_place(None, workshop, place(conference, programme["hall"], "14:00", "15:00"))
    drafts.save_place(None, unscheduled, place(conference, programme["lab"], "16:00", "17:00"))
    drafts.draft_cancel(None, keynote)

    found = {change.talk.title: change for change in drafts.draft_changes(conference)}

    assert {title: change.kind for title, change in found.items()} == {
        "CAR-T workshop": drafts.MOVED,
        "Poster walk": drafts.SCHEDULED,
        "Opening keynote": drafts.CANCELLED,
    }
    moved = found["CAR-T workshop"]
    assert (moved.seat_holders, moved.waiting, moved.speakers, moved.plan.notified) == (2, 0, 1, 3)
    # The keynote opens the conference: its speaker and both attendees are told.
    assert found["Opening keynote"].plan.notified == 3


def test_discarding_forgets_the_draft_and_is_audited(programme):
    conference, workshop = programme["conference"], programme["workshop"]
    drafts.save_place(None, workshop, place(conference, programme["hall"], "14:00", "15:00"))

    assert drafts.discard(None, conference) == 1

    assert draft_count() == 0
    assert db.session.get(Talk, workshop.id).room_id == programme["lab"].id
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["schedule.draft_saved", "schedule.draft_discarded"]


def test_an_empty_draft_has_nothing_to_release(programme):
    with pytest.raises(Invalid):
        drafts.release(None, programme["conference"])


def test_before_publishing_a_drop_applies_at_once(app):
    conference = make_conference(published=False)
    room = make_room(conference, name="Aula Magna")
    talk = make_talk(conference, title="Rehearsal")

    saved = drafts.save_place(
        None, talk, place(conference, room, "15:00", "16:00", conference.start_date)
    )

    assert saved.applied
    assert draft_count() == 0
    assert db.session.get(Talk, talk.id).room_id == room.id


def test_when_several_sessions_move_the_conference_its_attendees_get_one_update(programme):
    conference, keynote = programme["conference"], programme["keynote"]
    closing = db.session.scalars(sa.select(Talk).filter_by(title="Closing")).one()
    drafts.draft_cancel(None, keynote)  # the first session
    drafts.save_place(
        None, closing, place(conference, programme["hall"], "18:00", "19:00", DAY_TWO)
    )

    released = drafts.release(None, conference)

    assert released.span_told == {"seat1@example.org", "seat2@example.org"}
    updates = [address for kind, address in outbox() if kind == "conference_updated"]
    assert updates == ["seat1@example.org", "seat2@example.org"]
