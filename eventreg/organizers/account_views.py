"""Logging in and out, passwords, the workspace home page, and accounts (administrators)."""

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from wtforms.fields import SelectChoice

from eventreg.accounts import services, sessions
from eventreg.accounts.models import User
from eventreg.conferences import roles
from eventreg.conferences.models import Conference, ConferenceRole
from eventreg.conferences.roles import conferences_visible_to
from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db, limiter
from eventreg.core.ids import ID
from eventreg.organizers.auth import is_local_url, public, require_admin, require_login
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import (
    EditUserForm,
    ForgotPasswordForm,
    GrantRoleForm,
    LoginForm,
    NewUserForm,
    PasswordChangeForm,
    SetPasswordForm,
)
from eventreg.organizers.translation_forms import error_field


def show_errors(form, error: Invalid) -> None:
    """Put a service's refusal next to the form fields it concerns."""
    for field_name, message in error.errors.items():
        field = getattr(form, error_field(field_name), None) if field_name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def render_form(template: str, form, **context):
    """The page with its form; 400 when a submission was refused."""
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def _start_fresh_session() -> None:
    """Nothing from before a login or logout carries over, except the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_LINK_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    next_url = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_local_url(next_url) else url_for("organizers.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_fresh_session()
            login_user(user)
            return redirect(next_url if is_local_url(next_url) else url_for("organizers.home"))
        form.form_errors.append(_("The e-mail address or the password is wrong."))
    return render_form("organizers/login.html", form, next_url=next_url)


@bp.post("/logout")
@require_login
def logout():
    # The session ends on the server: a copy of the cookie opens nothing any more.
    sessions.end(current_user, sessions.secret_of(current_user))
    logout_user()
    _start_fresh_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("organizers.login"))


@bp.get("/")
@require_login
def home():
    return render_template("organizers/home.html", conferences=conferences_visible_to(current_user))


@bp.route("/password", methods=["GET", "POST"])
@require_login
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("organizers.home"))
    return render_form("organizers/password_change.html", form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            _(
                "If an account has this address, a message with a link to choose a new "
                "password is on its way."
            ),
            "info",
        )
        return redirect(url_for("organizers.login"))
    return render_form("organizers/password_forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _set_password(token, welcome=False)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token: str):
    return _set_password(token, welcome=True)


def _set_password(token: str, *, welcome: bool):
    user = services.user_for_reset_token(token, welcome=welcome)
    if user is None:
        return render_template("organizers/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_from_link(user, form.new_password.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            logout_user()
            _start_fresh_session()
            flash(_("Your new password is set. Please log in with it."), "success")
            return redirect(url_for("organizers.login"))
    return render_form("organizers/password_set.html", form, user=user, welcome=welcome)


@bp.get("/users")
@require_admin
def users():
    accounts = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("organizers/users.html", users=accounts)


@bp.route("/users/new", methods=["GET", "POST"])
@require_admin
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                form.email.data,
                name=form.name.data,
                is_admin=form.is_admin.data,
                may_create_conferences=form.may_create_conferences.data,
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(
                _(
                    "Account created; %(email)s has been sent a link to choose a password.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("organizers.edit_user", user_id=user.id))
    return render_form("organizers/user_new.html", form)


@bp.route(f"/users/<{ID}:user_id>", methods=["GET", "POST"])
@require_admin
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                name=form.name.data,
                is_admin=form.is_admin.data,
                may_create_conferences=form.may_create_conferences.data,
                active=form.active.data,
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("The account has been saved."), "success")
            return redirect(url_for("organizers.edit_user", user_id=user.id))
    return render_form("organizers/user_edit.html", form, **_user_page(user))


@bp.post(f"/users/<{ID}:user_id>/roles")
@require_admin
def grant_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = GrantRoleForm()
    _fill_conference_choices(form)
    if form.validate_on_submit():
        conference = db.get_or_404(Conference, form.conference_id.data)
        try:
            roles.grant_role(current_user, user, conference, form.role.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(
                _(
                    "%(email)s now has a role in %(title)s.",
                    email=user.email,
                    title=conference.title,
                ),
                "success",
            )
            return redirect(url_for("organizers.edit_user", user_id=user.id))
    edit_form = EditUserForm(obj=user, formdata=None)
    page = _user_page(user)
    page["role_form"] = form
    return render_template("organizers/user_edit.html", form=edit_form, **page), 400


@bp.post(f"/users/<{ID}:user_id>/roles/<{ID}:conference_id>/revoke")
@require_admin
def revoke_role(user_id: int, conference_id: int):
    user = db.get_or_404(User, user_id)
    conference = db.get_or_404(Conference, conference_id)
    roles.revoke_role(current_user, user, conference)
    flash(
        _("%(email)s no longer has a role in %(title)s.", email=user.email, title=conference.title),
        "success",
    )
    return redirect(url_for("organizers.edit_user", user_id=user.id))


def _fill_conference_choices(form: GrantRoleForm) -> None:
    conferences = db.session.scalars(
        sa.select(Conference).order_by(Conference.start_date.desc())
    ).all()
    form.conference_id.choices = [
        SelectChoice(c.id, f"{c.title} ({c.start_date})") for c in conferences
    ]


def _user_page(user: User) -> dict:
    role_form = GrantRoleForm(formdata=None)
    _fill_conference_choices(role_form)
    roles = db.session.execute(
        sa.select(ConferenceRole, Conference)
        .join(Conference, ConferenceRole.conference_id == Conference.id)
        .where(ConferenceRole.user_id == user.id)
        .order_by(Conference.start_date.desc())
    ).all()
    history = db.session.scalars(
        sa.select(AuditEntry)
        .filter_by(object_type="user", object_id=user.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(50)
    ).all()
    return {"user": user, "roles": roles, "role_form": role_form, "history": history}
