"""What organizers see of their attendees: the dashboard figures, the searchable list, and
the CSV and XLSX exports. Reading only; every change goes through
``eventreg.registration.services``."""

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy.orm import joinedload, selectinload

from eventreg.conferences.models import Conference, Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.delivery import status_counts
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import (
    REGISTRATION_STATUSES,
    Answer,
    Invitation,
    Question,
    Registration,
    RegistrationCategory,
    SessionSignup,
)

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, strips them and then may): "=HYPERLINK(...)" in a name must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters other than tab and line breaks: a spreadsheet drops them (and openpyxl
# refuses them), so "\x01=HYPERLINK(...)" would become a formula once they are gone.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class SessionFill:
    talk: Talk
    confirmed: int
    waiting: int

    @property
    def full(self) -> bool:
        return self.talk.capacity is not None and self.confirmed >= self.talk.capacity


@dataclass(frozen=True)
class Dashboard:
    counts: dict[str, int]  # confirmed, waiting, cancelled
    capacity: int | None
    sessions: list[SessionFill]
    signups_per_day: list[tuple[date, int]]  # days in the conference's zone, oldest first
    emails: dict[str, int]  # pending (due or retrying), sent, failed
    scheduled_emails: int  # recorded to go out later (reminders): not counted as pending

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.counts["confirmed"], 0)


def dashboard(conference: Conference) -> Dashboard:
    """The figures of the dashboard, in a fixed number of queries whatever the size."""
    sessions = _session_fill(conference)
    created = db.session.scalars(
        sa.select(Registration.created_at).filter_by(conference_id=conference.id)
    )
    per_day = Counter(instant.astimezone(conference.tz).date() for instant in created)
    emails = {"pending": 0, "sent": 0, "failed": 0}
    emails.update(status_counts(OutboxMessage.conference_id == conference.id))
    scheduled_emails = emails.pop("scheduled", 0)
    counts = dict.fromkeys(REGISTRATION_STATUSES, 0)
    counts.update(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .filter_by(conference_id=conference.id)
            .group_by(Registration.status)
        ).all()
    )
    return Dashboard(
        counts=counts,
        capacity=conference.capacity,
        sessions=sessions,
        signups_per_day=sorted(per_day.items()),
        emails=emails,
        scheduled_emails=scheduled_emails,
    )


def _session_fill(conference: Conference) -> list[SessionFill]:
    counts = {
        (talk_id, status): number
        for talk_id, status, number in db.session.execute(
            sa.select(SessionSignup.talk_id, SessionSignup.status, sa.func.count())
            .join(Talk, Talk.id == SessionSignup.talk_id)
            .where(Talk.conference_id == conference.id)
            .group_by(SessionSignup.talk_id, SessionSignup.status)
        )
    }
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id)
        .where(sa.or_(Talk.capacity.is_not(None), Talk.id.in_({key[0] for key in counts})))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    return [
        SessionFill(
            talk, counts.get((talk.id, "confirmed"), 0), counts.get((talk.id, "waiting"), 0)
        )
        for talk in talks
    ]


def attendee_query(
    conference: Conference,
    *,
    search: str = "",
    status: str = "",
    talk_id: int | None = None,
    category_id: int | None = None,
) -> sa.Select[Registration]:
    """Registrations of the conference matching the filters, in order of arrival, each
    with its category and registrant loaded in the same query (every list shows them).

    ``search`` finds a piece of the name, e-mail address or affiliation, in any letter case.
    """
    query = (
        sa.select(Registration)
        .filter_by(conference_id=conference.id)
        .options(joinedload(Registration.category), joinedload(Registration.registered_by))
        .order_by(Registration.created_at, Registration.id)
    )
    search = search.strip()
    if search:
        needle = search.lower()
        query = query.where(
            sa.or_(
                sa.func.lower(Registration.full_name).contains(needle, autoescape=True),
                sa.func.lower(Registration.email).contains(needle, autoescape=True),
                sa.func.lower(Registration.affiliation).contains(needle, autoescape=True),
            )
        )
    if status in REGISTRATION_STATUSES:
        query = query.filter_by(status=status)
    if talk_id is not None:
        query = query.where(Registration.signups.any(SessionSignup.talk_id == talk_id))
    if category_id is not None:
        query = query.filter_by(category_id=category_id)
    return query


def colleague_counts(registration_ids: list[int]) -> dict[int, int]:
    """How many registrations each of ``registration_ids`` made for colleagues, in one
    grouped query (those who registered nobody are absent)."""
    if not registration_ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.registered_by_id, sa.func.count())
        .where(Registration.registered_by_id.in_(registration_ids))
        .group_by(Registration.registered_by_id)
    )
    return {registrant_id: number for registrant_id, number in rows if registrant_id is not None}


def neutralise(value: str) -> str:
    """Text a spreadsheet shows as typed, never evaluates: a leading quote marks it as text.
    Control characters go first, so that nothing hides a formula from the check."""
    value = CONTROL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(conference: Conference) -> str:
    """Every registration as a CSV table, one column per registration question."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(export_rows(conference))
    return out.getvalue()


def export_xlsx(conference: Conference) -> bytes:
    """The same table as the CSV export, as an Excel workbook of text cells."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Attendees")
    for row in export_rows(conference):  # cells already free of control characters
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_rows(conference: Conference) -> Iterator[list[str]]:
    """The header, then one row per registration; every cell neutralised."""
    questions = db.session.scalars(
        sa.select(Question)
        .filter_by(conference_id=conference.id)
        .order_by(Question.position, Question.id)
    ).all()
    registrations = db.session.scalars(
        attendee_query(conference).options(
            selectinload(Registration.answers),
            selectinload(Registration.signups).selectinload(SessionSignup.talk),
        )
    ).all()
    header = [
        "id",
        "full_name",
        "email",
        "affiliation",
        "country",
        "status",
        "registered_at_utc",
        "confirmed_at_utc",
        "cancelled_at_utc",
        "checked_in_at_utc",
        "sessions",
        "category",
        "registered_by_id",
        "registered_by",
        *[question.label for question in questions],
    ]
    yield [neutralise(cell) for cell in header]
    for registration in registrations:
        answers = {answer.question_id: answer for answer in registration.answers}
        row = [
            str(registration.id),
            registration.full_name,
            registration.email or "",
            registration.affiliation,
            registration.country,
            registration.status,
            _instant(registration.created_at),
            _instant(registration.confirmed_at),
            _instant(registration.cancelled_at),
            _instant(registration.checked_in_at),
            "; ".join(
                signup.talk.title + (" (waiting)" if signup.status == "waiting" else "")
                for signup in sorted(registration.signups, key=lambda s: s.talk_id)
            ),
            registration.category.name if registration.category else "",
            str(registration.registered_by_id or ""),
            registration.registered_by.full_name if registration.registered_by else "",
            *[_answer_text(answers.get(question.id)) for question in questions],
        ]
        yield [neutralise(cell) for cell in row]


def _instant(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _answer_text(answer: Answer | None) -> str:
    if answer is None or answer.value is None:
        return ""
    if isinstance(answer.value, bool):
        return "yes" if answer.value else "no"
    if isinstance(answer.value, list):
        return "; ".join(str(item) for item in answer.value)
    return str(answer.value)


# --- reports: answers and sign-ups over time ----------------------------------------------

# Registrations that still count: everyone but the cancelled and the rejected.
COUNTED_STATUSES = ("confirmed", "waiting", "pending")
CHOICE_KINDS = ("single_choice", "multiple_choice", "checkbox")
BUCKET_SECONDS = 15 * 60  # every zone's offset from UTC is a whole number of these


@dataclass(frozen=True)
class AnswerSummary:
    question: Question
    counts: list[tuple[object, int]]  # (choice, or True/False for a checkbox; how many)
    answered: int  # registrations that answered at all


def answer_summaries(conference: Conference, category_id: int | None = None) -> list[AnswerSummary]:
    """How often each choice was picked, per choice question, by the registrations that
    count (``COUNTED_STATUSES``), of one category when ``category_id`` is given. Two
    queries whatever the number of registrations: the database counts the answers per
    distinct stored value, and only those few values (one per choice, or per combination of
    choices) are split here."""
    questions = db.session.scalars(
        sa.select(Question)
        .filter_by(conference_id=conference.id)
        .where(Question.kind.in_(CHOICE_KINDS))
        .where(
            # Of one category: its own questions and those asked of everyone.
            sa.true()
            if category_id is None
            else sa.or_(Question.category_id.is_(None), Question.category_id == category_id)
        )
        .order_by(Question.position, Question.id)
    ).all()
    if not questions:
        return []
    stored = sa.cast(Answer.value, sa.Text)
    query = (
        sa.select(Answer.question_id, stored, sa.func.count())
        .join(Registration, Registration.id == Answer.registration_id)
        .where(
            Registration.conference_id == conference.id,
            Registration.status.in_(COUNTED_STATUSES),
            Answer.question_id.in_([question.id for question in questions]),
        )
        .group_by(Answer.question_id, stored)
    )
    if category_id is not None:
        query = query.where(Registration.category_id == category_id)
    rows = db.session.execute(query).all()
    picked: dict[int, Counter[object]] = {question.id: Counter() for question in questions}
    answered: Counter[int] = Counter()
    for question_id, text, number in rows:
        value = json.loads(text) if text is not None else None
        values = value if isinstance(value, list) else [value]
        values = [item for item in values if item is not None and item != ""]
        if values:
            answered[question_id] += number
        for item in values:
            picked[question_id][item] += number
    summaries = []
    for question in questions:
        counts = picked[question.id]
        if question.kind == "checkbox":
            order: list[object] = [True, False]
        else:
            order = list(question.choices or [])
        # Choices since removed from the question still show, after the current ones.
        order += sorted(
            (value for value in counts if value not in order), key=lambda v: str(v).lower()
        )
        summaries.append(
            AnswerSummary(
                question=question,
                counts=[(choice, counts.get(choice, 0)) for choice in order],
                answered=answered[question.id],
            )
        )
    return summaries


@dataclass(frozen=True)
class CategoryFill:
    """One category's registrations by status; ``category`` None: those in none."""

    category: RegistrationCategory | None
    confirmed: int
    waiting: int
    pending: int

    @property
    def capacity(self) -> int | None:
        return self.category.capacity if self.category is not None else None


def category_fill(conference: Conference) -> list[CategoryFill]:
    """Every category of the conference (in the organizers' order) with its confirmed,
    waiting and pending registrations, then those without a category if there are any.
    Two queries whatever the number of registrations."""
    counts = {
        (category_id, status): number
        for category_id, status, number in db.session.execute(
            sa.select(Registration.category_id, Registration.status, sa.func.count())
            .where(
                Registration.conference_id == conference.id,
                Registration.status.in_(COUNTED_STATUSES),
            )
            .group_by(Registration.category_id, Registration.status)
        )
    }
    categories: list[RegistrationCategory | None] = list(
        db.session.scalars(
            sa.select(RegistrationCategory)
            .filter_by(conference_id=conference.id)
            .order_by(RegistrationCategory.position, RegistrationCategory.id)
        )
    )
    if not categories:
        return []
    if any(category_id is None for category_id, _status in counts):
        categories.append(None)
    return [
        CategoryFill(
            category,
            *(
                counts.get((category.id if category else None, status), 0)
                for status in COUNTED_STATUSES
            ),
        )
        for category in categories
    ]


@dataclass(frozen=True)
class SignupDay:
    day: date
    confirmed: int  # registrations holding a seat now that arrived by the end of that day
    waiting: int  # the same for those waiting now


def signups_over_time(conference: Conference) -> list[SignupDay]:
    """Registrations arrived by the end of each day (in the conference's zone), counted by
    their status now: one query, grouped by quarter hour in the database, so the rows read
    grow with the days of registration, never with the registrations."""
    bucket = _quarter_hour(Registration.created_at).label("bucket")
    rows = db.session.execute(
        sa.select(bucket, Registration.status, sa.func.count())
        .where(
            Registration.conference_id == conference.id,
            Registration.status.in_(("confirmed", "waiting")),
        )
        .group_by(bucket, Registration.status)
    ).all()
    per_day: dict[date, Counter[str]] = {}
    for quarter, status, number in rows:
        instant = datetime.fromtimestamp(int(quarter) * BUCKET_SECONDS, UTC)
        per_day.setdefault(instant.astimezone(conference.tz).date(), Counter())[status] += number
    days = []
    confirmed = waiting = 0
    for day in sorted(per_day):
        confirmed += per_day[day]["confirmed"]
        waiting += per_day[day]["waiting"]
        days.append(SignupDay(day, confirmed, waiting))
    return days


def _quarter_hour(column: sa.orm.InstrumentedAttribute[datetime]) -> sa.ColumnElement[int]:
    """The instant's quarter hour since the epoch, computed by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column) / BUCKET_SECONDS), sa.BigInteger)
    # SQLite keeps the naive UTC time; strftime('%s') reads it as UTC.
    return sa.cast(sa.func.strftime("%s", column), sa.Integer) // BUCKET_SECONDS


# --- one attendee ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeRecord:
    """Everything an organizer sees about one registration."""

    registration: Registration
    answers: list[tuple[Question, Answer | None]]  # every question, in the form's order
    signups: list[SessionSignup]  # in the order of the sessions
    messages: list[OutboxMessage]  # newest first
    history: list[AuditEntry]  # newest first
    invitation: Invitation | None  # the organizer's invitation they registered through
    # Who registered whom: the registrant first, then each colleague they registered, in
    # order of arrival; empty when the registration is in no group.
    group: list[Registration]


def attendee_record(registration: Registration) -> AttendeeRecord:
    """The attendee page's data, in a fixed number of queries."""
    questions = db.session.scalars(
        sa.select(Question)
        .filter_by(conference_id=registration.conference_id)
        .order_by(Question.position, Question.id)
    ).all()
    answers = {answer.question_id: answer for answer in registration.answers}
    signups = db.session.scalars(
        sa.select(SessionSignup)
        .filter_by(registration_id=registration.id)
        .join(Talk, Talk.id == SessionSignup.talk_id)
        .options(selectinload(SessionSignup.talk))
        .order_by(Talk.start_at.is_(None), Talk.start_at, Talk.id)
    ).all()
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .filter_by(registration_id=registration.id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(MESSAGES_SHOWN)
    ).all()
    history = db.session.scalars(
        sa.select(AuditEntry)
        .filter_by(object_type="registration", object_id=registration.id)
        .where(AuditEntry.conference_id == registration.conference_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(HISTORY_SHOWN)
    ).all()
    invitation = db.session.scalar(
        sa.select(Invitation)
        .filter_by(registration_id=registration.id, conference_id=registration.conference_id)
        .order_by(Invitation.id)
        .limit(1)
    )
    return AttendeeRecord(
        registration=registration,
        answers=[(question, answers.get(question.id)) for question in questions],
        signups=list(signups),
        messages=list(messages),
        history=list(history),
        invitation=invitation,
        group=group_of(registration),
    )


def group_of(registration: Registration) -> list[Registration]:
    """The registrant of ``registration``'s group first, then every registration they
    made, in order of arrival (one query); empty when it is in no group."""
    registrant_id = registration.registered_by_id or registration.id
    members = list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.conference_id == registration.conference_id,
                sa.or_(
                    Registration.id == registrant_id,
                    Registration.registered_by_id == registrant_id,
                ),
            )
            .order_by((Registration.id != registrant_id), Registration.created_at, Registration.id)
        )
    )
    return members if len(members) > 1 else []


MESSAGES_SHOWN = 200
HISTORY_SHOWN = 200


def answer_text(answer: Answer | None) -> str:
    """An answer as a line of text (a checkbox as its own words, in the reader's language)."""
    if answer is None or answer.value is None:
        return ""
    if isinstance(answer.value, bool):
        return str(_("Yes") if answer.value else _("No"))
    if isinstance(answer.value, list):
        return ", ".join(str(item) for item in answer.value)
    return str(answer.value)
