"""Managing one conference: details, publishing, rooms, tracks, speakers, questions, audit log.

Each handler loads, lets ``auth`` check the role, calls one function of
``eventreg.conferences.services`` and renders; the rules live in the service.
"""

from zoneinfo import available_timezones

import sqlalchemy as sa
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
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from eventreg.conferences import services
from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.conferences.rules import content_languages
from eventreg.core import colors, images, uploads
from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.organizers.account_views import render_form, show_errors
from eventreg.organizers.attendee_views import page_number
from eventreg.organizers.auth import conference_view, require_creator
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import (
    QUESTION_KIND_LABELS,
    AccentForm,
    BannerForm,
    ConferenceForm,
    DuplicateForm,
    LogoForm,
    PhotoForm,
    QuestionForm,
    RoomForm,
    SpeakerForm,
    TrackForm,
)
from eventreg.organizers.translation_forms import (
    initial_texts,
    language_name,
    language_panels,
    single_panel,
    submitted_texts,
    with_languages,
)
from eventreg.registration import access
from eventreg.registration import questions as question_rules
from eventreg.registration.models import Question
from eventreg.schedule import conference_changes, speaker_portal

AUDIT_PAGE_SIZE = 50


# --- the conference itself ------------------------------------------------------------------


@bp.route("/conferences/new", methods=["GET", "POST"])
@require_creator
def new_conference():
    # Texts in other languages are added on the details page, once the main one is known.
    form = ConferenceForm()
    form.main_language.choices = _language_choices()
    if not form.main_language.data:
        form.main_language.data = content_languages()[0]
    if form.validate_on_submit():
        try:
            conference = services.create_conference(current_user, **_conference_values(form))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("“%(title)s” is created as a draft.", title=conference.title), "success")
            return redirect(url_for("organizers.overview", slug=conference.slug))
    # A refused choice (not one of ours) is shown with its error, the panel in the default.
    shown = form.main_language.data
    if shown not in content_languages():
        shown = content_languages()[0]
    return render_form(
        "organizers/conference_form.html",
        form,
        conference=None,
        zones=_zones(),
        panels=[single_panel(form, Conference.translated_fields, shown)],
    )


@bp.get("/c/<slug>/")
@conference_view("organizer")
def overview(conference: Conference):
    counts = {
        "rooms": len(conference.rooms),
        "tracks": len(conference.tracks),
        "speakers": _count(Speaker, conference),
        "questions": _count(Question, conference),
        "sessions": _count(Talk, conference),
    }
    return render_template("organizers/overview.html", conference=conference, counts=counts)


@bp.route("/c/<slug>/edit", methods=["GET", "POST"])
@conference_view("organizer")
def edit_conference(conference: Conference):
    main, texts = conference.main_language, Conference.translated_fields
    form = with_languages(ConferenceForm, texts, main)(
        obj=conference, **initial_texts(conference, texts, main)
    )
    form.main_language.choices = _language_choices()
    if request.method == "GET":
        # The form shows the registration window on the conference's own wall clock.
        for field in (form.registration_opens_at, form.registration_closes_at):
            if field.data is not None:
                field.data = field.data.astimezone(conference.tz).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            conference = conference_changes.update_conference(
                current_user,
                conference,
                **_conference_values(form),
                translations=submitted_texts(form, texts, main),
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("The conference has been saved."), "success")
            return redirect(url_for("organizers.overview", slug=conference.slug))
    return render_form(
        "organizers/conference_form.html",
        form,
        conference=conference,
        zones=_zones(),
        panels=language_panels(form, texts, main),
    )


@bp.post("/c/<slug>/publish")
@conference_view("organizer")
def publish(conference: Conference):
    services.set_published(current_user, conference, True)
    flash(_("“%(title)s” is published.", title=conference.title), "success")
    return redirect(url_for("organizers.overview", slug=conference.slug))


@bp.post("/c/<slug>/unpublish")
@conference_view("organizer")
def unpublish(conference: Conference):
    services.set_published(current_user, conference, False)
    flash(
        _("“%(title)s” is a draft again: the public no longer sees it.", title=conference.title),
        "success",
    )
    return redirect(url_for("organizers.overview", slug=conference.slug))


@bp.route("/c/<slug>/duplicate", methods=["GET", "POST"])
@conference_view("organizer")
def duplicate(conference: Conference):
    form = DuplicateForm()
    if request.method == "GET":
        form.title.data = conference.title
        form.start_date.data = conference.start_date.replace(year=conference.start_date.year + 1)
    if form.validate_on_submit():
        try:
            copy = conference_changes.duplicate_conference(
                current_user,
                conference,
                title=form.title.data,
                slug=form.slug.data or "",
                start_date=form.start_date.data,
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("“%(title)s” is created as a draft copy.", title=copy.title), "success")
            return redirect(url_for("organizers.overview", slug=copy.slug))
    return render_form("organizers/duplicate.html", form, conference=conference)


@bp.get("/c/<slug>/audit")
@conference_view("organizer")
def audit_log(conference: Conference):
    page = db.paginate(
        sa.select(AuditEntry)
        .filter_by(conference_id=conference.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
        page=request.args.get("page", 1, type=page_number),
        per_page=AUDIT_PAGE_SIZE,
        error_out=False,
    )
    return render_template("organizers/audit.html", conference=conference, page=page)


@bp.get("/c/<slug>/tracks.css")
@conference_view("organizer")
def track_colors(conference: Conference):
    """Track colours as a stylesheet (the content security policy allows no inline styles);
    the public one serves published conferences only."""
    rules = [f".track-{track.id} {{ --track: {track.color}; }}" for track in conference.tracks]
    response = make_response("\n".join(rules) + "\n")
    response.mimetype = "text/css"
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


# --- the look: logo, banner, accent colour ------------------------------------------------------
# One page of small forms; the button pressed names the action ("logo", "remove-logo", …),
# and each action is one call of the service.

LOOK_FORMS = {"logo": LogoForm, "banner": BannerForm, "accent": AccentForm}


@bp.route("/c/<slug>/look", methods=["GET", "POST"])
@uploads.accepts_uploads
@conference_view("organizer")
def look(conference: Conference):
    if uploads.too_large():
        forms = _look_forms(conference, submitted=None)
        form_error = images.too_large_message(current_app.config["UPLOAD_MAX_BYTES"])
        return _look_page(conference, forms, form_error=form_error), 413
    action = request.form.get("action", "") if request.method == "POST" else ""
    kind = action.removeprefix("remove-")
    forms = _look_forms(conference, submitted=kind)
    if request.method == "GET":
        return _look_page(conference, forms)
    form = forms.get(kind)
    if form is None:
        abort(400)
    if form.validate_on_submit():
        try:
            if kind == "accent":
                services.set_accent_color(current_user, conference, form.accent_color.data)
                message = _("The accent colour has been saved.")
            elif action.startswith("remove-"):
                services.set_conference_image(current_user, conference, kind, None)
                message = _("The image has been removed.")
            else:
                services.set_conference_image(current_user, conference, kind, _uploaded(form[kind]))
                message = _("The image has been saved.")
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("organizers.look", slug=conference.slug))
    return _look_page(conference, forms), 422


def _look_forms(conference: Conference, submitted: str | None) -> dict:
    """The page's forms; only the submitted one reads the request."""
    forms = {
        name: form_class() if name == submitted else form_class(formdata=None)
        for name, form_class in LOOK_FORMS.items()
    }
    if submitted != "accent":
        forms["accent"].accent_color.data = conference.accent_color or ""
    return forms


def _look_page(conference: Conference, forms: dict, form_error: str | None = None) -> str:
    accent = conference.accent_color
    return render_template(
        "organizers/look.html",
        conference=conference,
        forms=forms,
        form_error=form_error,
        max_megabytes=f"{current_app.config['UPLOAD_MAX_BYTES'] / (1024 * 1024):g}",
        accent_contrast=format_decimal(colors.accent_contrast(accent), "0.0") if accent else None,
    )


def _uploaded(field) -> bytes:
    """The file's bytes, read no further than one byte past the limit (enough to refuse)."""
    if field.data is None:
        return b""
    return field.data.stream.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)


def _conference_values(form: ConferenceForm) -> dict:
    return {
        field: form[field].data for field in services.CONFERENCE_FIELDS if field != "translations"
    }


def _language_choices() -> list[tuple[str, str]]:
    return [(language, language_name(language)) for language in content_languages()]


def _zones() -> list[str]:
    return sorted(available_timezones())


def _count(model, conference: Conference) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(model).filter_by(conference_id=conference.id)
    )


# --- rooms, tracks, speakers, questions -------------------------------------------------------
# The four lists work alike: a page listing them with a form to add one, a page to edit one,
# and a button to delete one. ``SECTIONS`` says what differs.


class Section:
    def __init__(self, name, model, form, save, delete, fields, order):
        self.name, self.model, self.form = name, model, form
        self.save, self.delete, self.fields, self.order = save, delete, fields, order


SECTIONS = {
    "rooms": Section(
        "rooms",
        Room,
        RoomForm,
        services.save_room,
        services.delete_room,
        services.ROOM_FIELDS,
        (Room.position, Room.id),
    ),
    "tracks": Section(
        "tracks",
        Track,
        TrackForm,
        services.save_track,
        services.delete_track,
        services.TRACK_FIELDS,
        (Track.name,),
    ),
    "speakers": Section(
        "speakers",
        Speaker,
        SpeakerForm,
        services.save_speaker,
        services.delete_speaker,
        services.SPEAKER_FIELDS,
        (Speaker.name,),
    ),
    "questions": Section(
        "questions",
        Question,
        QuestionForm,
        question_rules.save_question,
        question_rules.delete_question,
        question_rules.QUESTION_FORM_FIELDS,
        (Question.position, Question.id),
    ),
}


@bp.route("/c/<slug>/rooms", methods=["GET", "POST"])
@conference_view("organizer")
def rooms(conference: Conference):
    return _list_and_add(conference, SECTIONS["rooms"])


@bp.route("/c/<slug>/rooms/<id:item_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_room(conference: Conference, item_id: int):
    return _edit(conference, SECTIONS["rooms"], item_id)


@bp.post("/c/<slug>/rooms/<id:item_id>/delete")
@conference_view("organizer")
def delete_room(conference: Conference, item_id: int):
    return _delete(conference, SECTIONS["rooms"], item_id)


@bp.route("/c/<slug>/tracks", methods=["GET", "POST"])
@conference_view("organizer")
def tracks(conference: Conference):
    return _list_and_add(conference, SECTIONS["tracks"])


@bp.route("/c/<slug>/tracks/<id:item_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_track(conference: Conference, item_id: int):
    return _edit(conference, SECTIONS["tracks"], item_id)


@bp.post("/c/<slug>/tracks/<id:item_id>/delete")
@conference_view("organizer")
def delete_track(conference: Conference, item_id: int):
    return _delete(conference, SECTIONS["tracks"], item_id)


@bp.route("/c/<slug>/speakers", methods=["GET", "POST"])
@conference_view("organizer")
def speakers(conference: Conference):
    return _list_and_add(conference, SECTIONS["speakers"])


@bp.route("/c/<slug>/speakers/<id:item_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_speaker(conference: Conference, item_id: int):
    return _edit(conference, SECTIONS["speakers"], item_id)


@bp.post("/c/<slug>/speakers/<id:item_id>/photo")
@uploads.accepts_uploads
@conference_view("organizer")
def speaker_photo(conference: Conference, item_id: int):
    """Upload ("photo") or remove ("remove-photo") the speaker's photo."""
    section = SECTIONS["speakers"]
    speaker = _item_or_404(conference, section, item_id)
    if uploads.too_large():
        photo_form = PhotoForm(formdata=None)
        photo_form.photo.errors = [images.too_large_message(current_app.config["UPLOAD_MAX_BYTES"])]
        return _speaker_page(conference, speaker, photo_form), 413
    photo_form = PhotoForm()
    if photo_form.validate_on_submit():
        remove = request.form.get("action") == "remove-photo"
        try:
            services.set_speaker_photo(
                current_user, conference, speaker, None if remove else _uploaded(photo_form.photo)
            )
        except Invalid as error:
            show_errors(photo_form, error)
        else:
            if remove:
                flash(_("The photo of %(name)s has been removed.", name=speaker.name), "success")
            else:
                flash(_("The photo of %(name)s has been saved.", name=speaker.name), "success")
            return redirect(
                url_for("organizers.edit_speaker", slug=conference.slug, item_id=item_id)
            )
    return _speaker_page(conference, speaker, photo_form), 422


@bp.post("/c/<slug>/speakers/<id:item_id>/link")
@conference_view("organizer")
def send_speaker_link(conference: Conference, item_id: int):
    """Mail the speaker a new private link; the one sent before stops working."""
    speaker = _item_or_404(conference, SECTIONS["speakers"], item_id)
    name = speaker.name
    try:
        speaker_portal.send_link(current_user, speaker)
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash(
            _(
                "A new private link is on its way to %(name)s; links sent before no longer work.",
                name=name,
            ),
            "success",
        )
    return redirect(url_for("organizers.edit_speaker", slug=conference.slug, item_id=item_id), 303)


@bp.post("/c/<slug>/speakers/links")
@conference_view("organizer")
def send_speaker_links(conference: Conference):
    """Mail every speaker with an address a new private link."""
    sent = speaker_portal.send_links(current_user, conference)
    flash(
        ngettext(
            "A new private link is on its way to %(num)d speaker.",
            "A new private link is on its way to each of %(num)d speakers.",
            sent,
        ),
        "success" if sent else "info",
    )
    return redirect(url_for("organizers.speakers", slug=conference.slug), 303)


def _speaker_extras(section: Section, conference: Conference, item=None) -> dict:
    """What the speaker pages show besides the form: sessions with each speaker's answer,
    and the speaker's stated availability."""
    if section.name != "speakers":
        return {}
    if item is None:
        return {"assignments": speaker_portal.assignments_by_speaker(conference)}
    return {
        "assignments": speaker_portal.assignments(item),
        "spans": speaker_portal.day_spans(item),
    }


def _speaker_page(conference: Conference, speaker: Speaker, photo_form: PhotoForm) -> str:
    texts = Speaker.translated_fields
    form = _section_form(conference, SECTIONS["speakers"])(
        obj=speaker, formdata=None, **initial_texts(speaker, texts, conference.main_language)
    )
    return render_template(
        "organizers/item_edit.html",
        form=form,
        conference=conference,
        item=speaker,
        section="speakers",
        photo_form=photo_form,
        panels=language_panels(form, texts, conference.main_language),
        **_speaker_extras(SECTIONS["speakers"], conference, speaker),
    )


@bp.post("/c/<slug>/speakers/<id:item_id>/delete")
@conference_view("organizer")
def delete_speaker(conference: Conference, item_id: int):
    return _delete(conference, SECTIONS["speakers"], item_id)


@bp.route("/c/<slug>/questions", methods=["GET", "POST"])
@conference_view("organizer")
def questions(conference: Conference):
    return _list_and_add(conference, SECTIONS["questions"])


@bp.route("/c/<slug>/questions/<id:item_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_question(conference: Conference, item_id: int):
    return _edit(conference, SECTIONS["questions"], item_id)


@bp.post("/c/<slug>/questions/<id:item_id>/delete")
@conference_view("organizer")
def delete_question(conference: Conference, item_id: int):
    return _delete(conference, SECTIONS["questions"], item_id)


def _list_and_add(conference: Conference, section: Section):
    form = _section_form(conference, section)()
    _offer_categories(conference, section, form)
    if form.validate_on_submit():
        try:
            item = section.save(current_user, conference, **_item_values(form, section, conference))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("“%(name)s” has been added.", name=_label(item)), "success")
            return redirect(url_for(f"organizers.{section.name}", slug=conference.slug))
    items = db.session.scalars(
        sa.select(section.model).filter_by(conference_id=conference.id).order_by(*section.order)
    ).all()
    return render_form(
        f"organizers/{section.name}.html",
        form,
        conference=conference,
        items=items,
        question_kinds=QUESTION_KIND_LABELS,
        panels=_panels(conference, section, form),
        category_names=_category_names(conference) if section.name == "questions" else {},
        **_speaker_extras(section, conference),
    )


def _edit(conference: Conference, section: Section, item_id: int):
    item = _item_or_404(conference, section, item_id)
    form = _section_form(conference, section)(
        obj=item, **initial_texts(item, section.model.translated_fields, conference.main_language)
    )
    if request.method == "GET" and section.name == "questions":
        form.choices.data = "\n".join(item.choices or [])
    _offer_categories(conference, section, form)
    if form.validate_on_submit():
        try:
            section.save(current_user, conference, item, **_item_values(form, section, conference))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("“%(name)s” has been saved.", name=_label(item)), "success")
            return redirect(url_for(f"organizers.{section.name}", slug=conference.slug))
    return render_form(
        "organizers/item_edit.html",
        form,
        conference=conference,
        item=item,
        section=section.name,
        photo_form=PhotoForm(formdata=None) if section.name == "speakers" else None,
        panels=_panels(conference, section, form),
        **_speaker_extras(section, conference, item),
    )


def _delete(conference: Conference, section: Section, item_id: int):
    item = _item_or_404(conference, section, item_id)
    label = _label(item)
    try:
        section.delete(current_user, conference, item)
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash(_("“%(name)s” has been deleted.", name=label), "success")
    return redirect(url_for(f"organizers.{section.name}", slug=conference.slug))


def _category_names(conference: Conference) -> dict[int, str]:
    return {category.id: category.name for category in access.categories(conference.id)}


def _offer_categories(conference: Conference, section: Section, form) -> None:
    """A question is asked of everyone or of one of the conference's categories."""
    if section.name == "questions":
        form.category_id.choices = [
            SelectChoice("", _("Everyone")),
            *(SelectChoice(key, name) for key, name in _category_names(conference).items()),
        ]


def _item_or_404(conference: Conference, section: Section, item_id: int):
    """The item, only if it belongs to this conference: ids of other conferences are 404."""
    item = db.session.get(section.model, item_id)
    if item is None or item.conference_id != conference.id:
        abort(404)
    return item


def _item_values(form, section: Section, conference: Conference) -> dict:
    values = {field: form[field].data for field in section.fields if field != "translations"}
    if section.name == "questions":
        values["choices"] = (form.choices.data or "").splitlines()
    values["translations"] = submitted_texts(
        form, section.model.translated_fields, conference.main_language
    )
    return values


def _section_form(conference: Conference, section: Section) -> type:
    """The section's form with the texts in each of the conference's other languages."""
    return with_languages(section.form, section.model.translated_fields, conference.main_language)


def _panels(conference: Conference, section: Section, form) -> list:
    return language_panels(form, section.model.translated_fields, conference.main_language)


def _label(item) -> str:
    return getattr(item, "name", None) or getattr(item, "label", "")
