"""What attendees and speakers are told when a session or the conference's span changes,
the speaker's private link, and the organizers' notice of a speaker declining a session.

Speakers read every message in their own language (``Speaker.language``, else the
conference's main one): see ``invites.messages.speaker_person``.

Updates keep the event's UID and raise its SEQUENCE, so calendars replace the event;
cancellations send METHOD:CANCEL. Messages are recorded in the caller's transaction.
"""

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventreg.conferences.models import Speaker, Talk
from eventreg.core.links import public_url
from eventreg.core.translations import text_in
from eventreg.invites.events import conference_event
from eventreg.invites.messages import Person, conference_facts, send, send_session, speaker_person
from eventreg.mail import builder
from eventreg.mail.builder import N_
from eventreg.mail.compose import Recipient
from eventreg.registration.models import Registration
from eventreg.registration.notifications import agenda_links, attendee

CHANGE_LABELS = {
    "time": _l("the time"),
    "room": _l("the room"),
    "details": _l("the details"),
    "speakers": _l("the speakers"),
    "online_link": _l("the online link"),
}


def session_updated(person: Person, talk: Talk, changes: list[str], stamp: datetime) -> bool:
    """The session changed (time, room, details): an update with the same UID and a higher
    SEQUENCE replaces the event in calendars."""
    with force_locale(person.locale):
        changed = ", ".join(str(CHANGE_LABELS[change]) for change in changes)
    return send_session(
        person,
        talk,
        kind="session_updated",
        template="session_updated",
        subject=N_("Changed: %(title)s"),
        method="REQUEST",
        stamp=stamp,
        changed=changed,
    )


def session_cancelled(person: Person, talk: Talk, stamp: datetime) -> bool:
    """The organizers cancelled the session: calendars drop it."""
    return send_session(
        person,
        talk,
        kind="session_cancelled",
        template="session_cancelled",
        subject=N_("Cancelled: %(title)s"),
        method="CANCEL",
        stamp=stamp,
    )


def speaker_invited(
    speaker: Speaker, talk: Talk, stamp: datetime, portal_url: str | None = None
) -> bool:
    """The invite for a session the speaker speaks in; with ``portal_url``, their private
    link too (``invite-speakers`` sends one)."""
    return send_session(
        speaker_person(speaker),
        talk,
        kind="speaker_invite",
        template="speaker_invite",
        subject=N_("You are speaking: %(title)s"),
        method="REQUEST",
        stamp=stamp,
        portal_url=portal_url,
    )


def speaker_link(speaker: Speaker, portal_url: str) -> bool:
    """The speaker's private link: to confirm their sessions and keep their page up to
    date. False when the speaker has no address."""
    person = speaker_person(speaker)
    conference = speaker.conference
    with force_locale(person.locale):
        return send(
            person,
            conference,
            kind="speaker_link",
            template="speaker_link",
            subject=_("Your speaker page for %(title)s", title=text_in(conference, "title")),
            portal_url=portal_url,
            talks=[talk for talk in speaker.talks if not talk.cancelled],
        )


def speaker_declined(speaker: Speaker, talk: Talk) -> None:
    """Tell the organizers (the conference's organizer address, in its main language) that a
    speaker declined a session; a reply reaches the speaker."""
    conference = talk.conference
    organizers = text_in(conference, "organizer_name") or text_in(conference, "title")
    person = Person(
        name=organizers, email=conference.organizer_email, locale=conference.main_language
    )
    with force_locale(person.locale):
        builder.send(
            Recipient(organizers, conference.organizer_email),
            kind="speaker_declined",
            template="email/speaker_declined",
            subject=_(
                "%(name)s declined “%(title)s”", name=speaker.name, title=text_in(talk, "title")
            ),
            context={
                "person": person,
                "conference": conference,
                "speaker": speaker,
                "talk": talk,
                "method": None,
                "session_url": public_url(
                    "organizers.edit_session", slug=conference.slug, talk_id=talk.id
                ),
                "speaker_url": public_url(
                    "organizers.edit_speaker", slug=conference.slug, item_id=speaker.id
                ),
            },
            reply_to=Recipient(speaker.name, speaker.email) if speaker.email else None,
            conference_id=conference.id,
        )


def speaker_removed(speaker: Speaker, talk: Talk, stamp: datetime) -> bool:
    """No longer speaking in the session: it leaves the speaker's calendar."""
    return send_session(
        speaker_person(speaker),
        talk,
        kind="speaker_removed",
        template="speaker_removed",
        subject=N_("No longer on your programme: %(title)s"),
        method="CANCEL",
        stamp=stamp,
    )


def conference_updated(registration: Registration, stamp: datetime) -> bool:
    """The conference's own event moved (its first or last session changed)."""
    conference = registration.conference
    person = attendee(registration)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=stamp)
        return send(
            person,
            conference,
            kind="conference_updated",
            template="conference_updated",
            subject=_("New times: %(title)s", title=conference.title),
            invite=("REQUEST", event),
            event=conference_facts(conference, event),
            **agenda_links(registration),
        )
