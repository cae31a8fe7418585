"""Running a conference: its details, roles, rooms, tracks and speakers.

Plain functions that the workspace views, the API and the command line all call. Each one
is one ``write_transaction()``: it checks its input (raising ``Invalid`` with a message per
field, ``Conflict`` when other data stands in the way) and writes the change together with
its audit entry; nothing is ever half-written.
"""

import copy
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, selectinload

from eventreg.accounts.models import User
from eventreg.conferences.models import (
    COLOR_PATTERN,
    Conference,
    ConferenceRole,
    Room,
    Speaker,
    Talk,
    Track,
    talk_speaker,
)
from eventreg.conferences.rules import (
    check_capacity,
    clean_translations,
    content_languages,
    skipped_time_message,
)
from eventreg.core import audit, colors, images, storage
from eventreg.core.db import in_write_transaction, write_transaction
from eventreg.core.emails import normalise_email
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.timeutil import instants_on_clock, is_valid_timezone

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
    "requires_approval",
    "registration_opens_at",
    "registration_closes_at",
    "organizer_name",
    "organizer_email",
    "privacy_notice",
    "conference_reminder_minutes",
    "session_reminder_minutes",
    "invite_alarm_minutes",
    "main_language",
    "translations",
)
# Reminders and alarms: at most this many reminders of each kind, none further ahead.
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 60 * 24 * 60  # 60 days
ROOM_FIELDS = ("name", "description", "seats", "position", "translations")
TRACK_FIELDS = ("name", "description", "color", "translations")
SPEAKER_FIELDS = ("name", "title", "affiliation", "bio", "email", "translations")
# Translatable fields that hold paragraphs (the others are single lines).
MULTILINE_FIELDS = frozenset({"description", "privacy_notice", "bio", "abstract", "body"})

# The longest value each text column holds; longer input is refused, never truncated.
# Field values (``dict[str, Any]`` below) arrive from forms, the API and the command line
# in whatever shape those parsed them; the functions here check them field by field.


class ConferenceRow(Protocol):
    """A row that belongs to one conference (a room, track, speaker or question)."""

    def __init__(self, **values: Any) -> None: ...

    @property
    def id(self) -> int | None: ...


_Row = TypeVar("_Row", bound=ConferenceRow)

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


# --- conferences ------------------------------------------------------------------------


def get_published_or_404(slug: str, *related: QueryableAttribute[Any]) -> Conference:
    """The published conference at ``slug``, with the ``related`` collections (for example
    ``Conference.tracks``) loaded alongside; drafts and unknown slugs are a 404
    (the same answer, so that a draft's address reveals nothing)."""
    conference = db.session.scalar(
        sa.select(Conference)
        .filter_by(slug=slug, published=True)
        .options(*(selectinload(relationship) for relationship in related))
    )
    if conference is None:
        abort(404)
    return conference


def create_conference(actor: User, **values: Any) -> Conference:
    """A new draft conference; its creator becomes one of its organizers."""
    with write_transaction():
        values = clean_conference(values, existing=None)
        conference = Conference(published=False, **values)
        insert_or_refuse(conference, lambda: slug_taken(values["slug"]))
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
            after=audited(conference, CONFERENCE_FIELDS),
        )
        return conference


def insert_or_refuse(obj: object, refusal: Callable[[], Exception]) -> None:
    """Add ``obj`` and write it at once; when the database refuses it (a unique constraint
    lost to a concurrent writer), raise ``refusal()`` instead. The savepoint keeps the
    surrounding transaction usable for building the message."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        raise refusal() from None


def set_published(actor: User, conference: Conference, published: bool) -> Conference:
    with write_transaction():
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
        return conference


def clean_conference(values: dict[str, Any], existing: Conference | None) -> dict[str, Any]:
    unknown = set(values) - set(CONFERENCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown conference fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {field: values.get(field) for field in CONFERENCE_FIELDS}
    _clean_languages(values, existing, cleaned, errors)
    for field in ("title", "description", "venue", "address", "organizer_name", "privacy_notice"):
        cleaned[field] = (cleaned[field] or "").strip()
    check_lengths(cleaned, errors)
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
            errors["slug"] = slug_taken(slug, clash).errors["slug"]
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

    # Callers that leave it out (older forms, the API) keep the conference's setting.
    approval = values.get("requires_approval")
    if approval is None:
        approval = existing.requires_approval if existing is not None else False
    cleaned["requires_approval"] = bool(approval)

    try:
        check_capacity(cleaned["capacity"])
    except Invalid as error:
        errors.update(error.errors)

    try:
        cleaned["organizer_email"] = normalise_email(
            cleaned["organizer_email"] or "", field="organizer_email"
        )
    except Invalid as error:
        errors.update(error.errors)

    if "timezone" not in errors:
        tz = ZoneInfo(zone)
        opens = _aware(cleaned["registration_opens_at"], tz, "registration_opens_at", errors)
        closes = _aware(cleaned["registration_closes_at"], tz, "registration_closes_at", errors)
        if opens and closes and closes <= opens:
            errors["registration_closes_at"] = _("Registration must close after it opens.")
        cleaned["registration_opens_at"], cleaned["registration_closes_at"] = opens, closes

    for field in ("conference_reminder_minutes", "session_reminder_minutes"):
        cleaned[field] = _reminder_minutes(cleaned[field], field, errors)
    cleaned["invite_alarm_minutes"] = _alarm_minutes(cleaned["invite_alarm_minutes"], errors)

    if existing is not None and not errors:
        errors.update(_check_sessions_still_fit(existing, cleaned))
    if errors:
        raise Invalid(errors)
    return cleaned


def _clean_languages(
    values: dict[str, Any],
    existing: Conference | None,
    cleaned: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """The main language and the other languages' texts; callers that give neither keep
    the conference's. The translations are checked against the language the submitted
    columns are in (the current main language: a new one swaps them afterwards)."""
    languages = content_languages()
    current = existing.main_language if existing is not None else None
    main = values.get("main_language") or current or languages[0]
    if main not in languages:
        errors["main_language"] = _(
            "Choose one of the languages: %(languages)s.", languages=", ".join(languages)
        )
        main = current or languages[0]
    cleaned["main_language"] = main
    if "translations" not in values:
        cleaned["translations"] = dict(existing.translations or {}) if existing else {}
        return
    try:
        cleaned["translations"] = translations_of(
            Conference, values["translations"], current or main
        )
    except Invalid as error:
        errors.update(error.errors)


def translations_of(
    model: type,
    value: object,
    main_language: str,
    limits: dict[str, int] | None = None,
    list_lengths: dict[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """``value`` checked as the translations of a ``model`` row: the same length limits
    (``MAX_LENGTHS``, or ``limits`` for fields it lacks) and character rules as the
    main-language fields."""
    limits = limits or {}
    fields = model.translated_fields  # type: ignore[attr-defined]
    return clean_translations(
        value,
        {field: limits.get(field) or MAX_LENGTHS[field] for field in fields},
        main_language=main_language,
        multiline=MULTILINE_FIELDS,
        list_lengths=list_lengths,
    )


def clean_row_translations(
    model: type,
    conference: Conference,
    existing: Any,
    given: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    **rules: Any,
) -> None:
    """Check the ``translations`` among the ``given`` values of a row into ``values``; a
    caller that gives none keeps the row's (``existing``; a new row has none)."""
    if "translations" not in given:
        values["translations"] = copy.deepcopy(existing.translations or {}) if existing else {}
        return
    try:
        values["translations"] = translations_of(
            model, given["translations"], conference.main_language, **rules
        )
    except Invalid as error:
        errors.update(error.errors)


def _is_minutes(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reminder_minutes(value: object, field: str, errors: dict[str, str]) -> list[int]:
    """Reminder offsets in minutes before the event (None: none), distinct, the earliest
    reminder first."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(_is_minutes(m) for m in value):
        errors[field] = _("Give the reminders as whole numbers of minutes before the start.")
        return []
    minutes = sorted(set(value), reverse=True)
    if len(minutes) > MAX_REMINDERS:
        errors[field] = _("Use at most %(n)d reminders.", n=MAX_REMINDERS)
    elif any(not 1 <= m <= MAX_REMINDER_MINUTES for m in minutes):
        errors[field] = _(
            "A reminder goes out between one minute and %(days)d days before the start.",
            days=MAX_REMINDER_MINUTES // (24 * 60),
        )
    return minutes


def _alarm_minutes(value: object, errors: dict[str, str]) -> int | None:
    """The invites' alarm, minutes before the start (0: at the start); None: no alarm."""
    if value is None:
        return None
    if _is_minutes(value) and 0 <= cast(int, value) <= MAX_REMINDER_MINUTES:
        return cast(int, value)
    errors["invite_alarm_minutes"] = _(
        "The alarm rings between the start and %(days)d days before it.",
        days=MAX_REMINDER_MINUTES // (24 * 60),
    )
    return None


def _aware(
    value: datetime | None, tz: ZoneInfo, field: str, errors: dict[str, str]
) -> datetime | None:
    """Wall-clock times from a form are read in the conference's own zone. A time the clocks
    skip is refused on ``field``; of a time they show twice the first is taken (the window
    then opens or closes an hour early at worst, never later than the organizer said)."""
    if value is None or value.tzinfo is not None:
        return value
    found = instants_on_clock(value.date(), value.time(), tz)
    if not found:
        errors[field] = skipped_time_message(value.date(), value.time(), tz)
        return None
    return found[0]


def _check_sessions_still_fit(conference: Conference, cleaned: dict[str, Any]) -> dict[str, str]:
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
        # Scheduled sessions only: both times are set.
        start_at, end_at = cast(datetime, talk.start_at), cast(datetime, talk.end_at)
        if start_at.astimezone(tz).date() < cleaned["start_date"]:
            return {"start_date": _("“%(title)s” is scheduled before this day.", title=talk.title)}
        # A session ending at midnight still belongs to the day before.
        last_moment = end_at - timedelta(microseconds=1)
        if last_moment.astimezone(tz).date() > cleaned["end_date"]:
            return {"end_date": _("“%(title)s” is scheduled after this day.", title=talk.title)}
    return {}


def slug_taken(slug: str, clash: Conference | None = None) -> Conflict:
    if clash is None:
        clash = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
    title = clash.title if clash else slug
    return Conflict(
        {
            "slug": _(
                "The address /c/%(slug)s/ already belongs to “%(title)s”. Choose another one.",
                slug=slug,
                title=title,
            )
        }
    )


# What an integer column holds: a larger number (seats, a position) is refused, not sent
# to the database to fail there.
MAX_NUMBER = 2**31 - 1


def check_lengths(values: dict[str, Any], errors: dict[str, str]) -> None:
    """Text longer than its column holds, and numbers beyond the integer columns, are refused."""
    for field, value in values.items():
        limit = MAX_LENGTHS.get(field)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[field] = _("Use at most %(n)d characters.", n=limit)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            errors[field] = _("Use a smaller number.")


# --- rooms, tracks and speakers ------------------------------------------------


def save_room(actor: User, conference: Conference, room: Room | None = None, **values: Any) -> Room:
    errors: dict[str, str] = {}
    given, values = values, strip_fields(values, ROOM_FIELDS)
    check_lengths(values, errors)
    clean_row_translations(Room, conference, room, given, values, errors)
    if not values["name"]:
        errors["name"] = _("Give the room a name.")
    try:
        check_capacity(values.get("seats"), field="seats")
    except Invalid as error:
        errors.update(error.errors)
    values["position"] = values.get("position") or 0
    if errors:
        raise Invalid(errors)
    with write_transaction():
        _check_unique_name(Room, conference, room, values["name"])
        return save_audited(actor, conference, Room, room, values, ROOM_FIELDS, values["name"])


def delete_room(actor: User, conference: Conference, room: Room) -> None:
    with write_transaction():
        used = db.session.scalar(sa.select(Talk).filter_by(room_id=room.id).limit(1))
        if used is not None:
            raise Conflict.about(
                _(
                    "“%(room)s” is the room of “%(title)s”; move its sessions first.",
                    room=room.name,
                    title=used.title,
                )
            )
        delete_audited(actor, conference, room, ROOM_FIELDS, room.name)


def save_track(
    actor: User, conference: Conference, track: Track | None = None, **values: Any
) -> Track:
    errors: dict[str, str] = {}
    given, values = values, strip_fields(values, TRACK_FIELDS)
    check_lengths(values, errors)
    clean_row_translations(Track, conference, track, given, values, errors)
    if not values["name"]:
        errors["name"] = _("Give the track a name.")
    values["color"] = values["color"] or "#5a6b7b"
    if not COLOR_PATTERN.fullmatch(values["color"]):
        errors["color"] = _("Use a colour like #1a2b3c.")
    if errors:
        raise Invalid(errors)
    values["color"] = values["color"].lower()
    with write_transaction():
        _check_unique_name(Track, conference, track, values["name"])
        return save_audited(actor, conference, Track, track, values, TRACK_FIELDS, values["name"])


def delete_track(actor: User, conference: Conference, track: Track) -> None:
    """Sessions of a deleted track keep their place in the schedule, without a track."""
    delete_audited(actor, conference, track, TRACK_FIELDS, track.name)


def save_speaker(
    actor: User, conference: Conference, speaker: Speaker | None = None, **values: Any
) -> Speaker:
    errors: dict[str, str] = {}
    given, values = values, strip_fields(values, SPEAKER_FIELDS)
    check_lengths(values, errors)
    clean_row_translations(Speaker, conference, speaker, given, values, errors)
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
    return save_audited(actor, conference, Speaker, speaker, values, SPEAKER_FIELDS, values["name"])


def delete_speaker(actor: User, conference: Conference, speaker: Speaker) -> None:
    with write_transaction():
        talk = db.session.scalar(
            sa.select(Talk)
            .join(talk_speaker)
            .where(talk_speaker.c.speaker_id == speaker.id)
            .limit(1)
        )
        if talk is not None:
            raise Conflict.about(
                _(
                    "%(name)s speaks in “%(title)s”; take them off it first.",
                    name=speaker.name,
                    title=talk.title,
                )
            )
        photo = speaker.photo_key
        delete_audited(actor, conference, speaker, SPEAKER_FIELDS, speaker.name)
    _forget_if_unused(photo)


def strip_fields(values: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    cleaned = {field: values.get(field) for field in fields}
    for field, value in cleaned.items():
        if isinstance(value, str):
            cleaned[field] = value.strip()
        elif value is None and field not in (
            "seats",
            "position",
            "email",
            "choices",
            "required",
            "translations",
        ):
            cleaned[field] = ""
    return cleaned


def _check_unique_name(
    model: type[Room | Track], conference: Conference, existing: Room | Track | None, name: str
) -> None:
    """Rooms and tracks have one name each per conference (a unique constraint backs it)."""
    clash = db.session.scalar(sa.select(model).filter_by(conference_id=conference.id, name=name))
    if clash is not None and clash is not existing:
        raise _name_taken(name)


def _name_taken(name: str) -> Conflict:
    return Conflict({"name": _("This conference already has one called “%(name)s”.", name=name)})


def save_audited(
    actor: audit.Actor,
    conference: Conference,
    model: type[_Row],
    obj: _Row | None,
    values: dict[str, Any],
    fields: tuple[str, ...],
    label: str,
) -> _Row:
    """Create (``obj`` None) or change a row of the conference with its audit entry, in one
    write transaction (joining the caller's)."""
    kind = model.__name__.lower()
    with write_transaction():
        before = audited(obj, fields) if obj is not None else None
        if obj is None:
            obj = model(conference_id=conference.id, **values)
            insert_or_refuse(obj, lambda: _name_taken(label))
        else:
            try:
                with db.session.begin_nested():
                    for field, value in values.items():
                        setattr(obj, field, value)
                    db.session.flush()
            except IntegrityError:
                raise _name_taken(label) from None
        after = audited(obj, fields)
        if before is None:
            audit.log(
                actor,
                f"{kind}.created",
                obj,
                conference_id=conference.id,
                summary=label,
                after=after,
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
        return obj


def delete_audited(
    actor: audit.Actor,
    conference: Conference,
    obj: audit.Recorded,
    fields: tuple[str, ...],
    label: str,
) -> None:
    kind = type(obj).__name__.lower()
    with write_transaction():
        audit.log(
            actor,
            f"{kind}.deleted",
            obj,
            conference_id=conference.id,
            summary=label,
            before=audited(obj, fields),
        )
        db.session.delete(obj)


def audited(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """What the audit log keeps of ``obj``: ``fields``, leaving out the languages' parts
    while they are empty (no translations, no spoken languages, no interpretation)."""
    values = audit.snapshot(obj, fields)
    for field, empty in (("translations", {}), ("languages", []), ("interpretation", False)):
        if field in values and values[field] in (empty, None):
            del values[field]
    return values


def copy_row(obj: _Row, conference: Conference, fields: tuple[str, ...]) -> _Row:
    """A new row like ``obj`` in ``conference``, added to the session at once."""
    twin = type(obj)(conference_id=conference.id, **field_values(obj, fields))
    db.session.add(twin)
    return twin


def field_values(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    values = {field: getattr(obj, field) for field in fields}
    if "choices" in values:
        values["choices"] = list(values["choices"] or [])
    if "translations" in values:  # a copy of its own, not the source row's dicts
        values["translations"] = copy.deepcopy(values["translations"] or {})
    return values


def shift_instant(instant: datetime | None, days: timedelta, tz: ZoneInfo) -> datetime | None:
    """The same wall-clock time ``days`` later in ``tz``. Raises ``Invalid`` (on
    ``start_date``) when the clocks skip that time on the new day; of a time they show twice,
    the reading with the original's UTC offset is kept."""
    if instant is None:
        return None
    local = instant.astimezone(tz)
    day, clock = local.date() + days, local.time().replace(tzinfo=None)
    found = instants_on_clock(day, clock, tz)
    if not found:
        raise Invalid({"start_date": skipped_time_message(day, clock, tz)})
    same_offset = [candidate for candidate in found if candidate.utcoffset() == local.utcoffset()]
    return (same_offset or found)[0]


# --- the look: logo, banner, accent colour, speaker photos ----------------------------------
# An image is processed (checked, resized, stripped of metadata: eventreg.core.images) and
# stored before the transaction that shows it: its key names its content, so a transaction
# that fails leaves at most a file nothing uses. A file no longer used is deleted once the
# change that dropped it has committed.

CONFERENCE_IMAGES = {"logo": images.LOGO, "banner": images.BANNER}


def set_conference_image(
    actor: User, conference: Conference, kind: str, upload: bytes | None
) -> Conference:
    """Show ``upload`` (the bytes of an uploaded file) as the conference's ``kind`` image,
    "logo" or "banner"; ``None`` removes it. A refused upload raises ``Invalid`` on
    ``kind``."""
    key = _store_image(upload, CONFERENCE_IMAGES[kind], field=kind)
    column = f"{kind}_key"
    with write_transaction():
        old = getattr(conference, column)
        if old == key:
            return conference
        setattr(conference, column, key)
        _log_look(actor, conference, {column: old}, {column: key})
    _forget_if_unused(old)
    return conference


def set_accent_color(actor: User, conference: Conference, color: str | None) -> Conference:
    """The conference's accent colour, "#rrggbb"; empty or ``None``: the site's own. A colour
    too light to carry white text and to be read on the light pages is refused (the rule is
    in ``eventreg.core.colors``)."""
    value = (color or "").strip().lower() or None
    if value is not None:
        if not COLOR_PATTERN.fullmatch(value):
            raise Invalid({"accent_color": _("Use a colour like #1a2b3c.")})
        if not colors.is_readable_accent(value):
            raise Invalid({"accent_color": accent_refusal(value)})
    with write_transaction():
        old = conference.accent_color
        if old != value:
            conference.accent_color = value
            _log_look(actor, conference, {"accent_color": old}, {"accent_color": value})
        return conference


def accent_refusal(color: str) -> str:
    return str(
        _(
            "This colour is too light: white text on it, and links in it on the light pages, "
            "reach only %(ratio)s:1, and readable text needs at least %(needed)s:1 (WCAG AA). "
            "Choose a darker shade.",
            ratio=format_decimal(colors.accent_contrast(color), "0.0"),
            needed=format_decimal(colors.MIN_CONTRAST, "0.0"),
        )
    )


def set_speaker_photo(
    actor: User, conference: Conference, speaker: Speaker, upload: bytes | None
) -> Speaker:
    """The speaker's photo (square, at most 400 pixels, without metadata); ``None`` removes
    it. A refused upload raises ``Invalid`` on "photo"."""
    key = _store_image(upload, images.PHOTO, field="photo")
    with write_transaction():
        old = speaker.photo_key
        if old == key:
            return speaker
        speaker.photo_key = key
        audit.log(
            actor,
            "speaker.updated",
            speaker,
            conference_id=conference.id,
            summary=speaker.name,
            before={"photo_key": old},
            after={"photo_key": key},
        )
    _forget_if_unused(old)
    return speaker


def _store_image(upload: bytes | None, variant: images.Variant, field: str) -> str | None:
    if upload is None:
        return None
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    processed = images.process(upload, variant, field=field, max_bytes=limit)
    return storage.store(processed.data, processed.content_type)


def _log_look(
    actor: User, conference: Conference, before: dict[str, Any], after: dict[str, Any]
) -> None:
    audit.log(
        actor,
        "conference.look_updated",
        conference,
        conference_id=conference.id,
        summary=conference.title,
        before=before,
        after=after,
    )


def _forget_if_unused(key: str | None) -> None:
    """Delete a stored image that no conference or speaker shows any more (the same bytes
    may be another conference's logo too). Only after the commit: inside a larger
    transaction, which may still roll back, the file stays."""
    if key is None or in_write_transaction():
        return
    used = db.session.scalar(
        sa.select(
            sa.exists().where(sa.or_(Conference.logo_key == key, Conference.banner_key == key))
            | sa.exists().where(Speaker.photo_key == key)
        )
    )
    if not used:
        storage.storage().delete(key)
