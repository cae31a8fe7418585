"""Messages organizers write to a group of people: one outbox row per recipient, followed up.

A broadcast goes to an *audience* (``BROADCAST_AUDIENCES``): every confirmed attendee, a
session's seat holders, the confirmed attendees of one registration category, the waiting
list, the registrations pending approval, the speakers, or the attendees not checked in yet.
Each recipient gets the text in their language (``Registration.locale``,
``Speaker.language``), else the conference's main one.

Every copy is recorded as what to say (``outbox.record_deferred``, kind ``organizer_message``)
and made by :func:`_compose_copy` when the sender delivers it: a copy due now goes out at
once, one scheduled (``send_at``) waits in the outbox until then, like a reminder. At
delivery a recipient who has left the audience meanwhile (cancelled, erased, checked in) is
not written to, and a cancelled broadcast sends nothing. The preview and the test send are
made by the same composer, so the organizer sees exactly what each recipient gets.

Each action (send, schedule, cancel, test) is one transaction: the broadcast, its outbox
rows and its audit entry, or nothing.
"""

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Speaker, Talk
from eventreg.conferences.rules import (
    clean_translations,
    content_languages,
    skipped_time_message,
)
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.timeutil import instants_on_clock
from eventreg.core.translations import text_in
from eventreg.mail import builder, outbox
from eventreg.mail.compose import Recipient
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import CannotCompose, composer, record_deferred
from eventreg.registration.models import (
    BROADCAST_AUDIENCES,
    Broadcast,
    BroadcastMessage,
    Registration,
    RegistrationCategory,
    SessionSignup,
)

MAX_SUBJECT = 200
MAX_BODY = 20000
KIND = "organizer_message"
TEMPLATE = "organizers/email/organizer_message"
# Why a copy was not sent: its recipient left the audience before it was due.
LEFT_AUDIENCE = "the recipient is no longer in the message's audience"
SKIPPED_ERROR = f"could not be composed: {LEFT_AUDIENCE}"

# A body that already greets its reader: the mail's own "Dear …" is then left out.
_GREETING = re.compile(
    r"^\s*(?:(?:dear|dearest|hello|hi|hey|greetings|good\s+(?:morning|afternoon|evening)"
    r"|ciao|salve|buongiorno|buonasera|gentil[ei]|gentilissim[oaie]|egregi[oaie]|car[oaie]"
    r"|carissim[oaie])\b|尊敬的|亲爱的|您好|你好|大家好|各位)",
    re.IGNORECASE,
)


def starts_with_greeting(body: str) -> bool:
    """Whether the organizer's text opens with a greeting of its own ("Dear all", "Ciao",
    "尊敬的各位嘉宾")."""
    return bool(_GREETING.match(body or ""))


@dataclass
class DeliveryState:
    pending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # left the audience before a scheduled message was due


@dataclass(frozen=True)
class Member:
    """Someone in an audience: an attendee (``kind`` "registration") or a speaker."""

    kind: str
    id: int
    name: str
    email: str
    language: str

    @property
    def key(self) -> str:
        return f"{self.kind[0]}{self.id}"


# --- audiences ------------------------------------------------------------------------------


def _registrations(
    conference: Conference, audience: str, talk: Talk | None, category_id: int | None = None
) -> sa.Select[Registration]:
    query = sa.select(Registration).where(
        Registration.conference_id == conference.id,
        Registration.email.is_not(None),
        Registration.erased_at.is_(None),
    )
    if audience == "waiting":
        return query.where(Registration.status == "waiting").order_by(
            Registration.queued_at, Registration.id
        )
    if audience == "pending":
        query = query.where(Registration.status == "pending")
    else:
        query = query.where(Registration.status == "confirmed")
    if audience == "not_checked_in":
        query = query.where(Registration.checked_in_at.is_(None))
    if audience == "category":
        # Like "all", within one category.
        query = query.where(Registration.category_id == (category_id or -1))
    if audience == "session":
        query = query.join(SessionSignup, SessionSignup.registration_id == Registration.id).where(
            SessionSignup.talk_id == (talk.id if talk is not None else -1),
            SessionSignup.status == "confirmed",
        )
    return query.order_by(Registration.id)


def _speakers(conference: Conference) -> sa.Select[Speaker]:
    return (
        sa.select(Speaker)
        .where(
            Speaker.conference_id == conference.id,
            Speaker.email.is_not(None),
            Speaker.email != "",
        )
        .order_by(Speaker.name, Speaker.id)
    )


def recipients(conference: Conference, talk: Talk | None = None) -> list[Registration]:
    """Confirmed attendees with an address; with ``talk``, only those holding its seat."""
    audience = "session" if talk is not None else "all"
    return list(db.session.scalars(_registrations(conference, audience, talk)))


def language_for(conference: Conference, language: str | None) -> str:
    """The language someone is written to in: theirs when the site speaks it, else the
    conference's main one."""
    language = (language or "").replace("-", "_").split("_")[0]
    return language if language in content_languages() else conference.main_language


def members(
    conference: Conference,
    audience: str,
    talk: Talk | None = None,
    category: RegistrationCategory | None = None,
) -> list[Member]:
    """Everyone ``audience`` reaches now, in a stable order (``talk`` for "session",
    ``category`` for "category")."""
    if audience == "speakers":
        return [
            Member(
                "speaker",
                s.id,
                s.name,
                s.email or "",
                language_for(conference, s.language),
            )
            for s in db.session.scalars(_speakers(conference))
        ]
    return [
        Member(
            "registration",
            r.id,
            r.full_name,
            r.email or "",
            language_for(conference, r.locale),
        )
        for r in db.session.scalars(
            _registrations(conference, audience, talk, category.id if category else None)
        )
    ]


def audience_counts(conference: Conference) -> dict[str, int]:
    """How many each audience reaches, sessions as ``session:<id>``, categories as
    ``category:<id>``; a few queries."""
    statuses = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(
                Registration.conference_id == conference.id,
                Registration.email.is_not(None),
                Registration.erased_at.is_(None),
            )
            .group_by(Registration.status)
        ).all()
    )
    counts = {
        "all": statuses.get("confirmed", 0),
        "waiting": statuses.get("waiting", 0),
        "pending": statuses.get("pending", 0),
        "not_checked_in": db.session.scalar(
            sa.select(sa.func.count()).select_from(
                _registrations(conference, "not_checked_in", None).subquery()
            )
        )
        or 0,
        "speakers": db.session.scalar(
            sa.select(sa.func.count()).select_from(_speakers(conference).subquery())
        )
        or 0,
    }
    per_talk = db.session.execute(
        sa.select(SessionSignup.talk_id, sa.func.count())
        .join(Registration, Registration.id == SessionSignup.registration_id)
        .where(
            Registration.conference_id == conference.id,
            Registration.status == "confirmed",
            Registration.email.is_not(None),
            Registration.erased_at.is_(None),
            SessionSignup.status == "confirmed",
        )
        .group_by(SessionSignup.talk_id)
    ).all()
    counts.update({f"session:{talk_id}": number for talk_id, number in per_talk})
    per_category = db.session.execute(
        sa.select(Registration.category_id, sa.func.count())
        .where(
            Registration.conference_id == conference.id,
            Registration.status == "confirmed",
            Registration.email.is_not(None),
            Registration.erased_at.is_(None),
            Registration.category_id.is_not(None),
        )
        .group_by(Registration.category_id)
    ).all()
    counts.update({f"category:{category_id}": number for category_id, number in per_category})
    return counts


def _still_member(broadcast: Broadcast, kind: str, member_id: int) -> Member | None:
    """The recipient as they are now, if still in the broadcast's audience."""
    conference = broadcast.conference
    if kind == "speaker":
        if broadcast.audience != "speakers":
            return None
        speaker = db.session.scalar(_speakers(conference).where(Speaker.id == member_id))
        if speaker is None:
            return None
        return Member(
            "speaker",
            speaker.id,
            speaker.name,
            speaker.email or "",
            language_for(conference, speaker.language),
        )
    if broadcast.audience == "speakers":
        return None
    registration = db.session.scalar(
        _registrations(conference, broadcast.audience, broadcast.talk, broadcast.category_id).where(
            Registration.id == member_id
        )
    )
    if registration is None:
        return None
    return Member(
        "registration",
        registration.id,
        registration.full_name,
        registration.email or "",
        language_for(conference, registration.locale),
    )


# --- the texts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A message as written, checked: what :func:`send_broadcast` would send."""

    audience: str
    talk: Talk | None
    subject: str
    body: str
    translations: dict[str, dict[str, str]]
    send_at: datetime | None = None
    category: RegistrationCategory | None = None

    def as_broadcast(self, conference: Conference) -> Broadcast:
        """A broadcast not added to the database, for previews and test sends."""
        return Broadcast(
            conference_id=conference.id,
            talk_id=self.talk.id if self.talk else None,
            category_id=self.category.id if self.category else None,
            audience=self.audience,
            subject=self.subject,
            body=self.body,
            translations=self.translations,
        )


def check_draft(
    conference: Conference,
    *,
    subject: str,
    body: str,
    audience: str = "all",
    talk: Talk | None = None,
    translations: dict[str, dict[str, str]] | None = None,
    send_at: datetime | None = None,
    now: datetime | None = None,
    category: RegistrationCategory | None = None,
) -> Draft:
    """The message cleaned, or Invalid naming each field at fault."""
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors: dict[str, str] = {}
    texts: dict[str, dict[str, str]] = {}
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
    if audience not in BROADCAST_AUDIENCES:
        errors["audience"] = _("Choose who receives the message.")
    elif audience == "session" and talk is None:
        errors["audience"] = _("Choose the session whose seat holders receive the message.")
    elif audience == "category" and category is None:
        errors["audience"] = _("Choose the category whose attendees receive the message.")
    if talk is not None and talk.conference_id != conference.id:
        errors["audience"] = _("That session belongs to another conference.")
    if category is not None and category.conference_id != conference.id:
        errors["audience"] = _("That category belongs to another conference.")
    today = (now or utcnow()).date()
    if send_at is not None and not today.year - 1 <= send_at.year <= today.year + 1:
        errors["send_at"] = _("Choose a time within the coming year.")
        send_at = None
    if send_at is not None and send_at.tzinfo is None:
        # A wall-clock time from a form, read in the conference's zone.
        found = instants_on_clock(send_at.date(), send_at.time(), conference.tz)
        if not found:
            errors["send_at"] = skipped_time_message(send_at.date(), send_at.time(), conference.tz)
        send_at = found[0].astimezone(UTC) if found else None
    if send_at is not None and send_at <= (now or utcnow()):
        errors["send_at"] = _("Choose a time in the future, or leave it empty to send now.")
    if errors:
        raise Invalid(errors)
    return Draft(
        audience,
        talk if audience == "session" else None,
        subject,
        body,
        texts,
        send_at,
        category if audience == "category" else None,
    )


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


def _subject(broadcast: Broadcast, conference: Conference, language: str) -> str:
    title = text_in(conference, "title", language)
    return f"{title}: {text_in(broadcast, 'subject', language)}"


# --- composing ------------------------------------------------------------------------------


def _build(
    broadcast: Broadcast, conference: Conference, member: Member, *, to: str, mark: str = ""
) -> None:
    """The one way a copy is made (sent, previewed or tested): through ``builder.send``."""
    language = member.language
    body = text_in(broadcast, "body", language)
    subject = _subject(broadcast, conference, language)
    with force_locale(language):
        builder.send(
            Recipient(member.name, to),
            kind=KIND,
            template=TEMPLATE,
            subject=f"{mark} {subject}" if mark else subject,
            context={
                "person": member,
                "conference": conference,
                "body": body,
                "greet": not starts_with_greeting(body),
                "method": None,
            },
            reply_to=Recipient(text_in(conference, "organizer_name"), conference.organizer_email),
            conference_id=conference.id,
            registration_id=member.id if member.kind == "registration" else None,
        )


@composer(KIND)
def _compose_copy(row: OutboxMessage, secret: str | None) -> None:
    content = dict(row.content or {})
    kind, member_id = content["member"]
    if "draft" in content:  # a test copy (or a preview): the texts travel with it
        draft = content["draft"]
        conference = db.session.get(Conference, row.conference_id)
        if conference is None:
            raise CannotCompose("the conference no longer exists")
        broadcast = Broadcast(
            conference_id=conference.id,
            audience=draft["audience"],
            talk_id=draft.get("talk_id"),
            category_id=draft.get("category_id"),
            subject=draft["subject"],
            body=draft["body"],
            translations=draft.get("translations") or {},
        )
        member = _member_now(conference, kind, member_id)
        if member is None:
            raise CannotCompose("the recipient it shows no longer exists")
        _build(broadcast, conference, member, to=row.recipient, mark=content.get("mark", ""))
        return
    found = db.session.get(Broadcast, content["broadcast_id"])
    if found is None or found.status == "cancelled":
        raise CannotCompose("the message was cancelled")
    member = _still_member(found, kind, member_id)
    if member is None or member.email.casefold() != row.recipient.casefold():
        raise CannotCompose(LEFT_AUDIENCE)
    _build(found, found.conference, member, to=row.recipient)


def _member_now(conference: Conference, kind: str, member_id: int) -> Member | None:
    if kind == "speaker":
        speaker = db.session.get(Speaker, member_id)
        if speaker is None or speaker.conference_id != conference.id or not speaker.email:
            return None
        return Member(
            "speaker",
            speaker.id,
            speaker.name,
            speaker.email,
            language_for(conference, speaker.language),
        )
    registration = db.session.get(Registration, member_id)
    if registration is None or registration.conference_id != conference.id:
        return None
    if not registration.email:
        return None
    return Member(
        "registration",
        registration.id,
        registration.full_name,
        registration.email,
        language_for(conference, registration.locale),
    )


def _draft_content(draft: Draft, member: Member, mark: str = "") -> dict[str, Any]:
    return {
        "member": [member.kind, member.id],
        "mark": mark,
        "draft": {
            "audience": draft.audience,
            "talk_id": draft.talk.id if draft.talk else None,
            "category_id": draft.category.id if draft.category else None,
            "subject": draft.subject,
            "body": draft.body,
            "translations": draft.translations,
        },
    }


@dataclass(frozen=True)
class Preview:
    """What one recipient gets, read back from the composed message."""

    member: Member
    subject: str
    to: str
    text: str
    html: str  # the HTML body with its images as data: addresses, for showing in a frame
    greets: bool


def preview(conference: Conference, draft: Draft, member: Member) -> Preview:
    """The message ``member`` would get, made by the delivery's own composer (reads only)."""
    row = OutboxMessage(
        kind=KIND,
        conference_id=conference.id,
        message_id=outbox.new_message_id(),
        recipient=member.email,
        subject="",
        raw=b"",
        content=_draft_content(draft, member),
        created_at=utcnow(),
    )
    raw, subject = outbox.compose(row)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    text = _part(message, "plain")
    html = _part(message, "html")
    for part in message.walk():
        content_id = part.get("Content-ID")
        if content_id and part.get_content_type().startswith("image/"):
            payload = part.get_payload(decode=True)
            data = base64.b64encode(payload if isinstance(payload, bytes) else b"").decode()
            html = html.replace(
                f"cid:{content_id.strip('<>')}", f"data:{part.get_content_type()};base64,{data}"
            )
    body = text_in(draft.as_broadcast(conference), "body", member.language)
    return Preview(member, subject, str(message["To"]), text, html, not starts_with_greeting(body))


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return str(part.get_content()) if part is not None else ""


# --- actions --------------------------------------------------------------------------------


def send_broadcast(
    actor: audit.Actor,
    conference: Conference,
    *,
    subject: str,
    body: str,
    talk: Talk | None = None,
    translations: dict[str, dict[str, str]] | None = None,
    audience: str | None = None,
    send_at: datetime | None = None,
    category: RegistrationCategory | None = None,
) -> Broadcast:
    """Queue ``subject``/``body`` to every member of the audience, now or at ``send_at``
    (status "scheduled"); raises Invalid for refused input, Conflict for an empty audience.

    ``translations`` holds the texts in the conference's other languages
    (``{"zh": {"subject": …, "body": …}}``)."""
    audience = audience or ("session" if talk is not None else "all")
    draft = check_draft(
        conference,
        subject=subject,
        body=body,
        audience=audience,
        talk=talk,
        translations=translations,
        send_at=send_at,
        category=category,
    )
    staff = None if actor is None or isinstance(actor, str) else actor
    with write_transaction():
        people = members(conference, draft.audience, draft.talk, draft.category)
        if not people:
            raise Conflict.about(_("Nobody would receive this message: there is no such attendee."))
        broadcast = Broadcast(
            conference_id=conference.id,
            talk_id=draft.talk.id if draft.talk else None,
            category_id=draft.category.id if draft.category else None,
            user_id=staff.id if staff else None,
            sender=staff.email if staff else "command line",
            subject=draft.subject,
            body=draft.body,
            translations=draft.translations,
            audience=draft.audience,
            status="scheduled" if draft.send_at else "sent",
            send_at=draft.send_at,
            created_at=utcnow(),
        )
        db.session.add(broadcast)
        db.session.flush()
        rows = []
        for member in people:
            row = record_deferred(
                kind=KIND,
                recipient=member.email,
                subject=_subject(broadcast, conference, member.language),
                content={"broadcast_id": broadcast.id, "member": [member.kind, member.id]},
                conference_id=conference.id,
                registration_id=member.id if member.kind == "registration" else None,
            )
            if draft.send_at is not None:
                row.next_attempt_at = draft.send_at
            rows.append(row)
        db.session.flush()
        db.session.add_all(
            BroadcastMessage(broadcast_id=broadcast.id, outbox_message_id=row.id) for row in rows
        )
        broadcast.recipient_count = len(rows)
        audit.log(
            actor,
            "message.scheduled" if draft.send_at else "message.sent",
            broadcast,
            conference_id=conference.id,
            summary=draft.subject,
            after={
                "audience": draft.audience,
                "talk_id": broadcast.talk_id,
                **({"category_id": broadcast.category_id} if broadcast.category_id else {}),
                "recipients": len(rows),
                "subject": draft.subject,
                **({"send_at": draft.send_at.isoformat()} if draft.send_at else {}),
                **({"translations": draft.translations} if draft.translations else {}),
            },
        )
    return broadcast


def send_test(actor: Any, conference: Conference, draft: Draft, member: Member) -> OutboxMessage:
    """Queue the copy ``member`` would get to the organizer ``actor`` alone, its subject
    marked as a test. One transaction: the outbox row and its audit entry."""
    address = getattr(actor, "email", None)
    if not address:
        raise Invalid.about(_("Your account has no address to send the test to."))
    mark = _("[Test]")
    subject = _subject(draft.as_broadcast(conference), conference, member.language)
    with write_transaction():
        row = record_deferred(
            kind=KIND,
            recipient=address,
            subject=f"{mark} {subject}",
            content=_draft_content(draft, member, mark),
            conference_id=conference.id,
            # The copy names the attendee: erasing them empties it too.
            registration_id=member.id if member.kind == "registration" else None,
        )
        audit.log(
            actor,
            "message.tested",
            conference,
            conference_id=conference.id,
            summary=draft.subject,
            after={"audience": draft.audience, "to": address, "as": member.key},
        )
    return row


def cancel_scheduled(actor: audit.Actor, broadcast: Broadcast) -> int:
    """Cancel a scheduled broadcast before its time: its waiting copies are removed, in one
    transaction with the status and the audit entry. Returns how many were removed."""
    with write_transaction():
        db.session.refresh(broadcast)
        if broadcast.status != "scheduled" or (
            broadcast.send_at is not None and broadcast.send_at <= utcnow()
        ):
            raise Conflict.about(_("This message is no longer scheduled: it cannot be cancelled."))
        ids = list(
            db.session.scalars(
                sa.select(BroadcastMessage.outbox_message_id).where(
                    BroadcastMessage.broadcast_id == broadcast.id
                )
            )
        )
        removed = db.session.execute(
            sa.delete(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == "pending",
                OutboxMessage.attempts == 0,
            )
            .execution_options(synchronize_session="fetch")
        ).rowcount  # type: ignore[attr-defined]
        broadcast.status = "cancelled"
        audit.log(
            actor,
            "message.cancelled",
            broadcast,
            conference_id=broadcast.conference_id,
            summary=broadcast.subject,
            before={"status": "scheduled"},
            after={"status": "cancelled", "removed": int(removed)},
        )
    return int(removed)


# --- following up ---------------------------------------------------------------------------


def delivery_states(broadcast_ids: list[int]) -> dict[int, DeliveryState]:
    """Pending, sent, failed and skipped copies of each broadcast, in one query."""
    states = {broadcast_id: DeliveryState() for broadcast_id in broadcast_ids}
    state = sa.case(
        (OutboxMessage.last_error == SKIPPED_ERROR, "skipped"), else_=OutboxMessage.status
    )
    rows = db.session.execute(
        sa.select(BroadcastMessage.broadcast_id, state, sa.func.count())
        .join(OutboxMessage, OutboxMessage.id == BroadcastMessage.outbox_message_id)
        .where(BroadcastMessage.broadcast_id.in_(broadcast_ids))
        .group_by(BroadcastMessage.broadcast_id, state)
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
