"""Registrations that need an organizer's approval: the pending list, approving, rejecting.

A conference with ``requires_approval`` (or a category with it, unless the person's access
code or invitation skips the review) takes registrations as "pending" (``services.
register``): they hold no seat and no waiting-list place. Approving admits them by the same
seat decision as registering (``services.take_place``, under the conference's lock, after
counting, category seats included), so approvals from several organizers at once never
overbook; each approved person gets the usual confirmation with the invite, or the
waiting-list mail. Rejecting sends a kind message without an invite and frees nothing: a
pending registration held nothing. A batch (the organizer's ticked rows) is one
transaction: all of it or nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.db import utcnow
from eventreg.core.errors import Conflict
from eventreg.core.extensions import db
from eventreg.registration import notifications, reminders, services
from eventreg.registration.models import Answer, Registration

# Far more than one page of ticked boxes; a bigger batch is refused before any lock is taken.
MAX_BATCH = 1000


@dataclass
class Decision:
    """What a batch did: who got a seat, who a waiting place, who was rejected, and which
    of the chosen were no longer undecided (decided meanwhile by someone else, withdrawn,
    or not of this conference) and were left as they are."""

    confirmed: list[Registration] = field(default_factory=list)
    waiting: list[Registration] = field(default_factory=list)
    rejected: list[Registration] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def pending(conference: Conference) -> list[Registration]:
    """The registrations waiting for a decision, first come first, with their answers."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .filter_by(conference_id=conference.id, status="pending")
            .options(selectinload(Registration.answers).selectinload(Answer.question))
            .order_by(Registration.queued_at, Registration.id)
        )
    )


def rejected(conference: Conference) -> list[Registration]:
    """Registrations an organizer rejected, latest decision first."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .filter_by(conference_id=conference.id, status="rejected")
            .where(Registration.email.is_not(None))
            .order_by(Registration.decided_at.desc(), Registration.id.desc())
        )
    )


def approve(
    actor: audit.Actor, conference: Conference, registration_ids: Iterable[int]
) -> Decision:
    """Admit the chosen pending (or earlier rejected) registrations, in the order they
    registered: a seat each while the conference and the person's category have one,
    else a waiting-list place. Each
    is e-mailed (the confirmation with the invite, or the waiting-list mail) and audited.
    Raises ``ConferenceOver`` once the conference has taken place."""
    ids = _ids(registration_ids)
    with services.conference_write(conference.id) as conference:
        _require_not_over(conference)
        chosen, decision = _chosen(conference, ids, ("pending", "rejected"))
        # Counted once, under the lock (the categories' seats too, when one has its own);
        # every admission below counts itself in.
        seats = services.Seats(conference.id)
        for registration in chosen:
            before = registration.status
            now = utcnow()
            position = services.take_place(conference, registration, seats, now)
            registration.decided_at = now
            db.session.flush()
            # Their own link keeps working; the mail carries the spare one (its secret is
            # derived, so nothing needs storing but its digest).
            secret = services.spare_link_secret(registration)
            notifications.registration_received(registration, secret, position)
            if registration.status == "confirmed":
                # Pending, they held no session: only the conference's reminders can be due.
                if conference.conference_reminder_minutes:
                    reminders.record_for_registration(registration)
                decision.confirmed.append(registration)
            else:
                decision.waiting.append(registration)
            audit.log(
                actor,
                "registration.approved",
                registration,
                conference_id=conference.id,
                summary=registration.full_name,
                before={"status": before},
                after={"status": registration.status},
            )
        return decision


def reject(actor: audit.Actor, conference: Conference, registration_ids: Iterable[int]) -> Decision:
    """Reject the chosen pending registrations: each gets a kind message (no invite: their
    calendar never held the conference) and is audited. Nothing is freed."""
    ids = _ids(registration_ids)
    with services.conference_write(conference.id) as conference:
        _require_not_over(conference)
        chosen, decision = _chosen(conference, ids, ("pending",))
        for registration in chosen:
            registration.status = "rejected"
            registration.decided_at = utcnow()
            db.session.flush()
            notifications.registration_rejected(
                registration, services.spare_link_secret(registration)
            )
            decision.rejected.append(registration)
            audit.log(
                actor,
                "registration.rejected",
                registration,
                conference_id=conference.id,
                summary=registration.full_name,
                before={"status": "pending"},
                after={"status": "rejected"},
            )
        return decision


class TooManyChosen(Conflict):
    """More registrations ticked than one decision takes."""

    def __init__(self) -> None:
        super().__init__({"": _("Choose at most %(n)d registrations at a time.", n=MAX_BATCH)})


def _require_not_over(conference: Conference) -> None:
    if conference.registration_state(utcnow()) == "past":
        raise services.ConferenceOver()


def _ids(registration_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(registration_ids))
    if len(ids) > MAX_BATCH:
        raise TooManyChosen()
    return ids


def _chosen(
    conference: Conference, ids: list[int], statuses: tuple[str, ...]
) -> tuple[list[Registration], Decision]:
    """The chosen registrations still undecided, read afresh under the conference's lock
    (locked rows, first come first served), and a decision naming those left out."""
    rows = (
        list(
            db.session.scalars(
                sa.select(Registration)
                .where(
                    Registration.id.in_(ids),
                    Registration.conference_id == conference.id,
                    Registration.status.in_(statuses),
                    Registration.email.is_not(None),
                )
                .order_by(Registration.queued_at, Registration.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        if ids
        else []
    )
    found = {row.id for row in rows}
    return rows, Decision(skipped=[i for i in ids if i not in found])
