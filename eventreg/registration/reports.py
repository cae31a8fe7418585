"""What organizers see of their attendees: the dashboard figures, the searchable list, and
the CSV and XLSX exports. Reading only; every change goes through
``eventreg.registration.services``."""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Talk
from eventreg.core.extensions import db
from eventreg.mail.delivery import status_counts
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import (
    REGISTRATION_STATUSES,
    Answer,
    Question,
    Registration,
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
) -> sa.Select[Registration]:
    """Registrations of the conference matching the filters, in order of arrival.

    ``search`` finds a piece of the name, e-mail address or affiliation, in any letter case.
    """
    query = (
        sa.select(Registration)
        .filter_by(conference_id=conference.id)
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
    return query


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
