"""Messages about the conference or one of its sessions, each carrying its calendar event.

Each message carries at most one calendar event (one UID): a REQUEST when someone holds a
seat (conference or session), a CANCEL when they no longer do. The body says the essentials
in the reader's language, with times at the venue and in UTC. The registration and the
schedule notifications (``eventreg.registration.notifications``,
``eventreg.schedule.notifications``) send through here.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Speaker, Talk
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.links import public_url
from eventreg.core.translations import text_in
from eventreg.invites import ical, replies, sequences
from eventreg.invites.events import (
    location_text,
    talk_event,
    uid_for,
    utc_when_text,
    when_text,
)
from eventreg.invites.models import CalendarCopy
from eventreg.mail import builder
from eventreg.mail.compose import Recipient


@dataclass(frozen=True)
class Person:
    """Someone mail goes to: an attendee (with a registration) or a speaker."""

    name: str
    email: str | None
    locale: str
    registration_id: int | None = None
    speaker_id: int | None = None

    @property
    def calendar_recipient(self) -> str | None:
        """Whose calendar copy the SEQUENCE is counted for (see ``invites.sequences``)."""
        if self.registration_id is not None:
            return sequences.registration_recipient(self.registration_id)
        if self.speaker_id is not None:
            return sequences.speaker_recipient(self.speaker_id)
        return None


def speaker_person(speaker: Speaker) -> Person:
    """A speaker reads their mail in the language they chose, else the conference's main one."""
    locale = speaker.language or speaker.conference.main_language
    return Person(name=speaker.name, email=speaker.email, locale=locale, speaker_id=speaker.id)


def conference_facts(conference: Conference, event: ical.CalendarEvent) -> dict[str, object]:
    return {
        "title": text_in(conference, "title"),
        "when_local": when_text(event.start, event.end, conference.tz),
        "when_utc": utc_when_text(event.start, event.end),
        "where": event.location,
        "url": event.url,
        "speakers": [],
    }


def session_facts(talk: Talk, event: ical.CalendarEvent) -> dict[str, object]:
    """What a session's e-mail says of it. ``online_url`` is the join link the event carries
    (none for a cancelled session); templates show it only in messages to people who hold
    the session (see ``email/_event.txt``)."""
    conference = talk.conference
    return {
        "title": text_in(talk, "title"),
        "when_local": when_text(event.start, event.end, conference.tz),
        "when_utc": utc_when_text(event.start, event.end),
        "where": location_text(conference, text_in(talk.room, "name") if talk.room else ""),
        "url": event.url,
        "speakers": [speaker.name for speaker in talk.speakers],
        "online_url": event.online_url,
    }


def send(
    person: Person,
    conference: Conference,
    *,
    kind: str,
    template: str,
    subject: str,
    invite: tuple[str, ical.CalendarEvent] | None = None,
    **context: object,
) -> bool:
    """Render ``email/<template>.txt/.html`` and record the message; False when the person
    has no address (erased data, a speaker without e-mail)."""
    return _send(
        True,
        person,
        conference,
        kind=kind,
        template=template,
        subject=subject,
        invite=invite,
        **context,
    )


def send_stamped(
    person: Person,
    conference: Conference,
    *,
    kind: str,
    template: str,
    subject: str,
    invite: tuple[str, ical.CalendarEvent],
    **context: object,
) -> bool:
    """:func:`send` for a message composed after it was recorded: the invite's event
    already carries the SEQUENCE numbered then (:func:`stamp_conference_invite`)."""
    return _send(
        False,
        person,
        conference,
        kind=kind,
        template=template,
        subject=subject,
        invite=invite,
        **context,
    )


def _send(
    stamp: bool,
    person: Person,
    conference: Conference,
    /,
    *,
    kind: str,
    template: str,
    subject: str,
    invite: tuple[str, ical.CalendarEvent] | None,
    **context: object,
) -> bool:
    if not person.email:
        return False
    organizer = Recipient(
        text_in(conference, "organizer_name") or text_in(conference, "title"),
        conference.organizer_email,
    )
    # An attendee's calendar answers to their own reply address (``invites.replies``): it is
    # the ORGANIZER of their invites and the From of every message they get, the same for
    # every message of a UID. Reply-To still takes a human answer to the organizers.
    answers_to = (
        replies.reply_address(person.registration_id)
        if person.registration_id is not None
        else None
    )
    sender = Recipient(organizer.name, answers_to) if answers_to else organizer
    calendar = method = None
    if invite is not None:
        method, event = invite
        if stamp and person.calendar_recipient is not None:
            event = sequences.stamp_message(person.calendar_recipient, event, method, kind)
        if conference.invite_alarm_minutes is not None:
            event = replace(event, alarm_before=timedelta(minutes=conference.invite_alarm_minutes))
        if answers_to:
            event = replace(event, organizer_email=answers_to)
        rsvp = bool(answers_to) and method == "REQUEST"
        calendar = ical.invite(method, event, ical.Attendee(person.name, person.email, rsvp=rsvp))
    context.update(person=person, conference=conference, method=method)
    builder.send(
        Recipient(person.name, person.email),
        kind=kind,
        template=f"email/{template}",
        subject=subject,
        context=context,
        # From the address the invites name as ORGANIZER, on every message of the conference:
        # calendar clients match updates by organizer and sender.
        sender=sender,
        reply_to=organizer,
        calendar=calendar,
        method=method,
        conference_id=conference.id,
        registration_id=person.registration_id,
    )
    return True


def stamp_conference_invite(
    person: Person,
    conference: Conference,
    method: str,
    kind: str,
    stamp: datetime,
    *,
    first_copy: bool = False,
) -> int | None:
    """Record, now, that ``person``'s calendar is sent the conference's invite, for a
    message composed later (at delivery): returns the SEQUENCE it must carry (None when
    the person has no calendar copy to count). The message's other details are made when
    it is composed; numbering needs only the event's UID and revision, so no event is built
    (no query, no text) while the caller holds the conference's lock.

    ``first_copy``: the recipient did not exist a moment ago (a registration just
    inserted), so it has no copy to read: its first one is written at the revision."""
    if person.calendar_recipient is None:
        return None
    uid, revision = uid_for(conference.uuid), conference.revision or 0
    if first_copy and method == "REQUEST":
        db.session.add(
            CalendarCopy(
                recipient=person.calendar_recipient,
                uid=uid,
                sequence=revision,
                state="held",
                updated_at=utcnow(),
            )
        )
        return revision
    uid_and_revision = ical.CalendarEvent(
        uid=uid,
        sequence=revision,
        stamp=stamp,
        start=stamp,
        end=stamp,
        summary="",
        location="",
        description="",
        url="",
        organizer_name="",
        organizer_email="",
    )
    stamped = sequences.stamp_message(person.calendar_recipient, uid_and_revision, method, kind)
    return stamped.sequence


def send_session(
    person: Person,
    talk: Talk,
    *,
    kind: str,
    template: str,
    subject: str,
    method: str | None,
    stamp: datetime | None = None,
    **context: object,
) -> bool:
    """A message about one session; with ``method``, its invite or cancellation. A session
    without a time yet cannot go into a calendar, so its messages carry no invite."""
    conference = talk.conference
    with force_locale(person.locale):
        if talk.start_at is None:
            facts = {
                "title": text_in(talk, "title"),
                "when_local": _("Not scheduled yet"),
                "when_utc": "",
                "where": location_text(conference, text_in(talk.room, "name") if talk.room else ""),
                "url": public_url("schedule.talk", slug=conference.slug, talk_id=talk.id),
                "speakers": [speaker.name for speaker in talk.speakers],
            }
            invite = None
        else:
            # Whoever is told they no longer hold the session is not given its join link.
            event = talk_event(talk, stamp=stamp or utcnow(), online=method != "CANCEL")
            facts = session_facts(talk, event)
            invite = (method, event) if method else None
        return send(
            person,
            conference,
            kind=kind,
            template=template,
            subject=_(subject, title=text_in(talk, "title")),
            invite=invite,
            event=facts,
            **context,
        )
