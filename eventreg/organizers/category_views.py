"""Registration categories and access codes: a list with a form to add one, a page to edit
one, a button to delete one. Each handler calls one function of
``registration.categories`` / ``registration.access_codes`` and renders."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventreg.conferences.models import Conference
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.forms import Form
from eventreg.core.links import public_url
from eventreg.organizers.account_views import render_form, show_errors
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import optional_id
from eventreg.organizers.translation_forms import (
    initial_texts,
    language_panels,
    submitted_texts,
    with_languages,
)
from eventreg.registration import access
from eventreg.registration import access_codes as code_rules
from eventreg.registration import categories as category_rules
from eventreg.registration.models import AccessCode, RegistrationCategory

VISIBILITY_LABELS = {
    "public": _l("Public: offered on the registration form"),
    "hidden": _l("Hidden: only with an access code or an invitation"),
}


class CategoryForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    description = StringField(
        _l("Description"),
        validators=[Length(max=500)],
        description=_l("Shown with the category on the registration form."),
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l(
            "Counted within the conference's seats. Leave empty when only the conference's "
            "limit counts."
        ),
    )
    visibility = SelectField(
        _l("Who may register in it"),
        choices=[SelectChoice(value, label) for value, label in VISIBILITY_LABELS.items()],
    )
    requires_approval = BooleanField(
        _l("Registrations in this category need approval"),
        description=_l("Even when the conference itself takes everyone."),
    )
    position = IntegerField(
        _l("Position"),
        validators=[Optional()],
        description=_l("Categories are offered in this order, lowest first."),
    )


class AccessCodeForm(Form):
    code = StringField(
        _l("Code"),
        validators=[Length(max=40)],
        description=_l(
            "Letters, digits and hyphens; letter case does not matter. Leave empty for a "
            "generated code."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    # The choices are the conference's categories, set by the view.
    category_id = SelectField(_l("Category it opens"), coerce=optional_id)
    skips_approval = BooleanField(
        _l("Skips the approval"),
        description=_l("Registrations with the code are admitted without waiting for approval."),
    )
    max_uses = IntegerField(
        _l("Uses at most"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Registrations not cancelled or declined count as uses. Empty: no limit."),
    )
    valid_until = DateTimeLocalField(
        _l("Valid until"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("In the conference's time zone. Empty: until registration closes."),
    )
    note = StringField(
        _l("Note"),
        validators=[Length(max=200)],
        description=_l("For the organizers only, e.g. who the code was given to."),
    )


CATEGORY_TEXTS = RegistrationCategory.translated_fields


# --- categories ---------------------------------------------------------------------------


@bp.route("/c/<slug>/categories", methods=["GET", "POST"])
@conference_view("organizer")
def categories(conference: Conference):
    form = _category_form(conference)()
    if form.validate_on_submit():
        try:
            category = category_rules.save_category(
                current_user, conference, **_category_values(form, conference)
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("“%(name)s” has been added.", name=category.name), "success")
            return redirect(url_for("organizers.categories", slug=conference.slug))
    return render_form(
        "organizers/categories.html",
        form,
        conference=conference,
        items=access.categories(conference.id),
        counts=category_rules.registration_counts(conference.id),
        visibilities=VISIBILITY_LABELS,
        panels=language_panels(form, CATEGORY_TEXTS, conference.main_language),
    )


@bp.route("/c/<slug>/categories/<id:item_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_category(conference: Conference, item_id: int):
    category = _owned_or_404(conference, RegistrationCategory, item_id)
    form = _category_form(conference)(
        obj=category, **initial_texts(category, CATEGORY_TEXTS, conference.main_language)
    )
    if form.validate_on_submit():
        try:
            category_rules.save_category(
                current_user, conference, category, **_category_values(form, conference)
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("“%(name)s” has been saved.", name=category.name), "success")
            return redirect(url_for("organizers.categories", slug=conference.slug))
    return render_form(
        "organizers/category_edit.html",
        form,
        conference=conference,
        item=category,
        panels=language_panels(form, CATEGORY_TEXTS, conference.main_language),
    )


@bp.post("/c/<slug>/categories/<id:item_id>/delete")
@conference_view("organizer")
def delete_category(conference: Conference, item_id: int):
    category = _owned_or_404(conference, RegistrationCategory, item_id)
    name = category.name
    try:
        category_rules.delete_category(current_user, conference, category)
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash(_("“%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("organizers.categories", slug=conference.slug), 303)


def _category_form(conference: Conference) -> type:
    return with_languages(CategoryForm, CATEGORY_TEXTS, conference.main_language)


def _category_values(form, conference: Conference) -> dict:
    values = {
        field: form[field].data
        for field in category_rules.CATEGORY_FIELDS
        if field != "translations"
    }
    values["translations"] = submitted_texts(form, CATEGORY_TEXTS, conference.main_language)
    return values


# --- access codes -------------------------------------------------------------------------


@bp.route("/c/<slug>/codes", methods=["GET", "POST"])
@conference_view("organizer")
def access_codes(conference: Conference):
    form = _code_form(conference)
    if form.validate_on_submit():
        try:
            code = code_rules.save_access_code(current_user, conference, **_code_values(form))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("The code %(code)s has been added.", code=code.code), "success")
            return redirect(url_for("organizers.access_codes", slug=conference.slug))
    codes = db.session.scalars(
        db.select(AccessCode)
        .filter_by(conference_id=conference.id)
        .order_by(AccessCode.created_at.desc(), AccessCode.id.desc())
    ).all()
    uses = code_rules.code_uses(conference.id)
    rows = [
        {
            "code": code,
            "uses": uses.get(code.id, 0),
            "state": code_rules.code_state(code, uses.get(code.id, 0)),
            "link": public_url("registration.register", slug=conference.slug, code=code.code),
        }
        for code in codes
    ]
    return render_form(
        "organizers/access_codes.html",
        form,
        conference=conference,
        rows=rows,
        category_names={c.id: c.name for c in access.categories(conference.id)},
        local_time=lambda moment: moment.astimezone(conference.tz).strftime("%Y-%m-%d %H:%M"),
    )


@bp.route("/c/<slug>/codes/<id:item_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_access_code(conference: Conference, item_id: int):
    code = _owned_or_404(conference, AccessCode, item_id)
    form = _code_form(conference, code)
    if form.validate_on_submit():
        try:
            code_rules.save_access_code(current_user, conference, code, **_code_values(form))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("The code %(code)s has been saved.", code=code.code), "success")
            return redirect(url_for("organizers.access_codes", slug=conference.slug))
    return render_form(
        "organizers/access_code_edit.html",
        form,
        conference=conference,
        item=code,
        link=public_url("registration.register", slug=conference.slug, code=code.code),
    )


@bp.post("/c/<slug>/codes/<id:item_id>/delete")
@conference_view("organizer")
def delete_access_code(conference: Conference, item_id: int):
    code = _owned_or_404(conference, AccessCode, item_id)
    text = code.code
    code_rules.delete_access_code(current_user, conference, code)
    flash(_("The code %(code)s has been deleted.", code=text), "success")
    return redirect(url_for("organizers.access_codes", slug=conference.slug), 303)


def _code_form(conference: Conference, code: AccessCode | None = None) -> AccessCodeForm:
    form = AccessCodeForm(obj=code)
    form.category_id.choices = [
        SelectChoice("", _("None: the one chosen on the form")),
        *(SelectChoice(c.id, c.name) for c in access.categories(conference.id)),
    ]
    if request.method == "GET" and code is not None and code.valid_until is not None:
        # The form shows the time on the conference's own wall clock.
        form.valid_until.data = code.valid_until.astimezone(conference.tz).replace(tzinfo=None)
    return form


def _code_values(form: AccessCodeForm) -> dict:
    return {field: form[field].data for field in code_rules.CODE_FIELDS}


def _owned_or_404(conference: Conference, model: type, item_id: int):
    """The row, only if it belongs to this conference: ids of other conferences are 404."""
    item = db.session.get(model, item_id)
    if item is None or item.conference_id != conference.id:
        abort(404)
    return item
