"""Personal API tokens in the workspace: create one (its secret shown once), list, revoke.

Each account manages only its own tokens; a token acts with its owner's roles.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from eventreg.accounts import api_tokens as tokens
from eventreg.core.errors import Invalid
from eventreg.core.forms import Form
from eventreg.core.ids import MAX_ID
from eventreg.organizers.account_views import show_errors
from eventreg.organizers.auth import require_login
from eventreg.organizers.blueprint import bp


class NewTokenForm(Form):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What the token is for, e.g. “schedule import script”."),
    )


class RevokeTokenForm(Form):
    token_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


@bp.route("/tokens", methods=["GET", "POST"])
@require_login
def api_tokens():
    form = NewTokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            token, secret = tokens.issue(current_user, form.name.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            form = NewTokenForm(formdata=None)
            flash(_("Token “%(name)s” created.", name=token.name), "success")
    status = 400 if request.method == "POST" and secret is None else 200
    page = render_template(
        "organizers/tokens.html",
        form=form,
        secret=secret,
        tokens=tokens.tokens_of(current_user),
    )
    # The secret is on this page only once: no cache may keep a copy.
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/tokens/revoke")
@require_login
def revoke_api_token():
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    token = tokens.revoke(current_user, form.token_id.data)
    if token is None:
        abort(404)
    flash(_("Token “%(name)s” revoked: it no longer opens the API.", name=token.name), "success")
    return redirect(url_for("organizers.api_tokens"))
