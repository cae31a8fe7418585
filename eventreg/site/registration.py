"""Registration pages: the form, the confirmation, "resend my link", and the private
management pages reached through the secret link. Thin: each view loads, calls one function
in ``services`` and renders. Every change is a POST with CSRF; a GET never changes anything.
"""

import json
from dataclasses import dataclass
from itertools import groupby

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError

from eventreg.conferences.models import Conference, Talk
from eventreg.conferences.services import get_published_or_404
from eventreg.core import audit
from eventreg.core.db import utcnow
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db, limiter
from eventreg.core.ids import ID
from eventreg.core.links import webcal_url
from eventreg.core.timeutil import format_day
from eventreg.registration import access, questions, services
from eventreg.registration.models import Invitation, Registration
from eventreg.registration.questions import QuestionDefinition
from eventreg.site.feeds import agenda_feed_url
from eventreg.site.forms import (
    CategoryChoice,
    RegistrationForm,
    ResendForm,
    country_name,
    details_form,
    public_category_choices,
    registration_form,
)

bp = Blueprint("registration", __name__, url_prefix="/c/<slug>")

OUTCOME_KEY = "registration_outcome"


def registration_rate_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


rate_limited = limiter.limit(registration_rate_limit, methods=["POST"])


@bp.after_request
def private_pages(response):
    # Personal pages and secret links: never cached, never indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(429)
def too_many_requests(error):
    message = _(
        "You have sent this form many times in a short while. To keep registration fair, "
        "please wait a few minutes and try again. Registrations you already made are kept."
    )
    page = render_template("error.html", code=429, title=_("Please slow down"), message=message)
    response = Response(page, status=429, mimetype="text/html")
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    return response


@bp.errorhandler(CSRFError)
def form_expired(error):
    message = _(
        "This form has expired or was not sent from this site. Please go back, reload the "
        "page and send it again."
    )
    return render_template("error.html", code=400, title=_("Form expired"), message=message), 400


@bp.errorhandler(413)
def too_large(error):
    message = _("What you sent is far too long. Please shorten your answers and try again.")
    return render_template("error.html", code=413, title=_("Too long"), message=message), 413


def _questions(conference: Conference) -> tuple[QuestionDefinition, ...]:
    return questions.definitions(conference)


# --- registering ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Access:
    """What the link or the form's code and invitation open for this reader."""

    fixed_category: CategoryChoice | None = None
    invitation: Invitation | None = None
    code_refusal: str | None = None  # why the code given cannot be used
    invitation_refusal: str | None = None  # why the invitation link cannot be used


def _access(conference: Conference, code_text: str, token: str, people: int = 1) -> _Access:
    """Read the access code and the invitation as given; the service checks them again
    when it registers, under the conference's lock."""
    invitation = access.invitation_for_token(conference.id, token) if token else None
    invitation_refusal = None
    if token and (
        invitation is None or invitation.registration_id is not None or not invitation.email
    ):
        invitation = None
        invitation_refusal = _(
            "This invitation link has been used already or is no longer valid. You can "
            "still register with the form below."
        )
    code, refusal = None, None
    if code_text.strip():
        code = access.code_for_text(conference.id, code_text)
        refusal = access.code_refusal(code, utcnow(), people)
    fixed = None
    if invitation is not None and invitation.category is not None:
        fixed = invitation.category
    elif code is not None and refusal is None and code.category is not None:
        fixed = code.category
    return _Access(
        CategoryChoice.of(fixed) if fixed is not None else None,
        invitation,
        refusal,
        invitation_refusal,
    )


@bp.route("/register", methods=["GET", "POST"])
@rate_limited
def register(slug: str):
    conference = get_published_or_404(slug)
    state = conference.registration_state(utcnow())
    if state != "open":
        return _closed(conference, state)
    if request.method == "POST":
        form = registration_form(conference, _questions(conference))
        granted = _access(
            conference,
            form.access_code.data or "",
            form.invitation_token.data or "",
            people=1 + len(form.filled_colleagues()),
        )
    else:
        granted = _access(
            conference, request.args.get("code", ""), request.args.get("invitation", "")
        )
        form = registration_form(
            conference,
            _questions(conference),
            data=_prefill(granted),
        )
    form.offer_categories(public_category_choices(conference), granted.fixed_category)
    valid = form.validate_on_submit()
    if form.is_submitted():
        valid = _refuse_access(form, granted) and valid
    if not valid:
        return _register_page(conference, form, granted), 400 if form.is_submitted() else 200
    conference_id = conference.id  # read now: the service's commit expires the object
    colleagues = len(form.filled_colleagues())
    try:
        services.register(audit.ATTENDEE, conference, form.to_data())
    except services.RegistrationClosed as closed:
        return _closed(conference, closed.state)
    except Invalid as refused:  # a category, code or invitation refused under the lock
        _show_refusal(form, refused)
        status = 409 if isinstance(refused, Conflict) else 400
        return _register_page(conference, form, granted), status
    # Whatever the outcome (a seat, the waiting list, or an address registered before),
    # the answer is the same and the session cookie (readable by its holder) says no more:
    # nobody learns from the form whether an address is registered. The e-mail tells.
    session[OUTCOME_KEY] = {"conference_id": conference_id, "email": form.email.data}
    if colleagues:
        flash(
            ngettext(
                "Your colleague gets an e-mail of their own, with their own private link.",
                "Your %(num)d colleagues each get an e-mail of their own, with their own "
                "private link.",
                colleagues,
            ),
            "info",
        )
    return redirect(url_for(".registered", slug=slug), 303)


def _prefill(granted: _Access) -> dict[str, object]:
    """A GET's form: the code from the link, or the invitee's details from the invitation."""
    data: dict[str, object] = {}
    if granted.code_refusal is None:
        data["access_code"] = request.args.get("code", "")
    invitation = granted.invitation
    if invitation is not None:
        data.update(
            invitation_token=request.args.get("invitation", ""),
            full_name=invitation.full_name,
            email=invitation.email,
            affiliation=invitation.affiliation,
        )
    return {name: value for name, value in data.items() if value}


def _refuse_access(form: RegistrationForm, granted: _Access) -> bool:
    """Put the refusals of the code and invitation sent on the form; False if any."""
    if granted.code_refusal:
        form.access_code.errors = [*form.access_code.errors, granted.code_refusal]
    if granted.invitation_refusal:
        form.form_errors.append(granted.invitation_refusal)
        # Sent again, the form registers as anyone's does.
        form.invitation_token.data = ""
    return not (granted.code_refusal or granted.invitation_refusal)


def _show_refusal(form: RegistrationForm, refused: Invalid) -> None:
    """The service's messages next to the fields they are about (those shown), else at
    the top of the form."""
    shown = {"access_code"}
    if form.categories:
        shown.add("category_id")
    for name, message in refused.errors.items():
        if name in shown:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


def _register_page(conference: Conference, form: RegistrationForm, granted: _Access) -> str:
    notices = []
    if request.method == "GET":
        # A link that opens nothing still leaves the ordinary form usable.
        if granted.invitation_refusal:
            notices.append(granted.invitation_refusal)
        if granted.code_refusal:
            notices.append(
                _(
                    "The access code in the link cannot be used: %(reason)s",
                    reason=granted.code_refusal,
                )
            )
    return render_template(
        "registration/register.html",
        conference=conference,
        form=form,
        invitation=granted.invitation,
        notices=notices,
    )


def _closed(conference: Conference, state: str):
    status = 200 if request.method == "GET" else 403
    return render_template("registration/closed.html", conference=conference, state=state), status


@bp.get("/registered")
def registered(slug: str):
    """What the sender of the form sees: "check your mail", the same for everyone."""
    conference = get_published_or_404(slug)
    outcome = session.get(OUTCOME_KEY)
    if not outcome or outcome.get("conference_id") != conference.id:
        return redirect(url_for(".register", slug=slug))
    return render_template(
        "registration/confirmation.html", conference=conference, email=outcome["email"]
    )


@bp.route("/resend", methods=["GET", "POST"])
@rate_limited
def resend(slug: str):
    """Send the management link again. The answer never tells whether anyone registered."""
    conference = get_published_or_404(slug)
    form = ResendForm()
    if form.validate_on_submit():
        services.resend_link(audit.ATTENDEE, conference, form.email.data)
        flash(
            _(
                "If %(email)s is registered for this conference, a new private link is on "
                "its way there. Links sent before no longer work.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for(".resend", slug=slug), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("registration/resend.html", conference=conference, form=form), status


# --- the private management pages -------------------------------------------------------


def _registration_or_404(slug: str, token: str) -> tuple[Conference, Registration]:
    """The registration the secret belongs to; any wrong secret gets the same 404."""
    conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
    registration = services.registration_for_token(conference, token) if conference else None
    if registration is None:
        abort(404)
    return conference, registration


def _manage_url(slug: str, token: str, anchor: str | None = None) -> str:
    return url_for(".manage", slug=slug, token=token, _anchor=anchor)


@bp.get("/manage/<token>")
def manage(slug: str, token: str):
    conference, registration = _registration_or_404(slug, token)
    days = []
    if registration.status == "confirmed":
        choices = services.agenda_choices(registration)
        tz = conference.tz
        for day, day_choices in groupby(
            choices, key=lambda c: c.talk.start_at.astimezone(tz).date()
        ):
            days.append((format_day(day), list(day_choices)))
    return render_template(
        "registration/manage.html",
        conference=conference,
        registration=registration,
        token=token,
        position=services.waiting_position(registration),
        days=days,
        calendar=_calendar_links(registration),
        country=country_name(registration.country) if registration.country else "",
        is_over=conference.registration_state(utcnow()) == "past",
        form=FlaskForm(),
    )


def _calendar_links(registration: Registration) -> dict:
    """The personal agenda feed: https for a download, webcal:// for a subscription."""
    https = agenda_feed_url(registration)
    return {"https": https, "webcal": webcal_url(https)}


def _after_agenda_change(slug: str, token: str, talk_id: int) -> str:
    """Back to the page the form was on: the private session page, or the agenda. The form
    names the page (``back=session``) rather than sending an address, so nothing posted
    can redirect anywhere else."""
    if request.form.get("back") == "session":
        return url_for("schedule.private_talk", slug=slug, token=token, talk_id=talk_id)
    return _manage_url(slug, token, f"session-{talk_id}")


def _talk_or_404(conference: Conference, talk_id: int) -> Talk:
    talk = db.session.get(Talk, talk_id)
    if talk is None or talk.conference_id != conference.id:
        abort(404)
    return talk


@bp.post(f"/manage/<token>/sessions/<{ID}:talk_id>/join")
def join_session(slug: str, token: str, talk_id: int):
    conference, registration = _registration_or_404(slug, token)
    talk = _talk_or_404(conference, talk_id)
    try:
        signup = services.join_session(audit.ATTENDEE, registration, talk)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        if signup.status == "confirmed":
            flash(_("You have a seat in “%(title)s”.", title=talk.title), "success")
        else:
            flash(_("“%(title)s” is full: you are on its waiting list.", title=talk.title), "info")
    return redirect(_after_agenda_change(slug, token, talk_id), 303)


@bp.post(f"/manage/<token>/sessions/<{ID}:talk_id>/leave")
def leave_session(slug: str, token: str, talk_id: int):
    conference, registration = _registration_or_404(slug, token)
    talk = _talk_or_404(conference, talk_id)
    try:
        services.leave_session(audit.ATTENDEE, registration, talk)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        flash(_("“%(title)s” is no longer in your agenda.", title=talk.title), "success")
    return redirect(_after_agenda_change(slug, token, talk_id), 303)


@bp.route("/manage/<token>/details", methods=["GET", "POST"])
def edit_details(slug: str, token: str):
    conference, registration = _registration_or_404(slug, token)
    form = details_form(registration, _questions(conference), prefill=request.method == "GET")
    if form.validate_on_submit():
        services.update_details(audit.ATTENDEE, registration, form.to_details())
        flash(_("Your details are saved."), "success")
        return redirect(_manage_url(slug, token), 303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "registration/details.html",
        conference=conference,
        registration=registration,
        token=token,
        form=form,
    ), status


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
def cancel(slug: str, token: str):
    """A page asking "are you sure?"; only its POST cancels."""
    conference, registration = _registration_or_404(slug, token)
    form = FlaskForm()
    if form.validate_on_submit():
        was_pending = registration.status == "pending"
        try:
            services.cancel_registration(audit.ATTENDEE, registration)
        except Conflict as refused:
            flash(refused.message, "error")
        else:
            if was_pending:
                flash(_("Your registration is withdrawn."), "success")
            else:
                flash(
                    _("Your registration is cancelled. Thank you for freeing your seat."),
                    "success",
                )
        return redirect(_manage_url(slug, token), 303)
    return render_template(
        "registration/cancel.html",
        conference=conference,
        registration=registration,
        token=token,
        form=form,
        is_over=conference.registration_state(utcnow()) == "past",
    ), 400 if form.is_submitted() else 200


@bp.get("/manage/<token>/data.json")
def personal_data(slug: str, token: str):
    """Everything held about the attendee, as a JSON download."""
    conference, registration = _registration_or_404(slug, token)
    data = services.export_personal_data(registration)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-my-registration.json"'
    )
    return response


@bp.route("/manage/<token>/erase", methods=["GET", "POST"])
def erase(slug: str, token: str):
    """A page explaining erasure; only its POST erases."""
    conference, registration = _registration_or_404(slug, token)
    form = FlaskForm()
    if form.validate_on_submit():
        services.erase_personal_data(audit.ATTENDEE, registration)
        if not conference.published:
            # The erased page below answers only for published conferences; the person
            # holding this link knows the draft's title already.
            return render_template("registration/erased.html", conference=conference)
        return redirect(url_for(".erased", slug=slug), 303)
    return render_template(
        "registration/erase.html",
        conference=conference,
        registration=registration,
        token=token,
        form=form,
    ), 400 if form.is_submitted() else 200


@bp.get("/erased")
def erased(slug: str):
    # Anyone may open this address: a draft's title must not show (the same 404 as unknown).
    conference = get_published_or_404(slug)
    return render_template("registration/erased.html", conference=conference)
