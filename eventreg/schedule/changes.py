"""Organizers' changes to sessions: the one path the workspace forms and the organizer API share.

Each operation calls the schedule services (which lock, check conflicts, notify attendees
and speakers, and commit), applies a capacity change through the registration services
(which promote from the session's waiting list), and then records the audit entry.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Talk
from eventreg.core import audit
from eventreg.core.extensions import db
from eventreg.registration import services as registration_services
from eventreg.schedule import services as schedule

# What the audit log keeps of a session, before and after each change.
SESSION_AUDIT_FIELDS = (
    "title",
    "abstract",
    "kind",
    "track_id",
    "room_id",
    "start_at",
    "end_at",
    "capacity",
    "status",
)

# A capacity argument that was not given (None means "no limit").
UNCHANGED = object()


@dataclass
class SessionSaved:
    talk: Talk
    notified: int  # people sent an updated invitation
    promoted: list = field(default_factory=list)  # sign-ups moved off the waiting list


def snapshot(talk: Talk) -> dict:
    values = audit.snapshot(talk, SESSION_AUDIT_FIELDS)
    values["speaker_ids"] = sorted(speaker.id for speaker in talk.speakers)
    return values


def create_session(actor, conference: Conference, **fields) -> Talk:
    """Add a session (``schedule.create_talk`` fields); raises ``ScheduleError``."""
    talk = schedule.create_talk(conference, **fields)
    audit.log(
        actor,
        "session.created",
        talk,
        conference_id=conference.id,
        summary=talk.title,
        after=snapshot(talk),
    )
    db.session.commit()
    return talk


def update_session(
    actor, conference: Conference, talk: Talk, changes: dict, capacity=UNCHANGED
) -> SessionSaved:
    """Apply ``changes`` (``schedule.update_talk`` keywords) and a new capacity if given."""
    if talk.cancelled:
        raise schedule.ScheduleError(_("A cancelled session cannot be changed."))
    talk_id = talk.id
    before = snapshot(talk)
    notified = schedule.update_talk(talk, **changes) if changes else 0
    promoted = []
    if capacity is not UNCHANGED and capacity != before["capacity"]:
        promoted = registration_services.set_talk_capacity(db.session.get(Talk, talk_id), capacity)
    talk = db.session.get(Talk, talk_id)
    db.session.refresh(talk)
    old, new = audit.changed(before, snapshot(talk))
    if old or new:
        summary = talk.title
        if promoted:
            summary += " — " + _("%(n)d promoted from the waiting list", n=len(promoted))
        audit.log(
            actor,
            "session.updated",
            talk,
            conference_id=conference.id,
            summary=summary,
            before=old,
            after=new,
        )
        db.session.commit()
    return SessionSaved(talk, notified, promoted)


def cancel_session(actor, conference: Conference, talk: Talk) -> int:
    """Cancel the session; returns how many people were notified (0 if already cancelled)."""
    if talk.cancelled:
        return 0
    talk_id = talk.id
    notified = schedule.cancel_talk(talk)
    talk = db.session.get(Talk, talk_id)
    audit.log(
        actor,
        "session.cancelled",
        talk,
        conference_id=conference.id,
        summary=talk.title,
        before={"status": "scheduled"},
        after={"status": talk.status},
    )
    db.session.commit()
    return notified
