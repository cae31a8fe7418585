"""What attendees and speakers are told when a session or the conference's span changes.

Updates keep the event's UID and raise its SEQUENCE, so calendars replace the event;
cancellations send METHOD:CANCEL. Messages are recorded in the caller's transaction.
"""

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventreg.conferences.models import Speaker, Talk
from eventreg.invites.events import conference_event
from eventreg.invites.messages import Person, conference_facts, send, send_session, speaker_person
from eventreg.mail.builder import N_
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


def speaker_invited(speaker: Speaker, talk: Talk, stamp: datetime) -> bool:
    """The invite for a session the speaker speaks in."""
    return send_session(
        speaker_person(speaker),
        talk,
        kind="speaker_invite",
        template="speaker_invite",
        subject=N_("You are speaking: %(title)s"),
        method="REQUEST",
        stamp=stamp,
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
