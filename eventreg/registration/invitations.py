"""Organizers' invitations: a list of people, each sent a personal registration link.

Three steps, as for the programme import (``eventreg.schedule.imports``):

1. :func:`parse_upload` reads a CSV file (name, email, affiliation, language) into
   :class:`InviteeRow` values, each with its row number as a spreadsheet numbers it (the
   header is row 1) and what could not be read in it. Pure: no database.
2. :func:`plan_invitations` says what confirming would do, reading only: each row is new,
   already invited (skipped), already registered (not invited again) or refused (a bad
   address, a duplicate within the file).
3. :func:`send_invitations` plans again under the conference's lock and creates every
   invitation with its mail and one audit entry in one transaction, or nothing when a row
   is refused (:class:`InvitationsRefused`).

The link's secret is never stored: the invitation keeps its digest, and the mail is recorded
as what to say with the secret sealed (``mail.outbox.record_deferred``), composed by the
sender. An invitation's mail is found again by its kind (``invitation``), conference and
recipient address: the newest such outbox row is the one of its latest link.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.db import utcnow
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.links import public_url
from eventreg.core.spreadsheets import FileRefused, csv_records, decode_text
from eventreg.core.text import has_forbidden_characters
from eventreg.core.tokens import hash_token, new_token
from eventreg.core.translations import text_in
from eventreg.invites.events import conference_event
from eventreg.invites.messages import Person, conference_facts, send
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import CannotCompose, composer, record_deferred
from eventreg.registration.models import (
    Invitation,
    Registration,
    RegistrationCategory,
    email_key,
)
from eventreg.registration.services import conference_write

KIND = "invitation"
MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
CSV_COLUMNS = ("name", "email", "affiliation", "language")
# Other spellings people give these columns.
COLUMN_ALIASES = {
    "full_name": "name",
    "e-mail": "email",
    "e_mail": "email",
    "email_address": "email",
    "locale": "language",
    "lang": "language",
}
NAME_MAX = 200
AFFILIATION_MAX = 200


class InvitationsRefused(Conflict):
    """Planned again under the lock, some row is refused or nobody is left to invite:
    nothing was created."""

    def __init__(self, plan: "InvitationPlan", message: str):
        super().__init__({"": message})
        self.plan = plan


# --- what the file says -------------------------------------------------------------------


@dataclass(frozen=True)
class InviteeRow:
    number: int
    name: str
    email: str  # normalised when it is an address; as written otherwise
    affiliation: str = ""
    locale: str = ""  # "" when the file gives none: the conference's main language
    problems: tuple[str, ...] = ()


def languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def parse_upload(data: bytes) -> tuple[InviteeRow, ...]:
    """The rows of a CSV file (UTF-8, with or without BOM; commas or semicolons)."""
    if len(data) > MAX_BYTES:
        raise FileRefused(
            _(
                "The file is too large: at most %(size)s MB can be read at once.",
                size=f"{MAX_BYTES / (1024 * 1024):g}",
            ),
            too_large=True,
        )
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    text = decode_text(data, _("This is not a text file: upload a CSV file (UTF-8)."))
    rows = _parse_csv(text)
    if len(rows) > MAX_ROWS:
        raise FileRefused(
            _(
                "The file has %(count)d people: at most %(max)d can be invited at once.",
                count=len(rows),
                max=MAX_ROWS,
            )
        )
    if not rows:
        raise FileRefused(_("The file names nobody: add one person per row below the header."))
    return tuple(rows)


def _parse_csv(text: str) -> list[InviteeRow]:
    rows: list[InviteeRow] = []
    header: list[str] | None = None
    for number, record in csv_records(text):
        if header is None:
            header = _header(record)
        elif len(rows) >= MAX_ROWS:  # counted without reading the rest
            rows.append(InviteeRow(number, "", ""))
        else:
            rows.append(_row(number, header, record))
    if header is None:
        raise FileRefused(_("The file is empty."))
    return rows


def _header(record: list[str]) -> list[str]:
    names = [cell.strip().lower().replace(" ", "_") for cell in record]
    names = [COLUMN_ALIASES.get(name, name) for name in names]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    if unknown or not {"name", "email"} <= set(names) or len(set(names)) != len(names):
        raise FileRefused(
            _(
                "This is not a list of people to invite: its first row must name the columns "
                "(%(columns)s, with at least “name” and “email”); found “%(found)s”.",
                columns=", ".join(CSV_COLUMNS),
                found=", ".join(record)[:200],
            )
        )
    return names


def _row(number: int, header: list[str], record: list[str]) -> InviteeRow:
    problems: list[str] = []
    if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
        problems.append(_("This row has more cells than the header has columns."))
    cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}
    name, affiliation = cells.get("name", ""), cells.get("affiliation", "")
    if not name:
        problems.append(_("The name is empty."))
    _check_text(name, NAME_MAX, problems)
    _check_text(affiliation, AFFILIATION_MAX, problems)
    email = cells.get("email", "")
    if not email:
        problems.append(_("The e-mail address is empty."))
    else:
        try:
            # As the forms check it (``core.forms.NormalisedEmail``): no DNS, and no
            # non-ASCII before the @, which the outgoing mail cannot carry.
            email = validate_email(
                email, check_deliverability=False, allow_smtputf8=False
            ).normalized
        except EmailNotValidError as error:
            problems.append(_("This is not a valid e-mail address: %(reason)s", reason=str(error)))
    locale = cells.get("language", "").lower()
    if locale and locale not in languages():
        problems.append(
            _(
                "Unknown language “%(value)s”: use one of %(languages)s.",
                value=cells["language"][:20],
                languages=", ".join(languages()),
            )
        )
    return InviteeRow(number, name, email, affiliation, locale, tuple(problems))


def _check_text(value: str, limit: int, problems: list[str]) -> None:
    if has_forbidden_characters(value, multiline=False):
        problems.append(
            _("“%(name)s”: please use a single line without control characters.", name=value[:60])
        )
    elif len(value) > limit:
        problems.append(
            _("“%(name)s…” is too long (at most %(max)d characters).", name=value[:40], max=limit)
        )


# --- what confirming would do --------------------------------------------------------------

NEW, INVITED, REGISTERED, REFUSED = "new", "invited", "registered", "refused"


@dataclass(frozen=True)
class PlannedInvitee:
    row: InviteeRow
    state: str  # NEW, INVITED (skipped), REGISTERED (not invited again) or REFUSED
    problems: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return _("Row %(number)d", number=self.row.number)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class InvitationPlan:
    rows: tuple[PlannedInvitee, ...]

    def having(self, state: str) -> list[PlannedInvitee]:
        return [planned for planned in self.rows if planned.state == state]

    @property
    def refused(self) -> list[PlannedInvitee]:
        return self.having(REFUSED)

    @property
    def new(self) -> list[PlannedInvitee]:
        return self.having(NEW)


def plan_invitations(conference: Conference, rows: Iterable[InviteeRow]) -> InvitationPlan:
    """What inviting ``rows`` would do; reads only."""
    rows = tuple(rows)
    keys = [email_key(row.email) for row in rows if not row.problems]
    invited = set(
        db.session.scalars(
            sa.select(Invitation.email_key).where(
                Invitation.conference_id == conference.id, Invitation.email_key.in_(keys)
            )
        )
    )
    registered = set(
        db.session.scalars(
            sa.select(Registration.email_key).where(
                Registration.conference_id == conference.id, Registration.email_key.in_(keys)
            )
        )
    )
    first_row: dict[str | None, int] = {}
    planned = []
    for row in rows:
        if row.problems:
            planned.append(PlannedInvitee(row, REFUSED, row.problems))
            continue
        key = email_key(row.email)
        if key in first_row:
            problem = _("The same address as row %(number)d.", number=first_row[key])
            planned.append(PlannedInvitee(row, REFUSED, (problem,)))
            continue
        first_row[key] = row.number
        if key in registered:
            planned.append(PlannedInvitee(row, REGISTERED))
        elif key in invited:
            planned.append(PlannedInvitee(row, INVITED))
        else:
            planned.append(PlannedInvitee(row, NEW))
    return InvitationPlan(tuple(planned))


# --- doing it -------------------------------------------------------------------------------


def category_of(conference: Conference, category_id: int | None) -> RegistrationCategory | None:
    """The conference's category (hidden ones too); ``Invalid`` for another's."""
    if category_id is None:
        return None
    category = db.session.get(RegistrationCategory, category_id)
    if category is None or category.conference_id != conference.id:
        raise Invalid({"category_id": _("Choose one of the conference's categories.")})
    return category


def send_invitations(
    actor: audit.Actor,
    conference: Conference,
    rows: Iterable[InviteeRow],
    *,
    category_id: int | None = None,
    skips_approval: bool = True,
) -> list[Invitation]:
    """Invite every new person of ``rows``: the invitations, one mail each and one audit
    entry, in one transaction; nothing when a row is refused or nobody is new
    (``InvitationsRefused``, carrying the plan made under the lock)."""
    rows = tuple(rows)
    with conference_write(conference.id) as conference:
        category = category_of(conference, category_id)
        plan = plan_invitations(conference, rows)
        if plan.refused:
            raise InvitationsRefused(plan, _("Nobody was invited: some rows are refused."))
        if not plan.new:
            raise InvitationsRefused(
                plan, _("Nobody was invited: everyone in the file is invited or registered.")
            )
        now = utcnow()
        made = []
        for planned in plan.new:
            row = planned.row
            secret = new_token()
            invitation = Invitation(
                conference_id=conference.id,
                email=row.email,
                full_name=row.name,
                affiliation=row.affiliation,
                locale=row.locale or _default_locale(conference),
                category_id=category.id if category else None,
                skips_approval=skips_approval,
                token_hash=hash_token(secret),
                created_at=now,
                sent_at=now,
            )
            made.append((invitation, secret))
        db.session.add_all(invitation for invitation, _secret in made)
        db.session.flush()
        for invitation, secret in made:
            _record_mail(conference, invitation, secret)
        audit.log(
            actor,
            "invitations.sent",
            conference,
            conference_id=conference.id,
            summary=ngettext("%(num)d invited", "%(num)d invited", len(made)),
            after={
                "invited": len(made),
                "already_invited": len(plan.having(INVITED)),
                "already_registered": len(plan.having(REGISTERED)),
                "category": category.name if category else None,
                "skips_approval": skips_approval,
            },
        )
    return [invitation for invitation, _secret in made]


def _default_locale(conference: Conference) -> str:
    main = conference.main_language
    return main if main in languages() else "en"


def _record_mail(conference: Conference, invitation: Invitation, secret: str) -> None:
    with force_locale(invitation.locale):
        subject = _("You are invited to %(title)s", title=text_in(conference, "title"))
    record_deferred(
        kind=KIND,
        recipient=invitation.email or "",
        subject=subject,
        content={"invitation_id": invitation.id},
        secret=secret,
        conference_id=conference.id,
    )


def invitation_in(conference: Conference, invitation_id: int) -> Invitation | None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.conference_id != conference.id:
        return None
    return invitation


def resend(actor: audit.Actor, conference: Conference, invitation_id: int) -> Invitation | None:
    """Mail the invitation again with a new secret: the old link stops working. None when
    the invitation is gone; ``Conflict`` when it has no address or was used to register."""
    with conference_write(conference.id) as conference:
        invitation = invitation_in(conference, invitation_id)
        if invitation is None:
            return None
        if not invitation.email:
            raise Conflict.about(_("This invitation's data has been erased."))
        if registration_for(invitation) is not None:
            raise Conflict.about(_("%(name)s has registered already.", name=invitation.full_name))
        secret = new_token()
        invitation.token_hash = hash_token(secret)
        invitation.sent_at = utcnow()
        db.session.flush()
        _record_mail(conference, invitation, secret)
        audit.log(
            actor,
            "invitation.resent",
            invitation,
            conference_id=conference.id,
            summary=_("Invitation sent again to %(name)s", name=invitation.full_name),
        )
    return invitation


def revoke(actor: audit.Actor, conference: Conference, invitation_id: int) -> Invitation | None:
    """Delete the invitation: its link then opens the ordinary form. None when it is gone."""
    with conference_write(conference.id) as conference:
        invitation = invitation_in(conference, invitation_id)
        if invitation is None:
            return None
        audit.log(
            actor,
            "invitation.revoked",
            invitation,
            conference_id=conference.id,
            summary=_("Invitation of %(name)s revoked", name=invitation.full_name),
            before={"email": invitation.email, "full_name": invitation.full_name},
        )
        db.session.delete(invitation)
    return invitation


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationEntry:
    invitation: Invitation
    mail: OutboxMessage | None  # the newest mail of its link
    registration: Registration | None  # through the link, or on their own with the address


@dataclass(frozen=True)
class InvitationCounts:
    invited: int
    registered: int

    @property
    def not_yet(self) -> int:
        return self.invited - self.registered


def registration_for(invitation: Invitation) -> Registration | None:
    if invitation.registration is not None:
        return invitation.registration
    if not invitation.email_key:
        return None
    return db.session.scalar(
        sa.select(Registration).filter_by(
            conference_id=invitation.conference_id, email_key=invitation.email_key
        )
    )


def entries(conference: Conference) -> list[InvitationEntry]:
    """Every invitation of the conference, newest first, with its mail and registration."""
    invitations = list(
        db.session.scalars(
            sa.select(Invitation)
            .filter_by(conference_id=conference.id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )
    keys = [invitation.email_key for invitation in invitations if invitation.email_key]
    registrations = {
        registration.email_key: registration
        for registration in db.session.scalars(
            sa.select(Registration).where(
                Registration.conference_id == conference.id, Registration.email_key.in_(keys)
            )
        )
    }
    mails: dict[str, OutboxMessage] = {}
    for mail in db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.conference_id == conference.id, OutboxMessage.kind == KIND)
        .order_by(OutboxMessage.id)
    ):
        mails[mail.recipient.lower()] = mail  # the newest one wins
    return [
        InvitationEntry(
            invitation,
            mails.get(invitation.email_key or ""),
            invitation.registration or registrations.get(invitation.email_key),
        )
        for invitation in invitations
    ]


def counts(listed: list[InvitationEntry]) -> InvitationCounts:
    registered = sum(1 for entry in listed if entry.registration is not None)
    return InvitationCounts(invited=len(listed), registered=registered)


# --- the template ---------------------------------------------------------------------------


def template_csv() -> str:
    """The header and two example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(["Ada Li", "ada@example.org", _("University of Example"), "zh"])
    writer.writerow(["Ben Rossi", "ben@example.org", "", "it"])
    return out.getvalue()


# --- the mail, composed at delivery ---------------------------------------------------------


def invitation_url(conference: Conference, secret: str, language: str | None = None) -> str:
    """The personal link; with ``language`` the form opens in the invitee's language (they
    can switch), so their registration and its mail are in it too."""
    return public_url(
        "registration.register", slug=conference.slug, invitation=secret, lang=language
    )


@composer(KIND)
def _compose_invitation(row: OutboxMessage, secret: str | None) -> None:
    content: dict[str, Any] = dict(row.content or {})
    invitation = db.session.get(Invitation, content.get("invitation_id") or 0)
    if invitation is None:
        raise CannotCompose("the invitation was revoked")
    if not secret or hash_token(secret) != invitation.token_hash:
        raise CannotCompose("the invitation was sent again with a new link")
    if not invitation.email:
        raise CannotCompose("the invitation's data has been erased")
    conference = invitation.conference
    person = Person(name=invitation.full_name, email=row.recipient, locale=invitation.locale)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=row.created_at)
        send(
            person,
            conference,
            kind=KIND,
            template="invitation",
            subject=row.subject,
            event=conference_facts(conference, event),
            invitation_url=invitation_url(conference, secret, invitation.locale),
        )
