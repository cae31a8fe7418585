"""A conference's attendees for its organizers: dashboard, list, CSV export, actions, and
each attendee's own page (with editing them, and adding a registration by hand).

Each action is one call of the registration service, the one write path for registrations,
which writes the change, its e-mails and its audit entry in one transaction; a refusal is
shown as a message on the list.
"""

import sqlalchemy as sa
from babel import Locale
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventreg.conferences.completeness import completeness
from eventreg.conferences.models import Conference, Talk
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.ids import row_id
from eventreg.core.translations import text_in
from eventreg.organizers.account_views import render_form, show_errors
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import AttendeeForm, NewAttendeeForm
from eventreg.organizers.translation_forms import language_name, text_label
from eventreg.registration import access, attendee_edits
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
    categories = access.categories(conference.id)
    category_id = request.args.get("category", type=row_id)
    if category_id not in {category.id for category in categories}:
        category_id = None  # another conference's, or none: the filter is left out
    page = db.paginate(
        attendees.attendee_query(
            conference, search=search, status=status, talk_id=talk_id, category_id=category_id
        ),
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
        categories=categories,
        category_id=category_id,
        colleagues=attendees.colleague_counts([registration.id for registration in page.items]),
        category_name=_category_name,
    )


def _category_name(category) -> str:
    """A category as the reading organizer's language names it."""
    return str(text_in(category, "name")) if category is not None else ""


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


# --- one attendee: their page, editing them, adding one by hand -----------------------------

COUNTRY_MAX = 100  # the column's length

MAIL_KIND_LABELS = {
    "registration_confirmed": _l("Seat confirmed, with the invite"),
    "registration_waiting": _l("On the waiting list"),
    "registration_again": _l("Registered again (unchanged)"),
    "registration_pending": _l("Registration received, awaiting approval"),
    "registration_rejected": _l("Registration declined"),
    "registration_withdrawn": _l("Registration withdrawn"),
    "registration_promoted": _l("Promoted from the waiting list"),
    "registration_cancelled": _l("Registration cancelled"),
    "registration_cancelled_session": _l("Session removed after cancelling"),
    "management_link": _l("Private link"),
    "cancel_by_reply": _l("Asked to confirm a cancellation"),
    "conference_updated": _l("New conference times"),
    "details_updated": _l("Details updated, with the invite"),
    "session_confirmed": _l("Session seat confirmed"),
    "session_waiting": _l("Session waiting list"),
    "session_promoted": _l("Session seat from the waiting list"),
    "session_left": _l("Session left"),
    "session_updated": _l("Session changed"),
    "session_cancelled": _l("Session cancelled"),
    "conference_reminder": _l("Conference reminder"),
    "session_reminder": _l("Session reminder"),
    "organizer_message": _l("Message from the organizers"),
}
MAIL_STATUS_LABELS = {
    "pending": _l("Pending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}


def mail_kind_label(kind: str) -> str:
    label = MAIL_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def _country_choices(current: str) -> list[tuple[str, str]]:
    reader = Locale.parse(str(get_locale() or "en"))
    names = {code: name for code, name in reader.territories.items() if len(code) == 2}
    choices = [("", str(_("Not given")))]
    choices += sorted(names.items(), key=lambda item: item[1].lower())
    if current and current not in names:
        choices.insert(1, (current, current))  # typed elsewhere (the API): kept as it is
    return choices


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in current_app.config["LANGUAGES"]]


def _prepare(form: AttendeeForm, conference: Conference, current_country: str = "") -> AttendeeForm:
    form.country.choices = _country_choices(current_country or (form.country.data or ""))
    form.locale.choices = _language_choices()
    form.category.choices = [("", str(_("No category")))] + [
        (str(category.id), _category_name(category))
        for category in access.categories(conference.id)
    ]
    return form


def _details(form: AttendeeForm) -> attendee_edits.AttendeeDetails:
    return attendee_edits.AttendeeDetails(
        full_name=form.full_name.data,
        email=form.email.data,
        affiliation=form.affiliation.data or "",
        country=(form.country.data or "")[:COUNTRY_MAX],
        locale=form.locale.data,
        # The choices are the conference's categories: anything else failed validation.
        category_id=int(form.category.data) if form.category.data else None,
    )


def _form_data(registration: Registration) -> dict:
    data = attendee_edits.details_of(registration)
    data["category"] = str(data.pop("category_id") or "")
    return data


@bp.get("/c/<slug>/attendees/<id:registration_id>")
@conference_view("organizer")
def attendee_page(conference: Conference, registration_id: int):
    registration = _registration_or_404(conference, registration_id)
    record = attendees.attendee_record(registration)
    return render_template(
        "organizers/attendee.html",
        conference=conference,
        record=record,
        registration=registration,
        mail_kind_label=mail_kind_label,
        mail_status_labels=MAIL_STATUS_LABELS,
        answer_text=attendees.answer_text,
        category_name=_category_name,
        country_name=_country_name,
        language_name=language_name,
        full=_full(conference),
    )


def _page_url(conference: Conference, registration_id: int) -> str:
    return url_for(
        "organizers.attendee_page", slug=conference.slug, registration_id=registration_id
    )


def _country_name(code: str) -> str:
    if not code:
        return ""
    reader = Locale.parse(str(get_locale() or "en"))
    return str(reader.territories.get(code, code))


@bp.route("/c/<slug>/attendees/<id:registration_id>/edit", methods=["GET", "POST"])
@conference_view("organizer")
def edit_attendee(conference: Conference, registration_id: int):
    registration = _registration_or_404(conference, registration_id)
    if registration.email is None:
        flash(_("This registration's data has been erased: there is nothing to edit."), "error")
        return redirect(
            url_for(
                "organizers.attendee_page", slug=conference.slug, registration_id=registration_id
            )
        )
    form = _prepare(AttendeeForm(data=_form_data(registration)), conference, registration.country)
    if form.validate_on_submit():
        try:
            changed = attendee_edits.edit_attendee(current_user, registration, _details(form))
        except Invalid as refused:
            show_errors(form, refused)
        else:
            if changed:
                flash(_("The details of %(name)s are saved.", name=form.full_name.data), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(
                url_for(
                    "organizers.attendee_page",
                    slug=conference.slug,
                    registration_id=registration_id,
                )
            )
    return render_form(
        "organizers/attendee_edit.html", form, conference=conference, registration=registration
    )


@bp.route("/c/<slug>/attendees/new", methods=["GET", "POST"])
@conference_view("organizer")
def new_attendee(conference: Conference):
    form = _prepare(NewAttendeeForm(data={"locale": conference.main_language or "en"}), conference)
    if form.validate_on_submit():
        try:
            registration, outcome = attendee_edits.add_by_hand(
                current_user, conference, _details(form), mail=form.send_mail.data
            )
        except Invalid as refused:
            show_errors(form, refused)
        else:
            if outcome == registration_services.Outcome.WAITING:
                message = _("%(name)s is on the waiting list.", name=registration.full_name)
            elif outcome == registration_services.Outcome.PENDING:
                # A category (or the conference) that reviews registrations: yours to decide.
                message = _(
                    "%(name)s is registered and awaits approval.", name=registration.full_name
                )
            else:
                message = _("%(name)s is registered.", name=registration.full_name)
            flash(message, "success")
            return redirect(_page_url(conference, registration.id))
    return render_form("organizers/attendee_new.html", form, conference=conference)
