"""A conference's attendees for its organizers: dashboard, list, CSV export, and actions.

Each action is one call of the registration service, the one write path for registrations,
which writes the change, its e-mails and its audit entry in one transaction; a refusal is
shown as a message on the list.
"""

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventreg.conferences.completeness import completeness
from eventreg.conferences.models import Conference, Talk
from eventreg.core.errors import Conflict
from eventreg.core.extensions import db
from eventreg.core.ids import row_id
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.translation_forms import language_name, text_label
from eventreg.registration import reports as attendees
from eventreg.registration import services as registration_services
from eventreg.registration.models import REGISTRATION_STATUSES, Question, Registration

PAGE_SIZE = 50
LAST_PAGE = 100_000  # far beyond any list; a larger page number would overflow the offset


def page_number(text: str) -> int:
    """``?page=`` of a list (``request.args.get("page", 1, type=page_number)``): ValueError,
    and so the first page, for anything but a number from 1 to LAST_PAGE."""
    value = int(text)
    if not 1 <= value <= LAST_PAGE:
        raise ValueError(f"no page {text!r}")
    return value


@bp.get("/c/<slug>/dashboard")
@conference_view("organizer")
def dashboard(conference: Conference):
    figures = attendees.dashboard(conference)
    busiest_day = max((number for _day, number in figures.signups_per_day), default=0)
    questions = db.session.scalars(
        sa.select(Question)
        .filter_by(conference_id=conference.id)
        .order_by(Question.position, Question.id)
    )
    return render_template(
        "organizers/dashboard.html",
        conference=conference,
        figures=figures,
        busiest_day=busiest_day,
        languages=completeness(conference, [("question", q) for q in questions]),
        language_name=language_name,
        text_label=text_label,
    )


@bp.get("/c/<slug>/attendees")
@conference_view("organizer")
def attendee_list(conference: Conference):
    search = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    talk_id = request.args.get("session", type=row_id)
    page = db.paginate(
        attendees.attendee_query(conference, search=search, status=status, talk_id=talk_id),
        page=request.args.get("page", 1, type=page_number),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    talks = db.session.scalars(
        sa.select(Talk).filter_by(conference_id=conference.id).order_by(Talk.start_at, Talk.id)
    ).all()
    return render_template(
        "organizers/attendees.html",
        conference=conference,
        page=page,
        search=search,
        status=status if status in REGISTRATION_STATUSES else "",
        talk_id=talk_id,
        talks=talks,
        statuses=REGISTRATION_STATUSES,
        full=_full(conference),
    )


def _full(conference: Conference) -> bool:
    """Whether every seat is taken: promoting someone then adds a seat for them."""
    confirmed = registration_services.seat_counts(conference.id)["confirmed"]
    return conference.capacity is not None and confirmed >= conference.capacity


@bp.get("/c/<slug>/attendees.csv")
@conference_view("organizer")
def attendee_csv(conference: Conference):
    # A byte-order mark, so spreadsheet programs read the UTF-8 (Chinese, Italian names) right.
    response = make_response("\ufeff" + attendees.export_csv(conference))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-attendees.csv"'
    )
    response.cache_control.no_store = True
    return response


@bp.get("/c/<slug>/attendees.xlsx")
@conference_view("organizer")
def attendee_xlsx(conference: Conference):
    response = make_response(attendees.export_xlsx(conference))
    response.mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-attendees.xlsx"'
    )
    response.cache_control.no_store = True
    return response


@bp.post("/c/<slug>/attendees/<id:registration_id>/cancel")
@conference_view("organizer")
def cancel_attendee(conference: Conference, registration_id: int):
    registration = _registration_or_404(conference, registration_id)
    name = registration.full_name
    try:
        registration_services.cancel_registration(current_user, registration)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        flash(_("The registration of %(name)s is cancelled.", name=name), "success")
    return _back_to_list(conference)


@bp.post("/c/<slug>/attendees/<id:registration_id>/promote")
@conference_view("organizer")
def promote_attendee(conference: Conference, registration_id: int):
    """Give a chosen waiting attendee a seat; when every seat is taken the organizer must
    have asked for one more (the button says so), never exceeding the capacity silently."""
    registration = _registration_or_404(conference, registration_id)
    name = registration.full_name
    try:
        promoted = registration_services.promote_registration(
            current_user, registration, add_seat=request.form.get("add_seat") == "yes"
        )
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        if promoted:
            flash(_("%(name)s has a seat now and has been told.", name=name), "success")
        else:
            flash(_("%(name)s is no longer waiting.", name=name), "info")
    return _back_to_list(conference)


@bp.post("/c/<slug>/attendees/<id:registration_id>/resend")
@conference_view("organizer")
def resend_attendee_link(conference: Conference, registration_id: int):
    registration = _registration_or_404(conference, registration_id)
    email = registration.email
    try:
        registration_services.send_new_link(current_user, registration)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        flash(_("A new private link is on its way to %(email)s.", email=email), "success")
    return _back_to_list(conference)


def _registration_or_404(conference: Conference, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.conference_id != conference.id:
        abort(404)
    return registration


def _back_to_list(conference: Conference):
    target = request.form.get("back", "")
    prefix = url_for("organizers.attendee_list", slug=conference.slug)
    # Back to the same filtered page, and never anywhere else.
    if not target.startswith(prefix):
        target = prefix
    return redirect(target)
