"""Invitations: upload a list of people, preview it, send each a personal link; the list
of invitations with their mail's state, resend and revoke; the CSV template.

As for the programme import (``import_views``), the file's content travels from the
preview to the confirmation in a hidden field, compressed and signed (HMAC-SHA-256 with a
timestamp, bound to the conference and the account) together with the options chosen, so
the server keeps nothing in between and trusts nothing that comes back.
"""

import base64
import hashlib
import zlib
from typing import Any

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.file import FileField
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import BooleanField, HiddenField, SelectField

from eventreg.conferences.models import Conference
from eventreg.core import uploads
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.forms import Form
from eventreg.core.spreadsheets import FileRefused
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import access
from eventreg.registration import invitations as service

SALT = "eventreg.invitations-upload"
# How long a preview can be confirmed.
PREVIEW_MAX_AGE = 3600


def _optional_id(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class UploadForm(Form):
    file = FileField(
        _l("List of people"),
        description=_l(
            "A CSV file (UTF-8, separated by commas or semicolons) with the template's columns."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
    category_id = SelectField(_l("Category"), coerce=_optional_id, validate_choice=True)
    skips_approval = BooleanField(_l("Skip the approval"), default=True)

    def __init__(self, conference: Conference, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [(None, _("None (the form lets them choose)"))] + [
            (
                category.id,
                category.name + (f" ({_('hidden')})" if category.visibility == "hidden" else ""),
            )
            for category in access.categories(conference.id)
        ]


class ConfirmForm(Form):
    payload = HiddenField()


class ActionForm(Form):
    """Only the CSRF token: resend and revoke take nothing else."""


@bp.route("/c/<slug>/invitations", methods=["GET", "POST"])
@uploads.accepts_uploads
@conference_view("organizer")
def invitations(conference: Conference):
    if uploads.too_large():
        return _page(conference, UploadForm(conference, formdata=None), _too_large_message()), 413
    form = UploadForm(conference)
    if request.method == "GET":
        return _page(conference, form)
    if not form.validate_on_submit():
        return _page(conference, form), 400
    upload = form.file.data
    data = upload.stream.read(service.MAX_BYTES + 1) if upload else b""
    if not data:
        return _page(conference, form, _("Choose a file to upload.")), 400
    try:
        rows = service.parse_upload(data)
    except FileRefused as refused:
        return _page(conference, form, refused.message), 413 if refused.too_large else 400
    options = {
        "category_id": form.category_id.data,
        "skips_approval": bool(form.skips_approval.data),
    }
    plan = service.plan_invitations(conference, rows)
    return _preview(conference, plan, options, _sign(conference, data, options))


@bp.post("/c/<slug>/invitations/confirm")
@uploads.accepts_uploads  # the signed content can be larger than a plain form's body
@conference_view("organizer")
def invitations_confirm(conference: Conference):
    if uploads.too_large():
        return _page(conference, UploadForm(conference, formdata=None), _too_large_message()), 413
    form = ConfirmForm()
    signed = _unsigned(conference, form.payload.data or "") if form.validate_on_submit() else None
    if signed is None:
        message = _("This preview has expired or was changed. Please upload the file again.")
        return _page(conference, UploadForm(conference, formdata=None), message), 400
    data, options = signed
    try:
        rows = service.parse_upload(data)
        made = service.send_invitations(current_user, conference, rows, **options)
    except FileRefused as refused:
        return _page(conference, UploadForm(conference, formdata=None), refused.message), 400
    except service.InvitationsRefused as refused:
        # The invitations or registrations changed since the preview: show them as they are.
        return _preview(conference, refused.plan, options, form.payload.data, refused.message), 409
    except Invalid as refused:  # the category was deleted meanwhile
        return _page(conference, UploadForm(conference, formdata=None), refused.message), 409
    flash(ngettext("%(num)d person invited.", "%(num)d people invited.", len(made)), "success")
    return redirect(url_for("organizers.invitations", slug=conference.slug), 303)


@bp.post("/c/<slug>/invitations/<id:invitation_id>/resend")
@conference_view("organizer")
def invitation_resend(conference: Conference, invitation_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        invitation = service.resend(current_user, conference, invitation_id)
    except Conflict as refused:
        flash(refused.message, "error")
        return redirect(url_for("organizers.invitations", slug=conference.slug), 303)
    if invitation is None:
        abort(404)
    flash(
        _(
            "The invitation was sent again to %(name)s, with a new link: the old one no "
            "longer works.",
            name=invitation.full_name,
        ),
        "success",
    )
    return redirect(url_for("organizers.invitations", slug=conference.slug), 303)


@bp.post("/c/<slug>/invitations/<id:invitation_id>/revoke")
@conference_view("organizer")
def invitation_revoke(conference: Conference, invitation_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    invitation = service.revoke(current_user, conference, invitation_id)
    if invitation is None:
        abort(404)
    flash(
        _("The invitation of %(name)s was revoked.", name=invitation.full_name),
        "success",
    )
    return redirect(url_for("organizers.invitations", slug=conference.slug), 303)


@bp.get("/c/<slug>/invitations/template.csv")
@conference_view("organizer")
def invitations_template(conference: Conference):
    # A byte-order mark, so spreadsheet programs read the UTF-8 right.
    response = make_response("\ufeff" + service.template_csv())
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-invitations-template.csv"'
    )
    return response


def _page(conference: Conference, form: UploadForm, error: str | None = None) -> str:
    listed = service.entries(conference)
    return render_template(
        "organizers/invitations.html",
        conference=conference,
        form=form,
        error=error,
        entries=listed,
        counts=service.counts(listed),
        action_form=ActionForm(formdata=None),
        max_megabytes=f"{service.MAX_BYTES / (1024 * 1024):g}",
        max_rows=service.MAX_ROWS,
        columns=service.CSV_COLUMNS,
        languages=service.languages(),
        attendee_pages="organizers.attendee_page" in current_app.view_functions,
    )


def _preview(
    conference: Conference,
    plan: service.InvitationPlan,
    options: dict[str, Any],
    payload: str,
    error: str | None = None,
) -> str:
    form = ConfirmForm(formdata=None)
    form.payload.data = payload
    category = next(
        (c for c in access.categories(conference.id) if c.id == options["category_id"]), None
    )
    return render_template(
        "organizers/invitations_preview.html",
        conference=conference,
        plan=plan,
        form=form,
        upload_form=UploadForm(conference, formdata=None, data=options),
        category=category,
        skips_approval=options["skips_approval"],
        error=error,
    )


def _too_large_message() -> str:
    return _(
        "The file is too large: at most %(size)s MB can be read at once.",
        size=f"{service.MAX_BYTES / (1024 * 1024):g}",
    )


# --- the content between preview and confirmation ------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=SALT,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def _sign(conference: Conference, data: bytes, options: dict[str, Any]) -> str:
    packed = base64.urlsafe_b64encode(zlib.compress(data, 6)).decode()
    value = {
        "conference": conference.id,
        "user": current_user.id,
        "category_id": options["category_id"],
        "skips_approval": options["skips_approval"],
        "data": packed,
    }
    return _serializer().dumps(value)


def _unsigned(conference: Conference, token: str) -> tuple[bytes, dict[str, Any]] | None:
    """The file's content and the options, if the token is ours, fresh, and for this
    conference and account; None otherwise."""
    try:
        value = _serializer().loads(token, max_age=PREVIEW_MAX_AGE)
    except BadSignature:  # SignatureExpired is one
        return None
    if value.get("conference") != conference.id or value.get("user") != current_user.id:
        return None
    inflate = zlib.decompressobj()
    data = inflate.decompress(base64.urlsafe_b64decode(value["data"]), service.MAX_BYTES + 1)
    if len(data) > service.MAX_BYTES:
        return None
    options = {
        "category_id": value.get("category_id"),
        "skips_approval": bool(value.get("skips_approval")),
    }
    return data, options
