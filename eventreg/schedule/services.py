"""Creating, changing and cancelling sessions: the one write path the workspace forms, the
organizer API, the command line and the demo loader share.

Each action is one ``write_transaction()``: it locks the conference, plans the change again
under that lock (see :mod:`eventreg.schedule.changes`; a preview read earlier may be stale),
refuses what the plan refuses (``Invalid``, or ``Conflict`` naming the other session), then
writes the change, the promotions from the session's waiting list, the messages (outbox
rows) and the audit entry, and commits them together.

A change people's calendars show (time, room, title, speakers, status) raises the session's
``revision`` (its iCalendar SEQUENCE) and sends an update with the same UID to the
attendees holding a seat and to the speakers; cancelling sends them METHOD:CANCEL. When the
change moves the conference's own span, confirmed attendees get an update of the conference
event as well. Other edits (an abstract, the kind, the track, the seats) are saved and
audited without mailing anyone.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Speaker, Talk
from eventreg.conferences.services import audited
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.invites.messages import speaker_person
from eventreg.registration import reminders
from eventreg.registration import services as registration
from eventreg.registration.models import Registration, SessionSignup
from eventreg.registration.notifications import attendee
from eventreg.schedule import notifications, speaker_portal
from eventreg.schedule.changes import (
    ConferenceFacts,
    Notice,
    SessionFields,
    SessionPlan,
    SessionValues,
    plan_cancel,
    plan_create,
    plan_update,
)

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
    "online_url",
    "translations",
    "languages",
    "interpretation",
)


@dataclass(frozen=True)
class SessionSaved:
    talk: Talk
    plan: SessionPlan
    promoted: tuple[SessionSignup, ...] = ()  # sign-ups moved off the waiting list

    @property
    def notified(self) -> int:
        """How many people were told."""
        return self.plan.notified


def snapshot(talk: Talk) -> dict[str, Any]:
    values = audited(talk, SESSION_AUDIT_FIELDS)
    values["speaker_ids"] = sorted(speaker.id for speaker in talk.speakers)
    return values


def create_session(
    actor: audit.Actor, conference: Conference, proposal: SessionFields
) -> SessionSaved:
    """Add a session, scheduled (start, end, maybe a room) or not yet (no time). A
    scheduled session's speakers get its invite; nobody holds a seat in it yet."""
    with write_transaction(), registration.conference_write(conference.id) as conference:
        plan = plan_create(conference, proposal)
        talk = _create(actor, conference, plan)
        _send(plan, talk, conference)
        _remind(plan, talk, conference)
    return SessionSaved(talk, plan)


def create_sessions(
    actor: audit.Actor, conference: Conference, proposals: Iterable[SessionFields]
) -> list[Talk]:
    """Add many sessions in one transaction, as the demo and benchmark loaders do: every
    rule is checked as for :func:`create_session` (each against the others too), each
    session is audited, and nobody is mailed (nobody holds a seat in a new session;
    speakers can be sent their invites afterwards with :func:`invite_speakers`). Any
    refusal adds none of them."""
    with write_transaction(), registration.conference_write(conference.id) as conference:
        facts = ConferenceFacts(conference, in_memory=True)
        plans = []
        for proposal in proposals:
            plan = plan_create(conference, proposal, notify=False, facts=facts)
            _refuse(plan)
            facts.add(plan)
            plans.append(plan)
        talks = [
            _new_talk(conference, plan, facts.speakers(plan.after.speaker_ids)) for plan in plans
        ]
        db.session.add_all(talks)
        db.session.flush()
        for talk in talks:
            _audit_created(actor, conference, talk)
    return talks


def update_session(actor: audit.Actor, talk: Talk, proposal: SessionFields) -> SessionSaved:
    """Apply the proposed fields; a new capacity promotes from the session's waiting list."""
    talk_id, conference_id = talk.id, talk.conference_id
    with write_transaction(), registration.conference_write(conference_id) as conference:
        talk = registration.locked_talk(talk_id)
        return apply_update(actor, conference, talk, plan_update(talk, proposal))


def apply_update(
    actor: audit.Actor, conference: Conference, talk: Talk, plan: SessionPlan
) -> SessionSaved:
    """Apply a plan of ``talk`` made under the conference's lock, inside the caller's
    transaction (see :func:`update_session`; releasing a draft applies several)."""
    _refuse(plan)
    if not plan.changes:
        return SessionSaved(talk, plan)
    before = snapshot(talk)
    after = plan.after
    talk.title, talk.abstract, talk.kind = after.title, after.abstract, after.kind
    talk.track_id, talk.room_id = after.track_id, after.room_id
    talk.start_at, talk.end_at = after.start_at, after.end_at
    talk.online_url = after.online_url
    _set_languages(talk, after)
    if plan.changed("speakers"):
        talk.speakers = _speakers(after.speaker_ids)
    if plan.calendar_changed:
        talk.revision = (talk.revision or 0) + 1
    db.session.flush()
    db.session.expire(talk, ["room", "track"])  # set by id: loaded again when read
    promoted: tuple[SessionSignup, ...] = ()
    if plan.changed("capacity"):
        promoted = tuple(registration.set_talk_capacity(talk, after.capacity))
    _send(plan, talk, conference)
    _remind(plan, talk, conference)
    old, new = audit.changed(before, snapshot(talk))
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
    return SessionSaved(talk, plan, promoted)


def cancel_session(actor: audit.Actor, talk: Talk) -> SessionSaved:
    """Cancel a session: attendees holding a seat and speakers get METHOD:CANCEL.

    Seats are kept (the session stays visible as cancelled); cancelling twice does nothing.
    """
    talk_id, conference_id = talk.id, talk.conference_id
    with write_transaction(), registration.conference_write(conference_id) as conference:
        talk = registration.locked_talk(talk_id)
        return apply_cancel(actor, conference, talk, plan_cancel(talk))


def apply_cancel(
    actor: audit.Actor, conference: Conference, talk: Talk, plan: SessionPlan
) -> SessionSaved:
    """Apply a cancellation planned under the conference's lock, inside the caller's
    transaction (see :func:`cancel_session`)."""
    if not plan.changes:
        return SessionSaved(talk, plan)
    talk.status = "cancelled"
    talk.revision = (talk.revision or 0) + 1
    db.session.flush()
    _send(plan, talk, conference)
    _remind(plan, talk, conference)
    audit.log(
        actor,
        "session.cancelled",
        talk,
        conference_id=conference.id,
        summary=talk.title,
        before={"status": "scheduled"},
        after={"status": talk.status},
    )
    return SessionSaved(talk, plan)


def tell_span_moved(conference: Conference) -> frozenset[str]:
    """The conference's own event moved (after several sessions were applied at once, with
    their plans' ``conference_updated`` notices held back): one update to each confirmed
    attendee, as a single session change sends it. Returns the addresses told."""
    conference.revision = (conference.revision or 0) + 1
    db.session.flush()
    stamp = utcnow()
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status == "confirmed",
            Registration.email.is_not(None),
        )
        .order_by(Registration.id)
    ).all()
    for one in registrations:
        notifications.conference_updated(one, stamp)
    reminders.refresh_conference(conference, sessions=False)
    return frozenset(cast(str, one.email).lower() for one in registrations)


def invite_speakers(conference: Conference) -> int:
    """Send each speaker the invite of every scheduled session they speak in, in one
    transaction.

    Safe to run again: the same UID and SEQUENCE with a newer DTSTAMP is just a refresh.
    Each speaker's invites carry a new private link (see ``speaker_portal``), which ends
    the one sent before. Returns the number of invites recorded.
    """
    with write_transaction():
        stamp = utcnow()
        talks = db.session.scalars(
            sa.select(Talk)
            .where(
                Talk.conference_id == conference.id,
                Talk.start_at.is_not(None),
                Talk.status == "scheduled",
            )
            .options(selectinload(Talk.speakers), selectinload(Talk.room))
            .order_by(Talk.start_at, Talk.id)
        ).all()
        sent = 0
        links: dict[int, str] = {}
        for talk in talks:
            for speaker in talk.speakers:
                if speaker.email and speaker.id not in links:
                    links[speaker.id] = speaker_portal.new_link(None, speaker)
                sent += notifications.speaker_invited(speaker, talk, stamp, links.get(speaker.id))
        # Their reminders as well, recorded afresh so that running this again adds none.
        speakers = {speaker.id: speaker for talk in talks for speaker in talk.speakers}
        for speaker in speakers.values():
            reminders.drop_for_speaker(speaker)
            reminders.record_for_speaker(speaker)
    return sent


# --- helpers ------------------------------------------------------------------------------


def _refuse(plan: SessionPlan) -> None:
    refusal = plan.refusal()
    if refusal is not None:
        raise refusal


def _create(actor: audit.Actor, conference: Conference, plan: SessionPlan) -> Talk:
    _refuse(plan)
    talk = _new_talk(conference, plan, _speakers(plan.after.speaker_ids))
    db.session.add(talk)
    db.session.flush()
    _audit_created(actor, conference, talk)
    return talk


def _set_languages(talk: Talk, after: SessionValues) -> None:
    # New objects, so that the JSON columns are seen to change.
    talk.translations = {language: dict(texts) for language, texts in after.translations.items()}
    talk.languages = list(after.languages)
    talk.interpretation = after.interpretation


def _new_talk(conference: Conference, plan: SessionPlan, speakers: list[Speaker]) -> Talk:
    after = plan.after
    talk = Talk(
        conference=conference,
        title=after.title,
        abstract=after.abstract,
        kind=after.kind,
        track_id=after.track_id,
        room_id=after.room_id,
        capacity=after.capacity,
        online_url=after.online_url,
        start_at=after.start_at,
        end_at=after.end_at,
        speakers=speakers,
    )
    _set_languages(talk, after)
    return talk


def _audit_created(actor: audit.Actor, conference: Conference, talk: Talk) -> None:
    audit.log(
        actor,
        "session.created",
        talk,
        conference_id=conference.id,
        summary=talk.title,
        after=snapshot(talk),
    )


def _speakers(ids: Collection[int]) -> list[Speaker]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(ids))))


def _send(plan: SessionPlan, talk: Talk, conference: Conference) -> None:
    """Record the plan's messages, after the change is flushed (they describe the
    session and the conference as they now are)."""
    if plan.span_moves:
        conference.revision = (conference.revision or 0) + 1
        db.session.flush()
    if not plan.notices:
        return
    stamp = utcnow()
    speakers = {s.id: s for s in _speakers({n.speaker_id for n in plan.notices if n.speaker_id})}
    registration_ids = {n.registration_id for n in plan.notices if n.registration_id}
    registrations = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.id.in_(registration_ids))
        )
    }
    for notice in plan.notices:
        _tell(notice, plan, talk, speakers, registrations, stamp)


def _remind(plan: SessionPlan, talk: Talk, conference: Conference) -> None:
    """Record the session's reminders again after a change its calendars follow (time, room,
    title, speakers, link, status), and the conference's when its span moved."""
    if plan.action == "update" and not plan.calendar_changed:
        return
    if plan.span_moves:
        reminders.refresh_conference(conference, sessions=False)
    reminders.refresh_session(talk, plan.before.speaker_ids if plan.before else ())


def _tell(
    notice: Notice,
    plan: SessionPlan,
    talk: Talk,
    speakers: dict[int, Speaker],
    registrations: dict[int, Registration],
    stamp: datetime,
) -> None:
    # Notices that name no speaker go to a registration.
    if notice.kind == "conference_updated":
        notifications.conference_updated(registrations[cast(int, notice.registration_id)], stamp)
        return
    if notice.speaker_id is not None:
        speaker = speakers[notice.speaker_id]
        if notice.kind == "speaker_invited":
            notifications.speaker_invited(speaker, talk, stamp)
            return
        if notice.kind == "speaker_removed":
            notifications.speaker_removed(speaker, talk, stamp)
            return
        person = speaker_person(speaker)
    else:
        person = attendee(registrations[cast(int, notice.registration_id)])
    if notice.kind == "session_cancelled":
        notifications.session_cancelled(person, talk, stamp)
    else:
        notifications.session_updated(person, talk, plan.mail_changes, stamp)
