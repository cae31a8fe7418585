"""Importing a programme from a CSV file or a frab schedule: upload, preview, confirm.

The upload is parsed and planned (``eventreg.schedule.imports``) and answered with a
preview: what would be created, and every refused row with its number. The file's content
travels to the confirmation in a hidden field, compressed and signed (HMAC-SHA-256 with a
timestamp, bound to the conference and the account), so the server never keeps it and
never trusts what comes back; on confirmation it is parsed and planned again under the
conference's lock, and imported in one transaction, or not at all.
"""

import base64
import hashlib
import zlib

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from wtforms import HiddenField

from eventreg.conferences.models import Conference
from eventreg.core import uploads
from eventreg.core.forms import Form
from eventreg.core.spreadsheets import FileRefused
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.schedule import imports

SALT = "eventreg.programme-import"
# How long a preview can be confirmed.
PREVIEW_MAX_AGE = 3600


class ImportForm(Form):
    file = FileField(
        _l("Programme file"),
        description=_l(
            "A CSV file (UTF-8, separated by commas or semicolons) with the template's "
            "columns, or a frab schedule.xml or schedule.json."
        ),
        render_kw={"accept": ".csv,.xml,.json,text/csv,application/xml,application/json"},
    )


class ConfirmForm(Form):
    payload = HiddenField()


@bp.route("/c/<slug>/import", methods=["GET", "POST"])
@uploads.accepts_uploads
@conference_view("organizer")
def import_programme(conference: Conference):
    if uploads.too_large():
        return _upload_page(conference, ImportForm(formdata=None), _too_large_message()), 413
    form = ImportForm()
    if request.method == "GET":
        return _upload_page(conference, form)
    if not form.validate_on_submit():
        return _upload_page(conference, form), 400
    upload = form.file.data
    data = upload.stream.read(imports.MAX_BYTES + 1) if upload else b""
    if not data:
        return _upload_page(conference, form, _("Choose a file to import.")), 400
    try:
        parsed = imports.parse_upload(data, conference.tz)
    except FileRefused as refused:
        return _upload_page(conference, form, refused.message), 413 if refused.too_large else 400
    plan = imports.plan_import(conference, parsed)
    return _preview(conference, plan, _sign(conference, data))


@bp.post("/c/<slug>/import/confirm")
@uploads.accepts_uploads  # the signed content can be larger than a plain form's body
@conference_view("organizer")
def import_confirm(conference: Conference):
    if uploads.too_large():
        return _upload_page(conference, ImportForm(formdata=None), _too_large_message()), 413
    form = ConfirmForm()
    data = _unsigned(conference, form.payload.data or "") if form.validate_on_submit() else None
    if data is None:
        message = _("This preview has expired or was changed. Please upload the file again.")
        return _upload_page(conference, ImportForm(formdata=None), message), 400
    try:
        parsed = imports.parse_upload(data, conference.tz)
        imported = imports.import_programme(current_user, conference, parsed)
    except FileRefused as refused:
        return _upload_page(conference, ImportForm(formdata=None), refused.message), 400
    except imports.ImportRefused as refused:
        # The programme changed since the preview: show what refuses the file now.
        return _preview(conference, refused.plan, form.payload.data), 409
    flash(_("Programme imported: %(what)s.", what=imported.plan.summary()), "success")
    return redirect(url_for("organizers.schedule_overview", slug=conference.slug))


@bp.get("/c/<slug>/import/template.csv")
@conference_view("organizer")
def import_template(conference: Conference):
    # A byte-order mark, so spreadsheet programs read the UTF-8 right.
    response = make_response("\ufeff" + imports.template_csv(conference))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-programme-template.csv"'
    )
    return response


def _upload_page(conference: Conference, form: ImportForm, error: str | None = None) -> str:
    return render_template(
        "organizers/import.html",
        conference=conference,
        form=form,
        error=error,
        max_megabytes=f"{imports.MAX_BYTES / (1024 * 1024):g}",
        max_rows=imports.MAX_ROWS,
        columns=imports.CSV_COLUMNS,
    )


def _preview(conference: Conference, plan: imports.ImportPlan, payload: str) -> str:
    form = ConfirmForm(formdata=None)
    form.payload.data = payload
    return render_template(
        "organizers/import_preview.html",
        conference=conference,
        plan=plan,
        form=form,
        upload_form=ImportForm(formdata=None),
        tz=conference.tz,
    )


def _too_large_message() -> str:
    return _(
        "The file is too large: at most %(size)s MB can be imported at once.",
        size=f"{imports.MAX_BYTES / (1024 * 1024):g}",
    )


# --- the content between preview and confirmation ------------------------------------------


def _signer() -> TimestampSigner:
    return TimestampSigner(
        current_app.config["SECRET_KEY"], salt=SALT, digest_method=hashlib.sha256
    )


def _sign(conference: Conference, data: bytes) -> str:
    packed = base64.urlsafe_b64encode(zlib.compress(data, 6)).decode()
    return _signer().sign(f"{conference.id}.{current_user.id}.{packed}").decode()


def _unsigned(conference: Conference, token: str) -> bytes | None:
    """The file's content, if the token is ours, fresh, and for this conference and
    account; None otherwise."""
    try:
        value = _signer().unsign(token, max_age=PREVIEW_MAX_AGE).decode()
    except (SignatureExpired, BadSignature):
        return None
    conference_id, user_id, packed = value.split(".", 2)
    if conference_id != str(conference.id) or user_id != str(current_user.id):
        return None
    inflate = zlib.decompressobj()
    data = inflate.decompress(base64.urlsafe_b64decode(packed), imports.MAX_BYTES + 1)
    return data if len(data) <= imports.MAX_BYTES else None
