"""Running a conference: its details, rooms, tracks, speakers and registration questions.

Plain functions that the workspace views, the API and the command line all call. Each one
checks its input (raising ``Invalid`` with a message per field), writes the change together
with its audit entry, and commits; nothing is ever half-written.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy.exc import IntegrityError

from eventreg.conferences.models import COLOR_PATTERN, Conference, Room, Track
from eventreg.extensions import db
from eventreg.organizers import audit
from eventreg.organizers.errors import Invalid
from eventreg.organizers.models import ConferenceRole, User
from eventreg.organizers.services import normalise_email
from eventreg.registration import services as registration
from eventreg.registration.models import QUESTION_KINDS, Answer, Question
from eventreg.schedule.models import Speaker, Talk, talk_speaker
from eventreg.timeutil import is_valid_timezone, local_instant

CONFERENCE_FIELDS = (
    "title",
    "slug",
    "description",
    "venue",
    "address",
    "timezone",
    "start_date",
    "end_date",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "organizer_name",
    "organizer_email",
    "privacy_notice",
)
ROOM_FIELDS = ("name", "description", "seats", "position")
TRACK_FIELDS = ("name", "description", "color")
SPEAKER_FIELDS = ("name", "title", "affiliation", "bio", "email")
QUESTION_FIELDS = ("label", "help_text", "kind", "required", "choices", "position")
CHOICE_KINDS = ("single_choice", "multiple_choice")

# The longest value each text column holds; longer input is refused, never truncated.
MAX_LENGTHS = {
    "title": 200,
    "slug": 80,
    "venue": 200,
    "address": 300,
    "organizer_name": 200,
    "name": 120,
    "label": 300,
    "help_text": 500,
    "affiliation": 200,
    "description": 20000,
    "bio": 20000,
    "privacy_notice": 20000,
}
MAX_CHOICE_LENGTH = 200


# --- conferences ------------------------------------------------------------------------


def create_conference(actor: User, **values) -> Conference:
    """A new draft conference; its creator becomes one of its organizers."""
    values = _clean_conference(values, existing=None)
    conference = Conference(published=False, **values)
    db.session.add(conference)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _slug_taken(values["slug"]) from None
    if not actor.is_admin:
        db.session.add(
            ConferenceRole(user_id=actor.id, conference_id=conference.id, role="organizer")
        )
    audit.log(
        actor,
        "conference.created",
        conference,
        conference_id=conference.id,
        summary=conference.title,
        after=audit.snapshot(conference, CONFERENCE_FIELDS),
    )
    db.session.commit()
    return conference


def update_conference(actor: User, conference: Conference, **values) -> Conference:
    """Change a conference's details. A new capacity takes effect at once: raising it gives
    the freed seats to the waiting list in the same transaction."""
    values = _clean_conference(values, existing=conference)
    before = audit.snapshot(conference, CONFERENCE_FIELDS)
    try:
        with registration.conference_write(conference.id) as locked:
            for field, value in values.items():
                setattr(locked, field, value)
            db.session.flush()
            promoted = registration.promote_waiting(locked)
            old, new = audit.changed(before, audit.snapshot(locked, CONFERENCE_FIELDS))
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
    except IntegrityError:
        raise _slug_taken(values["slug"]) from None
    return locked


def set_published(actor: User, conference: Conference, published: bool) -> Conference:
    if conference.published == published:
        return conference
    conference.published = published
    audit.log(
        actor,
        "conference.published" if published else "conference.unpublished",
        conference,
        conference_id=conference.id,
        summary=conference.title,
        before={"published": not published},
        after={"published": published},
    )
    db.session.commit()
    return conference


def _clean_conference(values: dict, existing: Conference | None) -> dict:
    unknown = set(values) - set(CONFERENCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown conference fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    cleaned = {field: values.get(field) for field in CONFERENCE_FIELDS}
    for field in ("title", "description", "venue", "address", "organizer_name", "privacy_notice"):
        cleaned[field] = (cleaned[field] or "").strip()
    _check_lengths(cleaned, errors)
    if not cleaned["title"]:
        errors["title"] = _("Give the conference a title.")

    slug = (cleaned["slug"] or "").strip() or slugify(cleaned["title"], max_length=80)
    if slug != slugify(slug, max_length=80) or not slug:
        errors["slug"] = _(
            "Use only lower-case letters, digits and hyphens, e.g. %(example)s.",
            example=slugify(slug or cleaned["title"] or "my-conference", max_length=80)
            or "my-conference",
        )
    elif "slug" not in errors:
        clash = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
        if clash is not None and clash is not existing:
            errors["slug"] = _slug_taken(slug, clash).errors["slug"]
    cleaned["slug"] = slug

    zone = (cleaned["timezone"] or "").strip()
    if not is_valid_timezone(zone):
        errors["timezone"] = _(
            "Use a time zone name from the IANA database, such as Asia/Shanghai or Europe/Rome."
        )
    cleaned["timezone"] = zone

    start, end = cleaned["start_date"], cleaned["end_date"]
    if not isinstance(start, date):
        errors["start_date"] = _("Give the first day of the conference.")
    if not isinstance(end, date):
        errors["end_date"] = _("Give the last day of the conference.")
    elif isinstance(start, date) and end < start:
        errors["end_date"] = _("The last day cannot be before the first day.")

    capacity = cleaned["capacity"]
    if capacity is not None and (not isinstance(capacity, int) or capacity < 0):
        errors["capacity"] = _("Give a number of seats (0 or more), or leave it empty.")

    try:
        cleaned["organizer_email"] = normalise_email(
            cleaned["organizer_email"] or "", field="organizer_email"
        )
    except Invalid as error:
        errors.update(error.errors)

    if "timezone" not in errors:
        tz = ZoneInfo(zone)
        opens = _aware(cleaned["registration_opens_at"], tz)
        closes = _aware(cleaned["registration_closes_at"], tz)
        if opens and closes and closes <= opens:
            errors["registration_closes_at"] = _("Registration must close after it opens.")
        cleaned["registration_opens_at"], cleaned["registration_closes_at"] = opens, closes

    if existing is not None and not errors:
        errors.update(_check_sessions_still_fit(existing, cleaned))
    if errors:
        raise Invalid(errors)
    return cleaned


def _aware(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Wall-clock times from a form are read in the conference's own zone."""
    if value is None or value.tzinfo is not None:
        return value
    return local_instant(value.date(), value.time(), tz)


def _check_sessions_still_fit(conference: Conference, cleaned: dict) -> dict[str, str]:
    """A conference cannot move away from under its scheduled sessions."""
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id)
        .where(Talk.start_at.is_not(None))
        .order_by(Talk.start_at)
    ).all()
    if not talks:
        return {}
    if cleaned["timezone"] != conference.timezone:
        return {
            "timezone": _(
                "Sessions are scheduled (e.g. “%(title)s”): the time zone can only change "
                "while no session has a time.",
                title=talks[0].title,
            )
        }
    tz = ZoneInfo(cleaned["timezone"])
    for talk in talks:
        if talk.start_at.astimezone(tz).date() < cleaned["start_date"]:
            return {"start_date": _("“%(title)s” is scheduled before this day.", title=talk.title)}
        # A session ending at midnight still belongs to the day before.
        last_moment = talk.end_at - timedelta(microseconds=1)
        if last_moment.astimezone(tz).date() > cleaned["end_date"]:
            return {"end_date": _("“%(title)s” is scheduled after this day.", title=talk.title)}
    return {}


def _slug_taken(slug: str, clash: Conference | None = None) -> Invalid:
    if clash is None:
        clash = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
    title = clash.title if clash else slug
    return Invalid(
        {
            "slug": _(
                "The address /c/%(slug)s/ already belongs to “%(title)s”. Choose another one.",
                slug=slug,
                title=title,
            )
        }
    )


def _check_lengths(values: dict, errors: dict[str, str]) -> None:
    for field, value in values.items():
        limit = MAX_LENGTHS.get(field)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[field] = _("Use at most %(n)d characters.", n=limit)


# --- rooms, tracks, speakers and questions ------------------------------------------------


def save_room(actor: User, conference: Conference, room: Room | None = None, **values) -> Room:
    errors: dict[str, str] = {}
    values = _strip(values, ROOM_FIELDS)
    _check_lengths(values, errors)
    if not values["name"]:
        errors["name"] = _("Give the room a name.")
    seats = values.get("seats")
    if seats is not None and (not isinstance(seats, int) or seats < 0):
        errors["seats"] = _("Give a number of seats (0 or more), or leave it empty.")
    values["position"] = values.get("position") or 0
    _check_unique_name(Room, conference, room, values["name"], errors)
    if errors:
        raise Invalid(errors)
    return _save(actor, conference, Room, room, values, ROOM_FIELDS, values["name"])


def delete_room(actor: User, conference: Conference, room: Room) -> None:
    used = db.session.scalar(sa.select(Talk).filter_by(room_id=room.id).limit(1))
    if used is not None:
        raise Invalid(
            {
                "": _(
                    "“%(room)s” is the room of “%(title)s”; move its sessions first.",
                    room=room.name,
                    title=used.title,
                )
            }
        )
    _delete(actor, conference, room, ROOM_FIELDS, room.name)


def save_track(actor: User, conference: Conference, track: Track | None = None, **values) -> Track:
    errors: dict[str, str] = {}
    values = _strip(values, TRACK_FIELDS)
    _check_lengths(values, errors)
    if not values["name"]:
        errors["name"] = _("Give the track a name.")
    values["color"] = values["color"] or "#5a6b7b"
    if not COLOR_PATTERN.fullmatch(values["color"]):
        errors["color"] = _("Use a colour like #1a2b3c.")
    _check_unique_name(Track, conference, track, values["name"], errors)
    if errors:
        raise Invalid(errors)
    values["color"] = values["color"].lower()
    return _save(actor, conference, Track, track, values, TRACK_FIELDS, values["name"])


def delete_track(actor: User, conference: Conference, track: Track) -> None:
    """Sessions of a deleted track keep their place in the schedule, without a track."""
    _delete(actor, conference, track, TRACK_FIELDS, track.name)


def save_speaker(
    actor: User, conference: Conference, speaker: Speaker | None = None, **values
) -> Speaker:
    errors: dict[str, str] = {}
    values = _strip(values, SPEAKER_FIELDS)
    _check_lengths(values, errors)
    if not values["name"]:
        errors["name"] = _("Give the speaker's name.")
    if values["email"]:
        try:
            values["email"] = normalise_email(values["email"])
        except Invalid as error:
            errors.update(error.errors)
    else:
        values["email"] = None
    if errors:
        raise Invalid(errors)
    return _save(actor, conference, Speaker, speaker, values, SPEAKER_FIELDS, values["name"])


def delete_speaker(actor: User, conference: Conference, speaker: Speaker) -> None:
    talk = db.session.scalar(
        sa.select(Talk).join(talk_speaker).where(talk_speaker.c.speaker_id == speaker.id).limit(1)
    )
    if talk is not None:
        raise Invalid(
            {
                "": _(
                    "%(name)s speaks in “%(title)s”; take them off it first.",
                    name=speaker.name,
                    title=talk.title,
                )
            }
        )
    _delete(actor, conference, speaker, SPEAKER_FIELDS, speaker.name)


def save_question(
    actor: User, conference: Conference, question: Question | None = None, **values
) -> Question:
    errors: dict[str, str] = {}
    values = _strip(values, QUESTION_FIELDS)
    _check_lengths(values, errors)
    if not values["label"]:
        errors["label"] = _("Write the question.")
    if values["kind"] not in QUESTION_KINDS:
        errors["kind"] = _("Choose one of the kinds of question.")
    choices = [str(choice).strip() for choice in values.get("choices") or []]
    choices = [choice for choice in choices if choice]
    if values["kind"] in CHOICE_KINDS:
        if len(choices) < 2:
            errors["choices"] = _("Give at least two choices, one per line.")
        elif len(set(choices)) != len(choices):
            errors["choices"] = _("Each choice can appear only once.")
        elif any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
            errors["choices"] = _(
                "Each choice can have at most %(n)d characters.", n=MAX_CHOICE_LENGTH
            )
    else:
        choices = []
    values["choices"] = choices
    values["required"] = bool(values.get("required"))
    values["position"] = values.get("position") or 0
    if errors:
        raise Invalid(errors)
    return _save(actor, conference, Question, question, values, QUESTION_FIELDS, values["label"])


def delete_question(actor: User, conference: Conference, question: Question) -> None:
    answered = db.session.scalar(sa.select(Answer.id).filter_by(question_id=question.id).limit(1))
    if answered is not None:
        raise Invalid(
            {
                "": _(
                    "Attendees have answered “%(label)s”; it can no longer be deleted.",
                    label=question.label,
                )
            }
        )
    _delete(actor, conference, question, QUESTION_FIELDS, question.label)


def _strip(values: dict, fields: tuple[str, ...]) -> dict:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    cleaned = {field: values.get(field) for field in fields}
    for field, value in cleaned.items():
        if isinstance(value, str):
            cleaned[field] = value.strip()
        elif value is None and field not in ("seats", "position", "email", "choices", "required"):
            cleaned[field] = ""
    return cleaned


def _check_unique_name(model, conference, existing, name: str, errors: dict[str, str]) -> None:
    clash = db.session.scalar(sa.select(model).filter_by(conference_id=conference.id, name=name))
    if clash is not None and clash is not existing:
        errors["name"] = _("This conference already has one called “%(name)s”.", name=name)


def _save(actor, conference, model, obj, values: dict, fields: tuple[str, ...], label: str):
    kind = model.__name__.lower()
    before = audit.snapshot(obj, fields) if obj is not None else None
    if obj is None:
        obj = model(conference_id=conference.id, **values)
        db.session.add(obj)
    else:
        for field, value in values.items():
            setattr(obj, field, value)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Invalid(
            {"name": _("This conference already has one called “%(name)s”.", name=label)}
        ) from None
    after = audit.snapshot(obj, fields)
    if before is None:
        audit.log(
            actor, f"{kind}.created", obj, conference_id=conference.id, summary=label, after=after
        )
    else:
        old, new = audit.changed(before, after)
        if new:
            audit.log(
                actor,
                f"{kind}.updated",
                obj,
                conference_id=conference.id,
                summary=label,
                before=old,
                after=new,
            )
    db.session.commit()
    return obj


def _delete(actor, conference, obj, fields: tuple[str, ...], label: str) -> None:
    kind = type(obj).__name__.lower()
    audit.log(
        actor,
        f"{kind}.deleted",
        obj,
        conference_id=conference.id,
        summary=label,
        before=audit.snapshot(obj, fields),
    )
    db.session.delete(obj)
    db.session.commit()


# --- next year's edition ------------------------------------------------------------------


def duplicate_conference(
    actor: User, source: Conference, *, title: str, slug: str, start_date: date
) -> Conference:
    """A draft copy of ``source`` starting on ``start_date``: its rooms, tracks, speakers,
    questions and sessions come along, every date moved by the same number of days (wall-clock
    times stay as they were, across DST changes too). Registrations and roles do not come
    along, except that the person copying becomes an organizer of the copy."""
    if not isinstance(start_date, date):
        raise Invalid({"start_date": _("Give the first day of the new conference.")})
    shift = start_date - source.start_date
    tz = source.tz
    values = _fields(source, CONFERENCE_FIELDS)
    values.update(
        title=title,
        slug=slug,
        start_date=start_date,
        end_date=source.end_date + shift,
        registration_opens_at=_shift(source.registration_opens_at, shift, tz),
        registration_closes_at=_shift(source.registration_closes_at, shift, tz),
    )
    cleaned = _clean_conference(values, existing=None)
    copy = Conference(published=False, **cleaned)
    db.session.add(copy)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _slug_taken(cleaned["slug"]) from None

    rooms = {room.id: _copy(room, copy, ROOM_FIELDS) for room in source.rooms}
    tracks = {track.id: _copy(track, copy, TRACK_FIELDS) for track in source.tracks}
    source_speakers = db.session.scalars(sa.select(Speaker).filter_by(conference_id=source.id))
    speakers = {speaker.id: _copy(speaker, copy, SPEAKER_FIELDS) for speaker in source_speakers}
    for question in db.session.scalars(sa.select(Question).filter_by(conference_id=source.id)):
        _copy(question, copy, QUESTION_FIELDS)
    talks = db.session.scalars(sa.select(Talk).filter_by(conference_id=source.id)).all()
    for talk in talks:
        db.session.add(
            Talk(
                conference=copy,
                title=talk.title,
                abstract=talk.abstract,
                kind=talk.kind,
                start_at=_shift(talk.start_at, shift, tz),
                end_at=_shift(talk.end_at, shift, tz),
                room=rooms.get(talk.room_id),
                track=tracks.get(talk.track_id),
                capacity=talk.capacity,
                status="scheduled",
                speakers=[speakers[speaker.id] for speaker in talk.speakers],
            )
        )
    if not actor.is_admin:
        db.session.add(ConferenceRole(user_id=actor.id, conference_id=copy.id, role="organizer"))
    db.session.flush()
    audit.log(
        actor,
        "conference.duplicated",
        copy,
        conference_id=copy.id,
        summary=_("Copied from “%(title)s”", title=source.title),
        before={"source": source.slug, "source_start_date": source.start_date.isoformat()},
        after=audit.snapshot(copy, CONFERENCE_FIELDS),
    )
    db.session.commit()
    return copy


def _copy(obj, conference: Conference, fields: tuple[str, ...]):
    """A new row like ``obj`` in ``conference``, added to the session at once."""
    twin = type(obj)(conference_id=conference.id, **_fields(obj, fields))
    db.session.add(twin)
    return twin


def _fields(obj, fields: tuple[str, ...]) -> dict:
    values = {field: getattr(obj, field) for field in fields}
    if "choices" in values:
        values["choices"] = list(values["choices"] or [])
    return values


def _shift(instant: datetime | None, days: timedelta, tz: ZoneInfo) -> datetime | None:
    """The same wall-clock time ``days`` later in ``tz``."""
    if instant is None:
        return None
    local = instant.astimezone(tz)
    return local_instant(local.date() + days, local.time().replace(tzinfo=None), tz)
