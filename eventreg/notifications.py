"""Who is told what, and when: one function per event that sends e-mail.

Every function records its messages in the outbox inside the caller's transaction and never
commits; delivery happens after commit (see ``eventreg.mail``). Callers pass the plain
management secret only where the message carries the management link.
"""

from email.message import EmailMessage
from email.headerregistry import Address

from flask import current_app, url_for

from eventreg.mail.outbox import record
from eventreg.registration.models import Registration


def _external(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _message(registration: Registration, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    # Address() refuses CR/LF and encodes non-ASCII names, so no header can be injected.
    message["To"] = Address(display_name=registration.full_name, addr_spec=registration.email)
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    message.set_content(body)
    return message


def _send(registration: Registration, kind: str, subject: str, body: str) -> None:
    record(
        _message(registration, subject, body),
        kind=kind,
        conference_id=registration.conference_id,
        registration_id=registration.id,
    )


def registration_received(registration: Registration, manage_token: str) -> None:
    """A new registration: a seat (with the invite) or a place on the waiting list."""
    conference = registration.conference
    link = _external("registration.manage", slug=conference.slug, token=manage_token)
    if registration.status == "confirmed":
        subject = f"Your registration for {conference.title} is confirmed"
        body = f"Dear {registration.full_name},\n\nyou hold a seat.\n\nManage: {link}\n"
        _send(registration, "registration_confirmed", subject, body)
    else:
        subject = f"You are on the waiting list for {conference.title}"
        body = f"Dear {registration.full_name},\n\nyou are on the waiting list.\n\nManage: {link}\n"
        _send(registration, "registration_waiting", subject, body)


def management_link_resent(registration: Registration, manage_token: str) -> None:
    conference = registration.conference
    link = _external("registration.manage", slug=conference.slug, token=manage_token)
    subject = f"Your registration link for {conference.title}"
    body = f"Dear {registration.full_name},\n\nhere is your new private link: {link}\n"
    _send(registration, "management_link", subject, body)


def registration_promoted(registration: Registration) -> None:
    """Moved from the waiting list to a seat (with the invite)."""
    conference = registration.conference
    subject = f"A seat is yours: {conference.title}"
    body = f"Dear {registration.full_name},\n\na seat has become free and is now yours.\n"
    _send(registration, "registration_promoted", subject, body)


def registration_cancelled(registration: Registration) -> None:
    """The attendee cancelled: calendars drop the conference and every session in the agenda."""
    conference = registration.conference
    subject = f"Registration cancelled: {conference.title}"
    body = f"Dear {registration.full_name},\n\nyour registration has been cancelled.\n"
    _send(registration, "registration_cancelled", subject, body)


def session_joined(registration: Registration, talk, status: str) -> None:
    """A session added to the agenda: a seat (with the session's invite) or a waiting place."""
    subject = f"{talk.title}: " + ("seat confirmed" if status == "confirmed" else "waiting list")
    body = f"Dear {registration.full_name},\n\n{talk.title}: {status}.\n"
    _send(registration, f"session_{status}", subject, body)


def session_promoted(registration: Registration, talk) -> None:
    subject = f"A seat is yours: {talk.title}"
    body = f"Dear {registration.full_name},\n\na seat in {talk.title} is now yours.\n"
    _send(registration, "session_promoted", subject, body)


def session_left(registration: Registration, talk) -> None:
    """The attendee left a session: calendars drop exactly that event."""
    subject = f"Removed from your agenda: {talk.title}"
    body = f"Dear {registration.full_name},\n\n{talk.title} is no longer in your agenda.\n"
    _send(registration, "session_left", subject, body)


__all__ = [
    "current_app",
    "management_link_resent",
    "registration_cancelled",
    "registration_promoted",
    "registration_received",
    "session_joined",
    "session_left",
    "session_promoted",
]
