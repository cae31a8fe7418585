"""Where an attendee's personal data lives, and how erasure reaches every place of it.

``INVENTORY`` is the list to keep up to date: a new column, file or log that holds a name,
an address or a secret of an attendee belongs in it, together with what erasure does there.
``tests/registration/test_personal_data.py`` puts one person into every place it names,
erases them through the "Erase your data" page, then searches every table and every byte of
the instance folder (database file, its WAL, the .eml copies) for them.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from eventreg.core import audit
from eventreg.core.db import checkpoint_sqlite
from eventreg.core.extensions import db
from eventreg.invites.events import uid_for
from eventreg.invites.models import CalendarCopy
from eventreg.invites.sequences import registration_recipient
from eventreg.mail.models import OutboxMessage
from eventreg.mail.transports import outbox_directory, remove_eml_files
from eventreg.registration.models import Registration


@dataclass(frozen=True)
class Place:
    where: str
    holds: str
    on_erasure: str


INVENTORY: tuple[Place, ...] = (
    Place(
        "registration.full_name, email, email_key, affiliation, country",
        "who the attendee is and how to reach them",
        "emptied (the address becomes NULL, so it can register again as someone new)",
    ),
    Place(
        "registration.token_hash, spare_token_hash",
        "the hashes of the private management link and of its spare (the one resent)",
        "replaced by the hash of a secret nobody holds; the spare is emptied",
    ),
    Place(
        "registration (status, timestamps, locale, consent_text)",
        "no identity: what the seat counts and the organizers' figures need",
        "kept, anonymous, cancelled",
    ),
    Place("answer.value", "answers to the organizers' questions", "deleted"),
    Place(
        "session_signup", "the sessions in the agenda, and waiting places", "deleted (seats freed)"
    ),
    Place(
        "outbox_message.recipient, subject, raw, content, sealed, last_error",
        "every message to the attendee: address, name, links, the agenda; a message not "
        "composed yet: what it will say and its link's secret, sealed",
        "undelivered: deleted; delivered: emptied, the row kept as a record that mail went",
    ),
    Place(
        "broadcast_message",
        "which organizer messages the attendee received (links to outbox rows)",
        "kept with the emptied outbox row; deleted with an undelivered one",
    ),
    Place(
        "audit_entry.summary, before, after",
        "the attendee's name in entries about them (registering, check-in, organizer "
        "actions, session sign-ups) and wherever another entry quotes name or address",
        "entries about them say only 'registration #<id>'; quotes are replaced by it",
    ),
    Place(
        "MAIL_FILE_DIR (instance/outbox/<created>-<outbox id>.eml)",
        "copies of delivered messages when no SMTP server is configured",
        "deleted (a copy written while erasing is deleted by the sender)",
    ),
    Place(
        "calendar_copy (recipient 'registration:<id>', UID, SEQUENCE, state)",
        "which sessions' invites the registration was sent",
        "deleted but for the conference's own event, whose SEQUENCE the erased agenda "
        "still needs to mark it cancelled",
    ),
    Place(
        "SQLite: free pages of the database file, the -wal file",
        "old versions of every row written",
        "PRAGMA secure_delete zeroes deleted data; the WAL is checkpointed and truncated",
    ),
    Place(
        "the browser's session cookie (signed, not encrypted)",
        "the address typed into the form, for the page after it",
        "out of our reach: the visitor's browser; it ends with the browser session",
    ),
    Place(
        "rate-limit storage (RATELIMIT_STORAGE_URI)",
        "client IP addresses, counted per window",
        "not linked to a registration; expires within the hour",
    ),
    Place(
        "process logs",
        "outbox message numbers; SMTP errors as the server wrote them (may quote an address)",
        "outside the application: kept by the process manager (journald, docker, ...)",
    ),
    Place(
        "the SMTP server and the attendee's mailbox",
        "what was delivered",
        "out of our reach",
    ),
    # Staff (organizers, check-in desks, administrators): not attendees, and not erased by
    # the attendee's button; listed so that the inventory covers every place.
    Place(
        "user.name, email, password_hash; audit_entry.user_id and staff summaries",
        "staff accounts and what each member of staff did",
        "not an attendee's: kept while the account exists; an administrator deactivates it",
    ),
    Place(
        "staff_session (user id, hash of the cookie's secret)",
        "who is logged in where",
        "not an attendee's: deleted at logout, at expiry and on a password change",
    ),
    Place(
        "password_reset_request.email",
        "an address typed into 'forgot password' (anyone's)",
        "not an attendee's: deleted by the next delivery pass, mailed or not",
    ),
)


def forget_calendar_copies(registration: Registration) -> None:
    """Which sessions someone held would outlive the erased agenda in ``calendar_copy``."""
    db.session.execute(
        sa.delete(CalendarCopy)
        .where(CalendarCopy.recipient == registration_recipient(registration.id))
        .where(CalendarCopy.uid != uid_for(registration.conference.uuid))
    )


MessageFile = tuple[int, datetime]  # an outbox row's id and created_at: its .eml name


def forget_messages(registration_id: int) -> list[MessageFile]:
    """Undelivered mail would still go out to the erased address: drop it. Delivered mail
    stays as an anonymous record that something was sent, without address or content.
    Returns the messages whose .eml copies are to be deleted once this commits."""
    files = [
        (row.id, row.created_at)
        for row in db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.created_at).where(
                OutboxMessage.registration_id == registration_id
            )
        )
    ]
    db.session.execute(
        sa.delete(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .where(OutboxMessage.status != "sent")
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .values(recipient="", subject="", raw=b"", content=sa.null(), sealed=None, last_error="")
    )
    return files


def forget_in_audit_log(registration_id: int, name: str, address: str | None) -> str:
    """Every entry about the registration, and every quote of its name or address in the
    conference's log, now says "registration #<id>" instead; returns that label."""
    anonymous = f"registration #{registration_id}"
    words = [name.strip(), address or ""]
    audit.redact("registration", registration_id, words, anonymous)
    return anonymous


def after_erasure(files: list[MessageFile]) -> None:
    """What lies outside the transaction, once the erasure committed: the .eml copies, and
    on SQLite the earlier versions of the rows in the write-ahead log."""
    remove_eml_files(outbox_directory(current_app), files)
    if not checkpoint_sqlite():
        current_app.logger.warning(
            "erasure: the SQLite write-ahead log could not be emptied (a reader held on); "
            "the next erasure or checkpoint empties it"
        )
