"""Speakers who serve themselves, through a private link: their answer to each session they
are given, their page (job title and biography in each language, photo, links), the
language of their mail and pages, and when they are available.

The link's secret is random and only its SHA-256 digest is stored (``Speaker.token_hash``):
a new link ends the old one. Each action is one ``write_transaction()`` with its audit
entry (actor ``speaker``) and its mail; a decline is mailed to the organizers.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from eventreg.conferences import services as conference_services
from eventreg.conferences.models import (
    Conference,
    Speaker,
    SpeakerAvailability,
    Talk,
    talk_speaker,
)
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.links import public_url
from eventreg.core.text import has_forbidden_characters
from eventreg.core.timeutil import instants_on_clock
from eventreg.core.tokens import hash_token, new_token
from eventreg.registration import services as registration
from eventreg.schedule import notifications

# The audit log's name for a speaker acting through their private link.
SPEAKER = "speaker"
ANSWERS = ("confirmed", "declined")
MAX_LINKS = 10
LINK_LABEL_MAX = 100
LINK_URL_MAX = 500
MAX_SPANS = 50
TITLE_MAX = conference_services.MAX_LENGTHS.get("title", 200)
BIO_MAX = conference_services.MAX_LENGTHS["bio"]
PORTAL_ENDPOINT = "speaker_portal.home"


# --- the link -----------------------------------------------------------------------------


def portal_url(speaker: Speaker, token: str) -> str:
    """The speaker's private page, from the configured base URL (for mail)."""
    return public_url(PORTAL_ENDPOINT, slug=speaker.conference.slug, token=token)


def new_link(actor: audit.Actor, speaker: Speaker) -> str:
    """A fresh secret for ``speaker`` in the caller's transaction; the old link stops
    working. Returns the URL to mail (the secret is not kept)."""
    token = new_token()
    speaker.token_hash = hash_token(token)
    db.session.flush()
    audit.log(
        actor,
        "speaker.link_sent",
        speaker,
        conference_id=speaker.conference_id,
        summary=speaker.name,
    )
    return portal_url(speaker, token)


def send_link(actor: audit.Actor, speaker: Speaker) -> None:
    """Mail the speaker a new private link (an organizer's action): links sent before stop
    working. Refused when the speaker has no e-mail address."""
    with write_transaction():
        speaker = _locked(speaker.id)
        if not speaker.email:
            raise Invalid.about(
                _("%(name)s has no e-mail address: add one first.", name=speaker.name), "email"
            )
        notifications.speaker_link(speaker, new_link(actor, speaker))


def send_links(actor: audit.Actor, conference: Conference) -> int:
    """Mail every speaker of the conference who has an address a new private link, in one
    transaction. Returns how many were sent."""
    with write_transaction():
        speakers = db.session.scalars(
            sa.select(Speaker)
            .where(Speaker.conference_id == conference.id, Speaker.email.is_not(None))
            .order_by(Speaker.name, Speaker.id)
            .with_for_update()
        ).all()
        for speaker in speakers:
            notifications.speaker_link(speaker, new_link(actor, speaker))
    return len(speakers)


def speaker_for_token(conference: Conference, token: str) -> Speaker | None:
    """The conference's speaker whose link ``token`` is; None for any other string."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(Speaker).where(
            Speaker.conference_id == conference.id, Speaker.token_hash == hash_token(token)
        )
    )


# --- answers per session ------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """A session the speaker is given, and their answer."""

    talk: Talk
    response: str
    responded_at: datetime | None


def assignments(speaker: Speaker) -> list[Assignment]:
    """The speaker's sessions (scheduled first, by time) with their answers."""
    rows = db.session.execute(
        sa.select(Talk, talk_speaker.c.response, talk_speaker.c.responded_at)
        .join(talk_speaker, talk_speaker.c.talk_id == Talk.id)
        .where(talk_speaker.c.speaker_id == speaker.id)
        .order_by(Talk.start_at.is_(None), Talk.start_at, Talk.id)
    ).all()
    return [Assignment(talk, response, responded_at) for talk, response, responded_at in rows]


def responses(conference: Conference) -> dict[tuple[int, int], str]:
    """Every answer of the conference: (talk id, speaker id) → pending, confirmed, declined."""
    rows = db.session.execute(
        sa.select(talk_speaker.c.talk_id, talk_speaker.c.speaker_id, talk_speaker.c.response)
        .join(Talk, Talk.id == talk_speaker.c.talk_id)
        .where(Talk.conference_id == conference.id)
    ).all()
    return {(talk_id, speaker_id): response for talk_id, speaker_id, response in rows}


def responses_to(talk: Talk) -> list[tuple[Speaker, str]]:
    """The session's speakers, each with their answer (pending, confirmed or declined)."""
    rows = db.session.execute(
        sa.select(Speaker, talk_speaker.c.response)
        .join(talk_speaker, talk_speaker.c.speaker_id == Speaker.id)
        .where(talk_speaker.c.talk_id == talk.id)
        .order_by(Speaker.name, Speaker.id)
    ).all()
    return [(speaker, response) for speaker, response in rows]


def assignments_by_speaker(conference: Conference) -> dict[int, list[Assignment]]:
    """Every speaker's sessions and answers (for the organizers' list), in one query."""
    rows = db.session.execute(
        sa.select(
            talk_speaker.c.speaker_id, Talk, talk_speaker.c.response, talk_speaker.c.responded_at
        )
        .join(talk_speaker, talk_speaker.c.talk_id == Talk.id)
        .where(Talk.conference_id == conference.id)
        .order_by(Talk.start_at.is_(None), Talk.start_at, Talk.id)
    ).all()
    found: dict[int, list[Assignment]] = {}
    for speaker_id, talk, response, responded_at in rows:
        found.setdefault(speaker_id, []).append(Assignment(talk, response, responded_at))
    return found


def respond(speaker: Speaker, talk_id: int, response: str) -> str:
    """Confirm or decline a session the speaker is given; answering again changes the
    answer. A decline is mailed to the organizers. Returns the answer now recorded."""
    if response not in ANSWERS:
        raise Invalid.about(_("Choose to confirm or to decline."), "response")
    speaker_id = speaker.id
    with write_transaction():
        speaker = _locked(speaker_id)
        where = sa.and_(talk_speaker.c.talk_id == talk_id, talk_speaker.c.speaker_id == speaker_id)
        before = db.session.scalar(sa.select(talk_speaker.c.response).where(where))
        talk = db.session.get(Talk, talk_id)
        if before is None or talk is None:
            raise Conflict.about(_("You are no longer a speaker of this session."))
        if talk.cancelled:
            raise Conflict.about(_("This session has been cancelled."))
        if before == response:
            return response
        db.session.execute(
            sa.update(talk_speaker).where(where).values(response=response, responded_at=utcnow())
        )
        audit.log(
            SPEAKER,
            f"speaker.{response}",
            speaker,
            conference_id=speaker.conference_id,
            summary=f"{speaker.name} — {talk.title}",
            before={"talk_id": talk_id, "response": before},
            after={"talk_id": talk_id, "response": response},
        )
        if response == "declined":
            notifications.speaker_declined(speaker, talk)
    return response


# --- the speaker's page ------------------------------------------------------------------

PROFILE_FIELDS = ("title", "bio", "translations", "links", "language")


def update_profile(
    speaker: Speaker,
    *,
    texts: Mapping[str, Mapping[str, str]],
    links: Sequence[Mapping[str, str]],
    language: str | None,
) -> Speaker:
    """The speaker's job title and biography by language (``{"en": {"title": …, "bio": …}}``;
    the conference's main language goes to the columns, the others to ``translations``),
    their links (http or https) and their language (None: the conference's main one)."""
    conference = speaker.conference
    main = conference.main_language
    errors: dict[str, str] = {}
    own = texts.get(main, {})
    title, bio = (own.get("title") or "").strip(), (own.get("bio") or "").strip()
    _check_text(title, f"texts.{main}.title", TITLE_MAX, False, errors)
    _check_text(bio, f"texts.{main}.bio", BIO_MAX, True, errors)
    others = {lang: dict(values) for lang, values in texts.items() if lang != main}
    translations: dict[str, dict[str, Any]] = {}
    try:
        translations = conference_services.translations_of(Speaker, others, main)
    except Invalid as error:
        errors.update(
            {key.replace("translations.", "texts.", 1): m for key, m in error.errors.items()}
        )
    cleaned_links = _checked_links(links, errors)
    if language is not None and language not in current_app.config["LANGUAGES"]:
        errors["language"] = _("Choose one of the languages offered.")
    if errors:
        raise Invalid(errors)
    with write_transaction():
        speaker = _locked(speaker.id)
        before = audit.snapshot(speaker, PROFILE_FIELDS)
        speaker.title, speaker.bio = title, bio
        speaker.translations = translations
        speaker.links = cleaned_links
        speaker.language = language
        old, new = audit.changed(before, audit.snapshot(speaker, PROFILE_FIELDS))
        if new:
            audit.log(
                SPEAKER,
                "speaker.updated",
                speaker,
                conference_id=speaker.conference_id,
                summary=speaker.name,
                before=old,
                after=new,
            )
    return speaker


def set_photo(speaker: Speaker, upload: bytes | None) -> Speaker:
    """The speaker's own photo, checked and stored as the organizers' upload is (``None``
    removes it); refused uploads raise ``Invalid`` on "photo"."""
    return conference_services.set_speaker_photo(
        cast(Any, SPEAKER), speaker.conference, speaker, upload
    )


def _check_text(
    value: str, field: str, limit: int, multiline: bool, errors: dict[str, str]
) -> None:
    if len(value) > limit:
        errors[field] = _("Use at most %(n)d characters.", n=limit)
    elif has_forbidden_characters(value, multiline=multiline):
        errors[field] = _("Remove the control characters from this text.")


def _checked_links(
    links: Sequence[Mapping[str, str]], errors: dict[str, str]
) -> list[dict[str, str]]:
    cleaned: list[dict[str, str]] = []
    for index, link in enumerate(links):
        label = (link.get("label") or "").strip()
        url = (link.get("url") or "").strip()
        if not label and not url:
            continue
        where = f"links.{index}"
        parts = urlsplit(url)
        if len(url) > LINK_URL_MAX or len(label) > LINK_LABEL_MAX:
            errors[where] = _("Use at most %(n)d characters.", n=LINK_URL_MAX)
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            errors[where] = _("Give a full web address starting with https:// or http://.")
        elif has_forbidden_characters(url + label, multiline=False) or " " in url:
            errors[where] = _("Remove the spaces and control characters from this link.")
        else:
            cleaned.append({"label": label or parts.hostname, "url": url})
    if len(cleaned) > MAX_LINKS:
        errors["links"] = _("Give at most %(n)d links.", n=MAX_LINKS)
    return cleaned


# --- availability ------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySpan:
    """A span as the speaker enters it: a conference day, from–to on the conference's clock."""

    day: date
    start: time
    end: time


def set_availability(speaker: Speaker, spans: Iterable[DaySpan]) -> list[SpeakerAvailability]:
    """Replace the speaker's stated availability (none: available always). Each span is on
    one of the conference's days, on its clock, and stored in UTC."""
    conference = speaker.conference
    tz = conference.tz
    errors: dict[str, str] = {}
    instants: list[tuple[datetime, datetime]] = []
    spans = list(spans)
    if len(spans) > MAX_SPANS:
        raise Invalid.about(_("Give at most %(n)d spans.", n=MAX_SPANS), "availability")
    for index, span in enumerate(spans):
        where = f"availability.{index}"
        if not conference.start_date <= span.day <= conference.end_date:
            errors[where] = _("Choose one of the conference's days.")
            continue
        starts = instants_on_clock(span.day, span.start, tz)
        # An end at 00:00 is the midnight that ends the day.
        end_day = span.day + timedelta(days=1) if span.end == time(0) else span.day
        ends = instants_on_clock(end_day, span.end, tz)
        if not starts or not ends:
            errors[where] = _("The clocks skip that time on that day: choose another time.")
        elif ends[-1] <= starts[0]:
            errors[where] = _("The end must be after the start.")
        else:
            instants.append((starts[0], ends[-1]))
    if errors:
        raise Invalid(errors)
    speaker_id = speaker.id
    with write_transaction(), registration.conference_write(conference.id):
        speaker = _locked(speaker_id)
        before = [_span_text(a.start_at, a.end_at) for a in speaker.availability]
        speaker.availability = [
            SpeakerAvailability(start_at=start, end_at=end) for start, end in sorted(instants)
        ]
        db.session.flush()
        after = [_span_text(a.start_at, a.end_at) for a in speaker.availability]
        if before != after:
            audit.log(
                SPEAKER,
                "speaker.availability_set",
                speaker,
                conference_id=speaker.conference_id,
                summary=speaker.name,
                before={"availability": before},
                after={"availability": after},
            )
    return list(speaker.availability)


def day_spans(speaker: Speaker) -> list[DaySpan]:
    """The speaker's stated availability, as entered: by day on the conference's clock."""
    tz = speaker.conference.tz
    found = []
    for span in speaker.availability:
        start, end = span.start_at.astimezone(tz), span.end_at.astimezone(tz)
        found.append(DaySpan(start.date(), start.time(), end.time()))
    return found


def _span_text(start: datetime, end: datetime) -> str:
    return f"{start.astimezone(UTC).isoformat()}/{end.astimezone(UTC).isoformat()}"


def _locked(speaker_id: int) -> Speaker:
    """The speaker, read afresh and locked against concurrent changes."""
    return db.session.scalars(
        sa.select(Speaker)
        .where(Speaker.id == speaker_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
