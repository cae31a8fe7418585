"""``Registration.agenda_revision``: moves with every change of what a personal agenda feed shows.

The agenda feed shows the registration's seats (its status, its confirmed session sign-ups),
in its language, and what each of its calendars was last sent (``CalendarCopy``: the
SEQUENCEs and which events a cancelled registration keeps). Changes to any of these bump
the revision in their own transaction, at flush time; the feed's ETag is derived from it
together with the conference's ``feed_revision`` (the events themselves).

A statement that bypasses the unit of work on these tables calls :func:`bump_agenda` itself
(erasure deletes calendar copies in bulk, but it also sets ``erased_at``, which bumps).
A new registration starts at 0 and is not bumped: nothing was ever served for it.
"""

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from eventreg.conferences.revisions import revised_in_transaction
from eventreg.invites.models import CalendarCopy
from eventreg.invites.sequences import registration_recipient
from eventreg.registration.models import Registration, SessionSignup

# What the agenda feed reads of the registration row itself.
AGENDA_COLUMNS = ("status", "locale", "erased_at", "cancelled_at", "conference_id")
_RECIPIENT_PREFIX = registration_recipient(0).removesuffix("0")


def bump_agenda(session: Session, registration_id: int | None) -> None:
    """Move the registration's ``agenda_revision`` in this transaction (once), as an SQL
    increment so that concurrent writers never share a revision."""
    if registration_id is None:
        return
    revised = revised_in_transaction(session, "agenda")
    if registration_id in revised:
        return
    registration = session.get(Registration, registration_id)
    if (
        registration is None
        or registration in session.new
        or registration in session.deleted
        or registration in revised_in_transaction(session, "agenda-inserted")
    ):
        return
    revised.add(registration_id)
    registration.agenda_revision = Registration.agenda_revision + 1


def _registration_changed(registration: Registration) -> bool:
    attrs = inspect(registration).attrs
    return any(attrs[name].history.has_changes() for name in AGENDA_COLUMNS)


def _copy_owner(copy: CalendarCopy) -> int | None:
    recipient = copy.recipient or ""
    if not recipient.startswith(_RECIPIENT_PREFIX):
        return None  # a speaker's copy: no agenda feed
    number = recipient.removeprefix(_RECIPIENT_PREFIX)
    return int(number) if number.isdigit() else None


def _signup_owner(signup: SessionSignup) -> int | None:
    if signup.registration_id is not None:
        return signup.registration_id
    registration = inspect(signup).attrs.registration.loaded_value
    return getattr(registration, "id", None)


@event.listens_for(Session, "before_flush")
def _bump_changed_agendas(session: Session, flush_context: Any, instances: Any) -> None:
    touched: set[int | None] = set()
    for obj in session.dirty:
        if isinstance(obj, Registration):
            if _registration_changed(obj):
                touched.add(obj.id)
        elif isinstance(obj, SessionSignup) and session.is_modified(obj):
            touched.add(_signup_owner(obj))
        elif isinstance(obj, CalendarCopy) and session.is_modified(obj):
            touched.add(_copy_owner(obj))
    # No agenda feed was ever served for a row inserted in this transaction, so what follows
    # in it (its invite's calendar copy) needs no UPDATE right after the INSERT.
    inserted = revised_in_transaction(session, "agenda-inserted")
    inserted.update(obj for obj in session.new if isinstance(obj, Registration))
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, SessionSignup):
            touched.add(_signup_owner(obj))
        elif isinstance(obj, CalendarCopy):
            touched.add(_copy_owner(obj))
    for registration_id in touched:
        bump_agenda(session, registration_id)
