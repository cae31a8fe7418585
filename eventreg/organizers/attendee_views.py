"""A conference's attendees for its organizers: dashboard, list, CSV export, and actions.

The actions call the registration service, the one write path for registrations, then add
an entry to the audit log.
"""

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventreg.conferences.models import Conference, Talk
from eventreg.core import audit
from eventreg.core.extensions import db
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import reports as attendees
from eventreg.registration import services as registration_services
from eventreg.registration.models import REGISTRATION_STATUSES, Registration

PAGE_SIZE = 50


@bp.get("/c/<slug>/dashboard")
@conference_view("organizer")
def dashboard(conference: Conference):
    figures = attendees.dashboard(conference)
    busiest_day = max((number for _day, number in figures.signups_per_day), default=0)
    return render_template(
        "organizers/dashboard.html", conference=conference, figures=figures, busiest_day=busiest_day
    )


@bp.get("/c/<slug>/attendees")
@conference_view("organizer")
def attendee_list(conference: Conference):
    search = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    talk_id = request.args.get("session", type=int)
    page = db.paginate(
        attendees.attendee_query(conference, search=search, status=status, talk_id=talk_id),
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
    response.charset = "utf-8"
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


@bp.post("/c/<slug>/attendees/<int:registration_id>/cancel")
@conference_view("organizer")
def cancel_attendee(conference: Conference, registration_id: int):
    registration = _registration_or_404(conference, registration_id)
    before = {"status": registration.status}
    try:
        promoted = registration_services.cancel_registration(registration)
    except registration_services.ConferenceOver:
        flash(_("The conference is over: registrations can no longer change."), "error")
        return _back_to_list(conference)
    registration = db.session.get(Registration, registration_id)
    if before["status"] != registration.status:
        summary = registration.full_name
        if promoted:
            summary += " — " + _("%(n)d promoted from the waiting list", n=len(promoted))
        audit.log(
            current_user,
            "registration.cancelled",
            registration,
            conference_id=conference.id,
            summary=summary,
            before=before,
            after={"status": registration.status},
        )
        db.session.commit()
    flash(_("The registration of %(name)s is cancelled.", name=registration.full_name), "success")
    return _back_to_list(conference)


@bp.post("/c/<slug>/attendees/<int:registration_id>/promote")
@conference_view("organizer")
def promote_attendee(conference: Conference, registration_id: int):
    """Give a chosen waiting attendee a seat; when every seat is taken the organizer must
    have asked for one more (the button says so), never exceeding the capacity silently."""
    registration = _registration_or_404(conference, registration_id)
    capacity_before = conference.capacity
    try:
        promoted = registration_services.promote_registration(
            registration, add_seat=request.form.get("add_seat") == "yes"
        )
    except registration_services.ConferenceOver:
        flash(_("The conference is over: registrations can no longer change."), "error")
        return _back_to_list(conference)
    except registration_services.NoFreeSeat:
        flash(
            _(
                "Every seat is taken: use “Add a seat and promote” to give %(name)s one.",
                name=registration.full_name,
            ),
            "error",
        )
        return _back_to_list(conference)
    registration = db.session.get(Registration, registration_id)
    if not promoted:
        flash(_("%(name)s is no longer waiting.", name=registration.full_name), "info")
        return _back_to_list(conference)
    conference = db.session.get(Conference, conference.id)
    before, after = {"status": "waiting"}, {"status": "confirmed"}
    if conference.capacity != capacity_before:
        before["capacity"], after["capacity"] = capacity_before, conference.capacity
    audit.log(
        current_user,
        "registration.promoted",
        registration,
        conference_id=conference.id,
        summary=registration.full_name,
        before=before,
        after=after,
    )
    db.session.commit()
    flash(_("%(name)s has a seat now and has been told.", name=registration.full_name), "success")
    return _back_to_list(conference)


@bp.post("/c/<slug>/attendees/<int:registration_id>/resend")
@conference_view("organizer")
def resend_attendee_link(conference: Conference, registration_id: int):
    registration = _registration_or_404(conference, registration_id)
    if registration.email is None:
        flash(
            _("This registration's data has been erased: there is no address to write to."), "error"
        )
        return _back_to_list(conference)
    registration_services.resend_link(conference, registration.email)
    audit.log(
        current_user,
        "registration.link_resent",
        registration,
        conference_id=conference.id,
        summary=registration.full_name,
    )
    db.session.commit()
    flash(_("A new private link is on its way to %(email)s.", email=registration.email), "success")
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
