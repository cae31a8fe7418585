"""Registrations waiting for approval: the list with their answers, and the decisions.

Each decision, for one registration or for every ticked one, is one call of
``registration.approval`` (one transaction for the whole batch); its result is shown as a
message on the list.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventreg.conferences.models import Conference
from eventreg.core.errors import Conflict
from eventreg.core.ids import row_id
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import approval
from eventreg.registration import services as registration_services


@bp.get("/c/<slug>/approvals")
@conference_view("organizer")
def approvals(conference: Conference):
    return _list_page(conference)


def _list_page(conference: Conference, status: int = 200):
    """The list; after a refused decision, with its message and the refusal's status."""
    page = render_template(
        "organizers/approvals.html",
        conference=conference,
        pending=approval.pending(conference),
        rejected=approval.rejected(conference),
        counts=registration_services.seat_counts(conference.id),
    )
    return page, status


@bp.post("/c/<slug>/approvals/decide")
@conference_view("organizer")
def decide_approvals(conference: Conference):
    """The ticked registrations, approved or rejected together."""
    decision = request.form.get("decision")
    ids = _ticked()
    if decision not in ("approve", "reject") or not ids:
        message = (
            _("Tick at least one registration.")
            if not ids
            else _("Choose whether to approve or to reject them.")
        )
        flash(message, "error")
        return _list_page(conference, 400)
    return _decide(conference, decision, ids)


@bp.post("/c/<slug>/approvals/<id:registration_id>/approve")
@conference_view("organizer")
def approve_registration(conference: Conference, registration_id: int):
    return _decide(conference, "approve", [registration_id])


@bp.post("/c/<slug>/approvals/<id:registration_id>/reject")
@conference_view("organizer")
def reject_registration(conference: Conference, registration_id: int):
    return _decide(conference, "reject", [registration_id])


def _ticked() -> list[int]:
    ids = []
    for text in request.form.getlist("registration"):
        try:
            ids.append(row_id(text))
        except ValueError:
            continue  # no registration has it: as if it were decided meanwhile
    return ids


def _decide(conference: Conference, decision: str, ids: list[int]):
    act = approval.approve if decision == "approve" else approval.reject
    try:
        result = act(current_user, conference, ids)
    except Conflict as refused:
        flash(refused.message, "error")
        return _list_page(conference, 409)
    if result.confirmed or result.waiting:
        flash(_approved_message(result), "success")
    if result.rejected:
        flash(
            ngettext(
                "%(num)d registration rejected; the person has been told.",
                "%(num)d registrations rejected; each person has been told.",
                len(result.rejected),
            ),
            "success",
        )
    if result.skipped:
        flash(
            ngettext(
                "%(num)d registration was no longer waiting for a decision and is unchanged.",
                "%(num)d registrations were no longer waiting for a decision and are unchanged.",
                len(result.skipped),
            ),
            "info",
        )
    return _back(conference)


def _approved_message(result: approval.Decision) -> str:
    approved: str = ngettext(
        "%(num)d registration approved:",
        "%(num)d registrations approved:",
        len(result.confirmed) + len(result.waiting),
    )
    parts = []
    if result.confirmed:
        parts.append(ngettext("%(num)d with a seat", "%(num)d with a seat", len(result.confirmed)))
    if result.waiting:
        parts.append(
            ngettext(
                "%(num)d on the waiting list (no seat was left)",
                "%(num)d on the waiting list (no seat was left)",
                len(result.waiting),
            )
        )
    return approved + " " + ", ".join(parts) + "."


def _back(conference: Conference):
    return redirect(url_for("organizers.approvals", slug=conference.slug), 303)
