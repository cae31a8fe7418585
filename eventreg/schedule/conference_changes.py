"""Changes to a whole conference that reach its attendees: new details or capacity (the
waiting list moves up at once), and next year's edition copied from this one."""

from copy import deepcopy
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventreg.accounts.models import User
from eventreg.conferences.models import Conference, ConferenceRole, Room, Speaker, Talk, Track
from eventreg.conferences.services import (
    CONFERENCE_FIELDS,
    ROOM_FIELDS,
    SPEAKER_FIELDS,
    TRACK_FIELDS,
    audited,
    clean_conference,
    copy_row,
    field_values,
    insert_or_refuse,
    shift_instant,
    slug_taken,
)
from eventreg.core import audit
from eventreg.core.db import write_transaction
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.registration import access, reminders
from eventreg.registration import services as registration
from eventreg.registration.categories import CATEGORY_FIELDS
from eventreg.registration.models import Answer, Question
from eventreg.registration.questions import QUESTION_FIELDS

# What a reminder e-mail says or when it goes out: a change to one of these records the
# pending reminders again (every session's, or only the conference's own).
SESSION_REMINDER_INPUTS = frozenset(
    {
        "title",
        "slug",
        "venue",
        "address",
        "organizer_name",
        "organizer_email",
        "session_reminder_minutes",
        "invite_alarm_minutes",
    }
)
CONFERENCE_REMINDER_INPUTS = SESSION_REMINDER_INPUTS | {
    "description",
    "timezone",
    "start_date",
    "end_date",
    "conference_reminder_minutes",
}


def update_conference(actor: User, conference: Conference, **values: Any) -> Conference:
    """Change a conference's details. A new capacity takes effect at once: raising it gives
    the freed seats to the waiting list in the same transaction, audited with the change.
    Pending reminders that the change makes wrong (their time, their words) are recorded
    again in the same transaction."""
    with registration.conference_write(conference.id) as locked:
        values = clean_conference(values, existing=locked)
        before = audited(locked, CONFERENCE_FIELDS)
        old_language = locked.main_language
        try:
            with db.session.begin_nested():
                for field, value in values.items():
                    setattr(locked, field, value)
                if values["main_language"] != old_language:
                    switch_main_language(locked, old_language, values["main_language"])
                db.session.flush()
        except IntegrityError:
            raise slug_taken(values["slug"]) from None
        promoted = registration.promote_waiting(locked)
        old, new = audit.changed(before, audited(locked, CONFERENCE_FIELDS))
        if SESSION_REMINDER_INPUTS & set(new):
            reminders.refresh_conference(locked)
        elif CONFERENCE_REMINDER_INPUTS & set(new):
            reminders.refresh_conference(locked, sessions=False)
        if new:
            summary = locked.title
            if promoted:
                summary += " — " + _("%(n)d promoted from the waiting list", n=len(promoted))
            audit.log(
                actor,
                "conference.updated",
                locked,
                conference_id=locked.id,
                summary=summary,
                before=old,
                after=new,
            )
        return locked


def switch_main_language(conference: Conference, old: str, new: str) -> None:
    """The columns of the conference and of everything written for it take the texts in
    ``new``, and the texts they held move to the translations under ``old``. A text not
    written in ``new`` stays in its column: readers get it as before, never a blank."""
    rows: list[Any] = [conference]
    for model in (Room, Track, Speaker, Talk, Question):
        rows += db.session.scalars(sa.select(model).filter_by(conference_id=conference.id))
    for row in rows:
        before = list(row.choices or []) if isinstance(row, Question) else None
        _swap_texts(row, old, new)
        if before is not None and before != list(row.choices or []):
            _rename_answers(row, dict(zip(before, row.choices, strict=True)))


def _rename_answers(question: Question, renamed: dict[str, str]) -> None:
    """Answers store the main-language choice: they follow it into the new main language,
    so that each choice keeps one count."""
    for answer in db.session.scalars(sa.select(Answer).filter_by(question_id=question.id)):
        if isinstance(answer.value, str):
            answer.value = renamed.get(answer.value, answer.value)
        elif isinstance(answer.value, list):
            answer.value = [renamed.get(choice, choice) for choice in answer.value]


def _swap_texts(row: Any, old: str, new: str) -> None:
    texts = {language: dict(found) for language, found in (row.translations or {}).items()}
    incoming, outgoing = texts.pop(new, {}), {}
    for field in row.translated_fields:
        current = getattr(row, field)
        if current:
            outgoing[field] = list(current) if isinstance(current, list) else current
        replacement = incoming.get(field)
        # A list (a question's choices) only as long as the one it replaces.
        if replacement and (not isinstance(current, list) or len(replacement) == len(current)):
            setattr(row, field, replacement)
    if outgoing:
        texts[old] = outgoing
    row.translations = texts


def duplicate_conference(
    actor: User, source: Conference, *, title: str, slug: str, start_date: date
) -> Conference:
    """A draft copy of ``source`` starting on ``start_date``: its rooms, tracks, speakers,
    questions and sessions come along, every date moved by the same number of days (wall-clock
    times stay as they were, across DST changes too). Registrations and roles do not come
    along, except that the person copying becomes an organizer of the copy."""
    if not isinstance(start_date, date):
        raise Invalid({"start_date": _("Give the first day of the new conference.")})
    with write_transaction():
        shift = start_date - source.start_date
        tz = source.tz
        values = field_values(source, CONFERENCE_FIELDS)
        values.update(
            title=title,
            slug=slug,
            start_date=start_date,
            end_date=source.end_date + shift,
            registration_opens_at=shift_instant(source.registration_opens_at, shift, tz),
            registration_closes_at=shift_instant(source.registration_closes_at, shift, tz),
        )
        cleaned = clean_conference(values, existing=None)
        copy = Conference(published=False, **cleaned)
        insert_or_refuse(copy, lambda: slug_taken(cleaned["slug"]))
        # Looked up by a session's room and track, which may be none.
        rooms: dict[int | None, Room] = {
            room.id: copy_row(room, copy, ROOM_FIELDS) for room in source.rooms
        }
        tracks: dict[int | None, Track] = {
            track.id: copy_row(track, copy, TRACK_FIELDS) for track in source.tracks
        }
        speakers = {
            speaker.id: copy_row(speaker, copy, SPEAKER_FIELDS)
            for speaker in db.session.scalars(sa.select(Speaker).filter_by(conference_id=source.id))
        }
        # Categories come along (access codes and invitations are for one edition only), and
        # each question stays asked of its category's copy.
        categories = {
            category.id: copy_row(category, copy, CATEGORY_FIELDS)
            for category in access.categories(source.id)
        }
        db.session.flush()
        for question in db.session.scalars(sa.select(Question).filter_by(conference_id=source.id)):
            twin = copy_row(question, copy, QUESTION_FIELDS)
            if question.category_id is not None:
                twin.category_id = categories[question.category_id].id
        talks = db.session.scalars(sa.select(Talk).filter_by(conference_id=source.id)).all()
        for talk in talks:
            try:
                start_at = shift_instant(talk.start_at, shift, tz)
                end_at = shift_instant(talk.end_at, shift, tz)
            except Invalid as refusal:  # the session would land in a skipped hour
                raise Invalid(
                    {"start_date": f"“{talk.title}”: {refusal.errors['start_date']}"}
                ) from refusal
            db.session.add(
                Talk(
                    conference=copy,
                    title=talk.title,
                    abstract=talk.abstract,
                    kind=talk.kind,
                    start_at=start_at,
                    end_at=end_at,
                    room=rooms.get(talk.room_id),
                    track=tracks.get(talk.track_id),
                    capacity=talk.capacity,
                    online_url=talk.online_url,
                    translations=deepcopy(talk.translations or {}),
                    languages=list(talk.languages or []),
                    interpretation=talk.interpretation,
                    status="scheduled",
                    speakers=[speakers[speaker.id] for speaker in talk.speakers],
                )
            )
        if not actor.is_admin:
            db.session.add(
                ConferenceRole(user_id=actor.id, conference_id=copy.id, role="organizer")
            )
        db.session.flush()
        audit.log(
            actor,
            "conference.duplicated",
            copy,
            conference_id=copy.id,
            summary=_("Copied from “%(title)s”", title=source.title),
            before={"source": source.slug, "source_start_date": source.start_date.isoformat()},
            after=audited(copy, CONFERENCE_FIELDS),
        )
        return copy
