"""The organizers' registration categories: their texts, seats, visibility and approval.

Each change is one transaction holding the conference's lock (categories count seats), with
its audit entry; it also moves the conference's ``updated_at``, on which the cached question
definitions depend (questions can be asked of one category only).
"""

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from eventreg.accounts.models import User
from eventreg.conferences.models import Conference
from eventreg.conferences.services import (
    check_lengths,
    clean_row_translations,
    delete_audited,
    save_audited,
    strip_fields,
)
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.registration import services
from eventreg.registration.models import (
    CATEGORY_VISIBILITIES,
    Registration,
    RegistrationCategory,
)
from eventreg.registration.questions import questions_changed

CATEGORY_FIELDS = (
    "name",
    "description",
    "capacity",
    "visibility",
    "requires_approval",
    "position",
    "translations",
)
# The columns' lengths (shorter than the rooms' and tracks' the shared checks know).
TEXT_LIMITS = {"name": 100, "description": 500}
# The statuses the list of categories counts.
COUNTED_STATUSES = ("confirmed", "waiting", "pending")


def registration_counts(conference_id: int) -> dict[int, dict[str, int]]:
    """Per category: how many registrations are confirmed, waiting and pending (one query)."""
    rows = db.session.execute(
        sa.select(Registration.category_id, Registration.status, sa.func.count())
        .filter_by(conference_id=conference_id)
        .where(Registration.category_id.is_not(None))
        .where(Registration.status.in_(COUNTED_STATUSES))
        .group_by(Registration.category_id, Registration.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for category_id, status, number in rows:
        if category_id is None:  # excluded by the query; for the type checker
            continue
        counts.setdefault(category_id, dict.fromkeys(COUNTED_STATUSES, 0))[status] = number
    return counts


def save_category(
    actor: User,
    conference: Conference,
    category: RegistrationCategory | None = None,
    **values: Any,
) -> RegistrationCategory:
    """Create (``category`` None) or change a category of the conference."""
    errors: dict[str, str] = {}
    given, values = values, strip_fields(values, CATEGORY_FIELDS)
    check_lengths(values, errors)
    for field, limit in TEXT_LIMITS.items():
        if len(values[field] or "") > limit:
            errors[field] = _("Use at most %(n)d characters.", n=limit)
    clean_row_translations(
        RegistrationCategory, conference, category, given, values, errors, limits=TEXT_LIMITS
    )
    if not values["name"]:
        errors["name"] = _("Give the category a name.")
    # strip_fields gives an empty value as "": no seats of its own.
    capacity = values["capacity"] = values["capacity"] if values["capacity"] != "" else None
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity < 2**31
    ):
        errors["capacity"] = _("Give a number of seats (0 or more), or leave it empty.")
    if values["visibility"] not in CATEGORY_VISIBILITIES:
        errors["visibility"] = _("Choose who may register in this category.")
    values["requires_approval"] = bool(values["requires_approval"])
    values["position"] = values["position"] or 0
    if errors:
        raise Invalid(errors)
    with services.conference_write(conference.id) as conference:
        # Read under the lock: the conference's seats may have just changed.
        if (
            capacity is not None
            and conference.capacity is not None
            and (capacity > conference.capacity)
        ):
            raise Invalid.about(
                _(
                    "The conference has %(seats)d seats; a category cannot have more.",
                    seats=conference.capacity,
                ),
                "capacity",
            )
        questions_changed(conference)
        if category is None or category.capacity == capacity:
            return save_audited(
                actor,
                conference,
                RegistrationCategory,
                category,
                values,
                CATEGORY_FIELDS,
                values["name"],
            )
        # A new number of seats may promote people from the waiting list: the seat rules
        # change it (audited with who was promoted), the rest is saved as any row.
        del values["capacity"]
        fields = tuple(field for field in CATEGORY_FIELDS if field != "capacity")
        saved = save_audited(
            actor, conference, RegistrationCategory, category, values, fields, values["name"]
        )
        services.set_category_capacity(actor, saved, capacity)
        return saved


def delete_category(actor: User, conference: Conference, category: RegistrationCategory) -> None:
    """Delete a category nobody registered in (registrations keep their category); its
    access codes and its own questions go with it."""
    name = category.name
    with services.conference_write(conference.id) as conference:
        registered = db.session.scalar(
            sa.select(sa.func.count()).select_from(Registration).filter_by(category_id=category.id)
        )
        if registered:
            raise _still_registered(name, registered)
        questions_changed(conference)
        try:
            with db.session.begin_nested():
                delete_audited(actor, conference, category, CATEGORY_FIELDS, name)
                db.session.flush()
        except IntegrityError:  # a registration arrived through another path meanwhile
            raise _still_registered(name, 1) from None


def _still_registered(name: str, registered: int) -> Conflict:
    return Conflict.about(
        ngettext(
            "“%(name)s” still has %(num)d registration (cancelled ones count too); it can "
            "only be deleted once nobody is registered in it.",
            "“%(name)s” still has %(num)d registrations (cancelled ones count too); it can "
            "only be deleted once nobody is registered in it.",
            registered,
            name=name,
        )
    )
