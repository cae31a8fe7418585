"""Messages organizers write to attendees: one outbox row per recipient, followed up.

A broadcast, its copies and its audit entry are written in one transaction: either every
recipient's copy is queued, or none is.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Talk
from eventreg.conferences.rules import clean_translations
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.translations import text_in
from eventreg.mail.models import OutboxMessage
from eventreg.registration import notifications
from eventreg.registration.models import Broadcast, BroadcastMessage, Registration, SessionSignup

MAX_SUBJECT = 200
MAX_BODY = 20000


@dataclass
class DeliveryState:
    pending: int = 0
    sent: int = 0
    failed: int = 0


def recipients(conference: Conference, talk: Talk | None = None) -> list[Registration]:
    """Confirmed attendees with an address; with ``talk``, only those holding its seat.
    People on the waiting list are not written to: they hold no seat yet."""
    query = (
        sa.select(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status == "confirmed",
            Registration.email.is_not(None),
        )
        .order_by(Registration.id)
    )
    if talk is not None:
        query = query.join(SessionSignup, SessionSignup.registration_id == Registration.id).where(
            SessionSignup.talk_id == talk.id, SessionSignup.status == "confirmed"
        )
    return list(db.session.scalars(query))


def send_broadcast(
    actor: audit.Actor,
    conference: Conference,
    *,
    subject: str,
    body: str,
    talk: Talk | None = None,
    translations: dict[str, dict[str, str]] | None = None,
) -> Broadcast:
    """Queue ``subject``/``body`` to every recipient; raises Invalid for refused input.

    ``translations`` holds the texts in the conference's other languages
    (``{"zh": {"subject": …, "body": …}}``): each recipient gets the language they
    registered in, else the main one."""
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors: dict[str, str] = {}
    texts = {}
    try:
        texts = clean_translations(
            _single_line_subjects(translations),
            {"subject": MAX_SUBJECT, "body": MAX_BODY},
            main_language=conference.main_language,
            multiline=("body",),
        )
    except Invalid as refused:
        errors.update(refused.errors)
    if not subject:
        errors["subject"] = _("Write a subject.")
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = _("At most %(n)d characters.", n=MAX_SUBJECT)
    if not body:
        errors["body"] = _("Write the message.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("At most %(n)d characters.", n=MAX_BODY)
    if talk is not None and talk.conference_id != conference.id:
        errors["talk_id"] = _("That session belongs to another conference.")
    if errors:
        raise Invalid(errors)
    staff = None if actor is None or isinstance(actor, str) else actor
    with write_transaction():
        people = recipients(conference, talk)
        if not people:
            raise Conflict.about(_("Nobody would receive this message: there is no such attendee."))
        broadcast = Broadcast(
            conference_id=conference.id,
            talk_id=talk.id if talk else None,
            user_id=staff.id if staff else None,
            sender=staff.email if staff else "command line",
            subject=subject,
            body=body,
            translations=texts,
            created_at=utcnow(),
        )
        db.session.add(broadcast)
        db.session.flush()
        queued = []
        for registration in people:
            language = (registration.locale or "").split("_")[0]
            row = notifications.organizer_message(
                registration,
                text_in(broadcast, "subject", language),
                text_in(broadcast, "body", language),
            )
            if row is not None:
                queued.append(row)
        db.session.flush()
        db.session.add_all(
            BroadcastMessage(broadcast_id=broadcast.id, outbox_message_id=row.id) for row in queued
        )
        broadcast.recipient_count = len(queued)
        audit.log(
            actor,
            "message.sent",
            broadcast,
            conference_id=conference.id,
            summary=subject,
            after={
                "talk_id": broadcast.talk_id,
                "recipients": len(queued),
                "subject": subject,
                **({"translations": texts} if texts else {}),
            },
        )
    return broadcast


def _single_line_subjects(translations: object) -> object:
    """Subjects are one line, spaces collapsed, as the main one is."""
    if not isinstance(translations, dict):
        return translations
    return {
        language: {**texts, "subject": " ".join(texts["subject"].split())}
        if isinstance(texts, dict) and isinstance(texts.get("subject"), str)
        else texts
        for language, texts in translations.items()
    }


def delivery_states(broadcast_ids: list[int]) -> dict[int, DeliveryState]:
    """Pending, sent and failed copies of each broadcast, in one query."""
    states = {broadcast_id: DeliveryState() for broadcast_id in broadcast_ids}
    rows = db.session.execute(
        sa.select(BroadcastMessage.broadcast_id, OutboxMessage.status, sa.func.count())
        .join(OutboxMessage, OutboxMessage.id == BroadcastMessage.outbox_message_id)
        .where(BroadcastMessage.broadcast_id.in_(broadcast_ids))
        .group_by(BroadcastMessage.broadcast_id, OutboxMessage.status)
    )
    for broadcast_id, status, number in rows:
        setattr(states[broadcast_id], status, number)
    return states


def copies(broadcast: Broadcast) -> list[OutboxMessage]:
    """Each recipient's copy, failed ones first, for following up."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .join(BroadcastMessage, BroadcastMessage.outbox_message_id == OutboxMessage.id)
            .where(BroadcastMessage.broadcast_id == broadcast.id)
            .order_by((OutboxMessage.status == "failed").desc(), OutboxMessage.recipient)
        )
    )
