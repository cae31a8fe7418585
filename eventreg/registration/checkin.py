"""Checking attendees in at the door: a signed code per registration, its QR code, and a
check-in that counts each attendee once however many staff scan them.

The desk also works offline: it downloads the conference's list of codes and names, signed
by the server (``desk_list``), checks people in against it on the device, and later sends
the queued check-ins back in one batch (``sync``), which counts each attendee once, keeps
the earliest time, and refuses a list that was changed on the device or is another
conference's.

The code carries only the registration's number, signed with the app's secret under a
purpose of its own (so no other signed value of the app passes for one): it names nobody,
and it cannot be guessed or made up from another attendee's code.
"""

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, Signer, URLSafeSerializer

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.registration.models import Registration

CHECKIN_SALT = "eventreg.checkin"
DESK_LIST_SALT = "eventreg.checkin.desk-list"
SEARCH_LIMIT = 20
SYNC_LIMIT = 500  # check-ins per batch: the desk sends more in several batches
# Whom the desk's list names: people without a seat are listed too, so that the desk can
# tell them apart from a made-up code; "pending" and "rejected" ones await or lost approval.
LISTED_STATUSES = ("confirmed", "waiting", "cancelled", "pending", "rejected")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CHECKIN_SALT)


def checkin_code(registration_id: int) -> str:
    return _serializer().dumps(registration_id)


def registration_id_from_code(code: str) -> int | None:
    """The registration a code was made for, or None when it is not a genuine code."""
    try:
        value = _serializer().loads((code or "").strip())
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _qr_code(registration_id: int) -> segno.QRCode:
    # A fixed mask pattern: every mask scans, and choosing the "best" one tripled the cost
    # of a confirmation e-mail, which is composed while the conference's seats are locked.
    return segno.make(checkin_code(registration_id), error="m", mask=2)


def checkin_qr(registration_id: int) -> str:
    """The registration's check-in QR code as a PNG data URI, for the management page (the
    content security policy allows ``data:`` images). Mail uses ``checkin_png`` instead:
    mail clients block ``data:`` images."""
    return _qr_code(registration_id).png_data_uri(scale=6, border=4)


def checkin_png(registration_id: int) -> bytes:
    """The same QR code as PNG bytes, for an image attached to an e-mail (by Content-ID)."""
    buffer = io.BytesIO()
    _qr_code(registration_id).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    first_time: bool  # False: already checked in, at ``checked_in_at``
    checked_in_at: datetime | None
    admitted: bool  # only confirmed registrations are checked in


def check_in(actor: audit.Actor, conference: Conference, registration_id: int) -> CheckIn | None:
    """Mark the registration as arrived, once: the conditional update lets exactly one of
    two simultaneous scans count it. None when no such registration is in the conference."""
    with write_transaction():
        registration = db.session.get(Registration, registration_id, populate_existing=True)
        if registration is None or registration.conference_id != conference.id:
            return None
        now = utcnow()
        result = db.session.execute(
            sa.update(Registration)
            .where(
                Registration.id == registration_id,
                Registration.status == "confirmed",
                Registration.checked_in_at.is_(None),
            )
            .values(checked_in_at=now)
            .execution_options(synchronize_session=False)
        )
        first_time = result.rowcount == 1  # type: ignore[attr-defined]
        if first_time:
            audit.log(
                actor,
                "registration.checked_in",
                registration,
                conference_id=conference.id,
                summary=registration.full_name,
                after={"checked_in_at": now.isoformat()},
            )
    db.session.refresh(registration)
    return CheckIn(
        registration=registration,
        first_time=first_time,
        checked_in_at=registration.checked_in_at,
        admitted=registration.status == "confirmed",
    )


def search(conference: Conference, text: str) -> list[Registration]:
    """Registrations whose name or e-mail address contains ``text``, best for the desk."""
    text = " ".join((text or "").split())[:200]
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.conference_id == conference.id,
                sa.or_(
                    Registration.full_name.ilike(pattern, escape="\\"),
                    Registration.email.ilike(pattern, escape="\\"),
                ),
            )
            .order_by(Registration.full_name, Registration.id)
            .limit(SEARCH_LIMIT)
        )
    )


def counts(conference: Conference) -> tuple[int, int]:
    """(checked in, expected): of the conference's confirmed registrations, how many have
    arrived, and how many there are."""
    confirmed = sa.and_(
        Registration.conference_id == conference.id,
        Registration.status == "confirmed",
        Registration.erased_at.is_(None),
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(Registration.checked_in_at),
            sa.func.count(Registration.id),
        ).where(confirmed)
    ).one()
    return int(row[0]), int(row[1])


# The desk's list --------------------------------------------------------------------------


def _list_signer() -> Signer:
    # A key of its own, derived from the app's secret and this purpose (itsdangerous HMAC).
    return Signer(current_app.config["SECRET_KEY"], salt=DESK_LIST_SALT)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def desk_list(conference: Conference) -> str:
    """The conference's codes with the names they belong to, as signed JSON
    (``<json>.<signature>``): the desk reads the JSON before the last dot, keeps the whole,
    and sends it back with each batch, so that a list changed on the device is refused."""
    people = db.session.execute(
        sa.select(
            Registration.id,
            Registration.full_name,
            Registration.affiliation,
            Registration.status,
            Registration.checked_in_at,
        )
        .where(
            Registration.conference_id == conference.id,
            Registration.status.in_(LISTED_STATUSES),
            Registration.erased_at.is_(None),
        )
        .order_by(Registration.full_name, Registration.id)
    ).all()
    payload = {
        "conference": conference.id,
        "issued_at": _iso(utcnow()),
        # [code, name, affiliation, status, checked in at]: short, a list may hold thousands
        "people": [
            [checkin_code(rid), name, affiliation or "", status, _iso(arrived)]
            for rid, name, affiliation, status, arrived in people
        ],
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return _list_signer().sign(text.encode()).decode()


def _issued_at(conference: Conference, signed_list: str) -> datetime | None:
    """When the conference's genuine list was issued; None for a changed list, a list of
    another conference, or anything else."""
    try:
        payload = json.loads(_list_signer().unsign((signed_list or "").encode()))
        if payload["conference"] != conference.id:
            return None
        issued = datetime.fromisoformat(payload["issued_at"])
    except (BadSignature, ValueError, KeyError, TypeError):
        return None
    return issued if issued.tzinfo is not None else None


# Syncing the desk's check-ins ---------------------------------------------------------------


class BadBatch(ValueError):
    """The whole batch is refused: nothing of it was checked in."""


@dataclass(frozen=True)
class SyncItem:
    id: str  # the desk's own id of the check-in, echoed in the answer
    code: str
    checked_in_at: datetime | None  # None: not a time (the item is answered "invalid")


@dataclass(frozen=True)
class SyncAnswer:
    id: str
    result: str  # checked_in | already | refused | unknown | invalid
    name: str = ""
    status: str = ""
    checked_in_at: datetime | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "result": self.result,
            "name": self.name,
            "status": self.status,
            "checked_in_at": _iso(self.checked_in_at),
        }


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def parse_items(raw: object) -> list[SyncItem]:
    """The batch's items, from the JSON the desk posted; BadBatch when its shape is wrong."""
    if not isinstance(raw, list) or len(raw) > SYNC_LIMIT:
        raise BadBatch(f"items must be a list of at most {SYNC_LIMIT} check-ins")
    items = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise BadBatch("each item must be an object")
        item_id, code = entry.get("id"), entry.get("code")
        if not isinstance(item_id, str) or not 0 < len(item_id) <= 64:
            raise BadBatch("each item needs an id (a string of up to 64 characters)")
        if not isinstance(code, str) or len(code) > 200:
            raise BadBatch("each item needs a code (a string of up to 200 characters)")
        items.append(SyncItem(item_id, code.strip(), _parse_time(entry.get("checked_in_at"))))
    return items


def _same_moment(one: datetime | None, other: datetime) -> bool:
    return one is not None and abs(one - other) < timedelta(milliseconds=1)


def sync(
    actor: audit.Actor, conference: Conference, signed_list: str, items: Iterable[SyncItem]
) -> list[SyncAnswer]:
    """Check in, in one transaction, what a desk queued while offline; an answer per item.

    Idempotent: an attendee already checked in is not counted again (the same batch sent
    twice, or two desks that both checked them in), and the earliest time is kept. A time
    in the future, or before the desk had its list, comes from a wrong clock: it is brought
    within those bounds. Raises BadBatch, checking in nothing, for a list that is not this
    conference's genuine list."""
    issued_at = _issued_at(conference, signed_list)
    if issued_at is None:
        raise BadBatch("the list of codes is not this conference's, or it was changed")
    items = list(items)
    wanted = {item.code: registration_id_from_code(item.code) for item in items}
    answers = []
    with write_transaction():
        ids = {rid for rid in wanted.values() if rid is not None}
        registrations = {
            registration.id: registration
            for registration in db.session.scalars(
                sa.select(Registration)
                .where(Registration.id.in_(ids), Registration.conference_id == conference.id)
                .execution_options(populate_existing=True)
            )
        }
        now = utcnow()
        for item in items:
            registration = registrations.get(wanted[item.code] or 0)
            if registration is None or registration.erased_at is not None:
                answers.append(SyncAnswer(item.id, "unknown"))
                continue
            if item.checked_in_at is None:
                answers.append(SyncAnswer(item.id, "invalid", name=registration.full_name))
                continue
            if registration.status != "confirmed":
                answers.append(
                    SyncAnswer(item.id, "refused", registration.full_name, registration.status)
                )
                continue
            moment = min(max(item.checked_in_at, issued_at), now)
            answers.append(_check_in_at(actor, conference, registration, item.id, moment))
    return answers


def _check_in_at(
    actor: audit.Actor,
    conference: Conference,
    registration: Registration,
    item_id: str,
    moment: datetime,
) -> SyncAnswer:
    def update(*conditions: sa.ColumnElement[bool]) -> int:
        return db.session.execute(  # type: ignore[no-any-return]
            sa.update(Registration)
            .where(Registration.id == registration.id, Registration.status == "confirmed")
            .where(*conditions)
            .values(checked_in_at=moment)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]

    before = registration.checked_in_at  # as loaded in this transaction
    first_time = update(Registration.checked_in_at.is_(None)) == 1
    if first_time:
        audit.log(
            actor,
            "registration.checked_in",
            registration,
            conference_id=conference.id,
            summary=registration.full_name,
            after={"checked_in_at": moment.isoformat()},
        )
    else:
        # Checked in already: by another desk, maybe later than this one did.
        update(Registration.checked_in_at > moment)
    db.session.refresh(registration, ["checked_in_at"])
    arrived = registration.checked_in_at
    # This very check-in, recorded by an earlier sync of the same batch, is answered as then.
    result = "checked_in" if first_time or _same_moment(before, moment) else "already"
    return SyncAnswer(item_id, result, registration.full_name, "confirmed", arrived)
