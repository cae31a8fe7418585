"""A speaker's private pages, reached through the secret link the organizers send: their
sessions to confirm or decline, their page (job title, biography, photo, links, language)
and when they are available. Thin: each view loads the speaker, calls one function of
``eventreg.schedule.speaker_portal`` and renders, in the speaker's language.
"""

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import Length, Optional

from eventreg.conferences.models import Conference, Speaker
from eventreg.core import images, uploads
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.forms import Form
from eventreg.core.ids import ID
from eventreg.core.timeutil import format_day
from eventreg.schedule import speaker_portal as portal

bp = Blueprint("speaker_portal", __name__, url_prefix="/c/<slug>/speaker/<token>")

IMAGE_TYPES = "image/png,image/jpeg,image/webp"


@bp.after_request
def private_pages(response):
    # A secret link: never cached, never indexed, never sent on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def speaker_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Load the speaker the secret belongs to (any wrong secret: the same 404) and run the
    view in the speaker's language: ``?lang=`` for this page, else the one they chose,
    else the conference's main language."""

    @wraps(view)
    def wrapper(slug: str, token: str, **values: Any) -> Any:
        conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
        speaker = portal.speaker_for_token(conference, token) if conference else None
        if conference is None or speaker is None:
            abort(404)
        chosen = request.args.get("lang")
        if chosen not in current_app.config["LANGUAGES"]:
            chosen = speaker.language or conference.main_language
        with force_locale(chosen):
            return view(conference, speaker, token, **values)

    return wrapper


def _home(conference: Conference, token: str, anchor: str | None = None) -> str:
    return url_for(".home", slug=conference.slug, token=token, _anchor=anchor)


# --- the sessions -----------------------------------------------------------------------


@bp.get("/")
@speaker_page
def home(conference: Conference, speaker: Speaker, token: str):
    return render_template(
        "site/speaker_home.html",
        conference=conference,
        speaker=speaker,
        token=token,
        assignments=portal.assignments(speaker),
        spans=portal.day_spans(speaker),
        form=Form(),
    )


@bp.post(f"/sessions/<{ID}:talk_id>/respond")
@speaker_page
def respond(conference: Conference, speaker: Speaker, token: str, talk_id: int):
    form = Form()
    if not form.validate_on_submit():
        abort(400)
    try:
        answer = portal.respond(speaker, talk_id, request.form.get("response", ""))
    except Invalid as refused:
        flash(refused.message, "error")
    else:
        if answer == "confirmed":
            flash(_("Thank you: you have confirmed this session."), "success")
        else:
            flash(_("You have declined this session; the organizers have been told."), "info")
    return redirect(_home(conference, token, f"session-{talk_id}"), 303)


# --- the speaker's page -------------------------------------------------------------------


def _language_name(code: str) -> str:
    """A language by its own name (中文, Italiano), as a choice of language is shown."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def _reader_name(code: str) -> str:
    """A language named in the reader's language."""
    name = Locale.parse(code).get_language_name(get_locale() or Locale("en")) or code
    return name[:1].upper() + name[1:]


def _languages(conference: Conference) -> list[str]:
    """The app's languages, the conference's main one first."""
    others = [code for code in current_app.config["LANGUAGES"] if code != conference.main_language]
    return [conference.main_language, *others]


def _link_rows(speaker: Speaker, prefill: bool) -> int:
    if not prefill:
        sent = sum(1 for key in request.form if key.startswith("link_url_"))
        return max(1, min(portal.MAX_LINKS, sent))
    return min(portal.MAX_LINKS, max(3, len(speaker.links or []) + 1))


def profile_form(conference: Conference, speaker: Speaker, prefill: bool) -> Form:
    """Job title and biography per language, the links, and the language of mail and pages;
    with ``prefill`` as saved, else as submitted."""
    attributes: dict[str, Any] = {}
    for code in _languages(conference):
        language = _reader_name(code)
        attributes[f"title_{code}"] = StringField(
            _("Job title (%(language)s)", language=language),
            validators=[Optional(), Length(max=portal.TITLE_MAX)],
            render_kw={"lang": code, "autocomplete": "organization-title"},
        )
        attributes[f"bio_{code}"] = TextAreaField(
            _("Biography (%(language)s)", language=language),
            validators=[Optional(), Length(max=portal.BIO_MAX)],
            render_kw={"lang": code, "rows": 6},
        )
    rows = _link_rows(speaker, prefill)
    for index in range(rows):
        attributes[f"link_label_{index}"] = StringField(
            _("Label of link %(n)d", n=index + 1),
            validators=[Optional(), Length(max=portal.LINK_LABEL_MAX)],
        )
        attributes[f"link_url_{index}"] = StringField(
            _("Address of link %(n)d", n=index + 1),
            validators=[Optional(), Length(max=portal.LINK_URL_MAX)],
            render_kw={"type": "url", "inputmode": "url", "placeholder": "https://"},
        )
    main = _language_name(conference.main_language)
    choices = [SelectChoice("", _("The conference's language (%(language)s)", language=main))]
    choices += [
        SelectChoice(code, _language_name(code)) for code in current_app.config["LANGUAGES"]
    ]
    attributes["language"] = SelectField(
        _("Language of your e-mails and of these pages"), choices=choices, default=""
    )
    form_class = type("SpeakerProfileForm", (Form,), attributes)
    form: Form = form_class(formdata=None) if prefill else form_class()
    form.link_rows = rows
    form.languages = _languages(conference)
    if prefill:
        for code in form.languages:
            if code == conference.main_language:
                title, bio = speaker.title, speaker.bio
            else:
                texts = (speaker.translations or {}).get(code, {})
                title, bio = texts.get("title", ""), texts.get("bio", "")
            form[f"title_{code}"].data = title or ""
            form[f"bio_{code}"].data = bio or ""
        for index, link in enumerate((speaker.links or [])[:rows]):
            form[f"link_label_{index}"].data = link.get("label", "")
            form[f"link_url_{index}"].data = link.get("url", "")
        form.language.data = speaker.language or ""
    return form


def _show_errors(form: Form, error: Invalid) -> None:
    """The service's refusals next to their fields (``texts.zh.bio`` → ``bio_zh``)."""
    for key, message in error.errors.items():
        parts = key.split(".")
        if parts[0] == "texts" and len(parts) == 3:
            name = f"{parts[2]}_{parts[1]}"
        elif parts[0] == "links" and len(parts) == 2:
            name = f"link_url_{parts[1]}"
        elif parts[0] == "availability" and len(parts) == 2:
            name = f"day_{parts[1]}"
        else:
            name = parts[0]
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


@bp.route("/profile", methods=["GET", "POST"])
@speaker_page
def profile(conference: Conference, speaker: Speaker, token: str):
    form = profile_form(conference, speaker, prefill=request.method == "GET")
    if form.validate_on_submit():
        texts = {
            code: {"title": form[f"title_{code}"].data, "bio": form[f"bio_{code}"].data}
            for code in form.languages
        }
        links = [
            {"label": form[f"link_label_{i}"].data, "url": form[f"link_url_{i}"].data}
            for i in range(form.link_rows)
        ]
        try:
            portal.update_profile(
                speaker, texts=texts, links=links, language=form.language.data or None
            )
        except Invalid as error:
            _show_errors(form, error)
        else:
            # The page's language may just have changed: say so in the new one.
            with force_locale(form.language.data or conference.main_language):
                flash(_("Your page is saved."), "success")
            return redirect(_home(conference, token), 303)
    return _profile_page(conference, speaker, token, form, PhotoForm(formdata=None))


def _profile_page(conference, speaker, token, form, photo_form, status=None):
    status = status or (422 if form.is_submitted() and form.errors else 200)
    return render_template(
        "site/speaker_profile.html",
        conference=conference,
        speaker=speaker,
        token=token,
        form=form,
        photo_form=photo_form,
        language_name=_reader_name,
    ), status


class PhotoForm(Form):
    photo = FileField(render_kw={"accept": IMAGE_TYPES})


@bp.post("/photo")
@uploads.accepts_uploads
@speaker_page
def photo(conference: Conference, speaker: Speaker, token: str):
    """Upload ("photo") or remove ("remove-photo") the speaker's photo."""
    if uploads.too_large():
        photo_form = PhotoForm(formdata=None)
        photo_form.photo.errors = [images.too_large_message(current_app.config["UPLOAD_MAX_BYTES"])]
        form = profile_form(conference, speaker, prefill=True)
        return _profile_page(conference, speaker, token, form, photo_form, 413)
    photo_form = PhotoForm()
    if photo_form.validate_on_submit():
        remove = request.form.get("action") == "remove-photo"
        upload = None
        if not remove:
            data = photo_form.photo.data
            limit = current_app.config["UPLOAD_MAX_BYTES"] + 1
            upload = data.stream.read(limit) if data is not None else b""
        try:
            portal.set_photo(speaker, upload)
        except Invalid as error:
            photo_form.photo.errors = list(error.errors.values())
        else:
            flash(
                _("Your photo has been removed.") if remove else _("Your photo has been saved."),
                "success",
            )
            return redirect(url_for(".profile", slug=conference.slug, token=token), 303)
    form = profile_form(conference, speaker, prefill=True)
    return _profile_page(conference, speaker, token, form, photo_form, 422)


# --- availability ----------------------------------------------------------------------


def _span_rows(speaker: Speaker, prefill: bool) -> int:
    if not prefill:
        sent = sum(1 for key in request.form if key.startswith("day_"))
        return max(1, min(portal.MAX_SPANS, sent))
    return min(portal.MAX_SPANS, len(speaker.availability) + 2)


def _days(conference: Conference) -> list[date]:
    count = (conference.end_date - conference.start_date).days + 1
    return [conference.start_date + timedelta(days=n) for n in range(count)]


def availability_form(conference: Conference, speaker: Speaker, prefill: bool) -> Form:
    rows = _span_rows(speaker, prefill)
    days = [SelectChoice("", "—")]
    days += [SelectChoice(day.isoformat(), format_day(day)) for day in _days(conference)]
    attributes: dict[str, Any] = {}
    for index in range(rows):
        attributes[f"day_{index}"] = SelectField(_("Day"), choices=days, default="")
        attributes[f"start_{index}"] = TimeField(_("From"), validators=[Optional()])
        attributes[f"end_{index}"] = TimeField(_("To"), validators=[Optional()])
    form_class = type("SpeakerAvailabilityForm", (Form,), attributes)
    form: Form = form_class(formdata=None) if prefill else form_class()
    form.rows = rows
    if prefill:
        for index, span in enumerate(portal.day_spans(speaker)[:rows]):
            form[f"day_{index}"].data = span.day.isoformat()
            form[f"start_{index}"].data = span.start
            form[f"end_{index}"].data = span.end
    return form


def _submitted_spans(form: Form) -> list[portal.DaySpan] | None:
    """The filled rows; None (with the errors set) when a row is half filled."""
    spans, complete = [], True
    for index in range(form.rows):
        day = form[f"day_{index}"].data
        start, end = form[f"start_{index}"].data, form[f"end_{index}"].data
        if not day and start is None and end is None:
            continue
        if not day or start is None or end is None:
            form[f"day_{index}"].errors = [_("Give the day, and the times from and to.")]
            complete = False
            continue
        spans.append(portal.DaySpan(date.fromisoformat(day), start, end))
    return spans if complete else None


@bp.route("/availability", methods=["GET", "POST"])
@speaker_page
def availability(conference: Conference, speaker: Speaker, token: str):
    form = availability_form(conference, speaker, prefill=request.method == "GET")
    if form.validate_on_submit():
        spans = _submitted_spans(form)
        if spans is not None:
            try:
                portal.set_availability(speaker, spans)
            except Invalid as error:
                _show_errors(form, error)
            else:
                flash(_("Your availability is saved."), "success")
                return redirect(_home(conference, token, "availability"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "site/speaker_availability.html",
        conference=conference,
        speaker=speaker,
        token=token,
        form=form,
    ), status
