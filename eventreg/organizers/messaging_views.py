"""Writing to attendees from the workspace, and following each message's delivery.

A message goes write → (preview, test send) → confirm → send. Nothing is stored before the
last step: each page carries what was written in its form, and every step checks it again.

    GET  /c/<slug>/messages                  the form and the messages sent or scheduled
    POST /c/<slug>/messages                  the confirmation; with confirmed=yes, send
    POST /c/<slug>/messages/edit             back to the form, as written
    POST /c/<slug>/messages/preview          what a chosen recipient gets
    POST /c/<slug>/messages/preview/html     that copy's HTML alone (shown in a frame)
    POST /c/<slug>/messages/test             the copy sent to oneself
    POST /c/<slug>/messages/cancel           a scheduled message cancelled (broadcast_id)
"""

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventreg.conferences.models import Conference, Talk
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.ids import row_id
from eventreg.core.translations import text_in
from eventreg.organizers.account_views import show_errors
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import BroadcastForm
from eventreg.organizers.translation_forms import (
    language_name,
    language_panels,
    submitted_texts,
    with_languages,
)
from eventreg.registration import access
from eventreg.registration import broadcasts as messaging
from eventreg.registration.models import Broadcast, RegistrationCategory

# The preview's recipient list stops here; the first of each language is always offered.
MAX_LISTED = 500
# The HTML copy is shown in a frame of its own: its inline styles and images, nothing else.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'; sandbox"
)


def _talks(conference: Conference) -> list[Talk]:
    return list(
        db.session.scalars(
            sa.select(Talk)
            .filter_by(conference_id=conference.id, status="scheduled")
            .where(Talk.start_at.is_not(None))
            .order_by(Talk.start_at, Talk.id)
        )
    )


def audience_labels(conference: Conference, talks: list[Talk]) -> list[tuple[str, str]]:
    """The audiences as (value, label), each with how many it reaches now; a category's
    as ``category:<id>``, a session's as ``session:<id>``."""
    counts = messaging.audience_counts(conference)

    def reach(label: str, key: str) -> str:
        number = counts.get(key, 0)
        return label + " · " + ngettext("%(num)d person", "%(num)d people", number)

    choices = [
        ("all", reach(_("All confirmed attendees"), "all")),
        ("not_checked_in", reach(_("Confirmed attendees not checked in yet"), "not_checked_in")),
        ("waiting", reach(_("The waiting list"), "waiting")),
        ("pending", reach(_("Registrations waiting for approval"), "pending")),
        ("speakers", reach(_("The speakers"), "speakers")),
    ]
    choices += [
        (
            f"category:{category.id}",
            reach(
                _("Confirmed attendees of the category “%(name)s”", name=text_in(category, "name")),
                f"category:{category.id}",
            ),
        )
        for category in access.categories(conference.id)
    ]
    choices += [
        (
            f"session:{talk.id}",
            reach(_("Seat holders of “%(title)s”", title=talk.title), f"session:{talk.id}"),
        )
        for talk in talks
    ]
    return choices


def _form(conference: Conference) -> tuple[Any, list[Talk]]:
    talks = _talks(conference)
    form_class = with_languages(
        BroadcastForm, Broadcast.translated_fields, conference.main_language
    )
    form = form_class()
    form.audience.choices = audience_labels(conference, talks)
    return form, talks


def _draft(conference: Conference, form: Any) -> messaging.Draft:
    """The submitted message checked by the service; Invalid names what is wrong."""
    if not form.validate_on_submit():
        raise Invalid({})
    audience, _sep, ref = (form.audience.data or "").partition(":")
    ref_id = row_id(ref) if ref.isdigit() else None
    talk = db.session.get(Talk, ref_id) if audience == "session" and ref_id else None
    category = (
        db.session.get(RegistrationCategory, ref_id) if audience == "category" and ref_id else None
    )
    return messaging.check_draft(
        conference,
        subject=form.subject.data,
        body=form.body.data,
        audience=audience,
        talk=talk,
        category=category,
        translations=submitted_texts(form, Broadcast.translated_fields, conference.main_language),
        send_at=form.send_at.data,
    )


def _carried() -> list[tuple[str, str]]:
    """What was written, to carry as hidden fields to the next step."""
    skip = {"csrf_token", "confirmed", "recipient"}
    return [(key, value) for key, value in request.form.items(multi=True) if key not in skip]


def _compose_page(conference: Conference, form: Any, status: int = 200):
    sent = db.session.scalars(
        sa.select(Broadcast)
        .filter_by(conference_id=conference.id)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
    ).all()
    page = render_template(
        "organizers/messages.html",
        form=form,
        conference=conference,
        sent=sent,
        category_names=category_names(conference),
        states=messaging.delivery_states([broadcast.id for broadcast in sent]),
        panels=language_panels(form, Broadcast.translated_fields, conference.main_language),
        local_time=lambda moment: moment.astimezone(conference.tz).strftime("%Y-%m-%d %H:%M"),
    )
    return page, status


def _refused(conference: Conference, form: Any, error: Invalid):
    show_errors(form, error)
    return _compose_page(conference, form, 400)


@bp.route("/c/<slug>/messages", methods=["GET", "POST"])
@conference_view("organizer")
def messages(conference: Conference):
    form, _talks_listed = _form(conference)
    if request.method == "GET":
        session_id = request.args.get("session", 0, type=row_id)
        category_id = request.args.get("category", 0, type=row_id)
        if session_id:
            form.audience.data = f"session:{session_id}"
        elif category_id:
            form.audience.data = f"category:{category_id}"
        return _compose_page(conference, form)
    try:
        draft = _draft(conference, form)
        people = messaging.members(conference, draft.audience, draft.talk, draft.category)
        if not people:
            raise Invalid.about(_("Nobody would receive this message: there is no such attendee."))
        if request.form.get("confirmed") != "yes":
            return render_template(
                "organizers/message_confirm.html",
                conference=conference,
                draft=draft,
                audience=dict(form.audience.choices)[form.audience.data],
                count=len(people),
                carried=_carried(),
                when=_when(conference, draft),
            )
        broadcast = messaging.send_broadcast(
            current_user,
            conference,
            subject=draft.subject,
            body=draft.body,
            talk=draft.talk,
            translations=draft.translations,
            audience=draft.audience,
            send_at=draft.send_at,
            category=draft.category,
        )
    except Invalid as error:
        return _refused(conference, form, error)
    if broadcast.status == "scheduled":
        flash(
            ngettext(
                "The message is scheduled for %(when)s, to %(num)d person.",
                "The message is scheduled for %(when)s, to %(num)d people.",
                broadcast.recipient_count,
                when=_when(conference, draft),
            ),
            "success",
        )
    else:
        flash(
            ngettext(
                "The message is queued for %(num)d person.",
                "The message is queued for %(num)d people.",
                broadcast.recipient_count,
            ),
            "success",
        )
    return redirect(url_for("organizers.messages", slug=conference.slug))


def _when(conference: Conference, draft: messaging.Draft) -> str:
    if draft.send_at is None:
        return ""
    local = draft.send_at.astimezone(conference.tz).strftime("%Y-%m-%d %H:%M")
    return f"{local} ({conference.tz.key})"


@bp.post("/c/<slug>/messages/edit")
@conference_view("organizer")
def message_edit(conference: Conference):
    form, _talks_listed = _form(conference)
    form.validate()  # shows what is wrong, if anything, next to its field
    return _compose_page(conference, form)


def _preview_of(conference: Conference, form: Any):
    """The draft, its audience, the chosen recipient and their copy."""
    draft = _draft(conference, form)
    people = messaging.members(conference, draft.audience, draft.talk, draft.category)
    if not people:
        raise Invalid.about(_("Nobody would receive this message: there is no such attendee."))
    chosen = next((m for m in people if m.key == (form.recipient.data or "")), people[0])
    return draft, people, chosen, messaging.preview(conference, draft, chosen)


def _listed(people: list[messaging.Member], chosen: messaging.Member) -> list[messaging.Member]:
    listed = people[:MAX_LISTED]
    seen = {member.language for member in listed}
    for member in people[MAX_LISTED:]:
        if member.language not in seen or member == chosen:
            listed.append(member)
            seen.add(member.language)
    return listed


@bp.post("/c/<slug>/messages/preview")
@conference_view("organizer")
def message_preview(conference: Conference):
    form, _talks_listed = _form(conference)
    try:
        draft, people, chosen, copy = _preview_of(conference, form)
    except Invalid as error:
        return _refused(conference, form, error)
    return _preview_page(conference, form, draft, people, chosen, copy)


def _preview_page(conference, form, draft, people, chosen, copy):
    return render_template(
        "organizers/message_preview.html",
        conference=conference,
        draft=draft,
        copy=copy,
        chosen=chosen,
        people=_listed(people, chosen),
        total=len(people),
        audience=dict(form.audience.choices)[form.audience.data],
        carried=_carried(),
        language_name=language_name,
        when=_when(conference, draft),
    )


@bp.post("/c/<slug>/messages/preview/html")
@conference_view("organizer")
def message_preview_html(conference: Conference):
    form, _talks_listed = _form(conference)
    try:
        copy = _preview_of(conference, form)[3]
    except Invalid as error:
        return make_response(error.message or _("The message cannot be shown."), 400)
    response = make_response(copy.html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/c/<slug>/messages/test")
@conference_view("organizer")
def message_test(conference: Conference):
    form, _talks_listed = _form(conference)
    try:
        draft, people, chosen, copy = _preview_of(conference, form)
        messaging.send_test(current_user, conference, draft, chosen)
    except Invalid as error:
        return _refused(conference, form, error)
    flash(
        _(
            "A test copy, as %(name)s gets it, is on its way to %(address)s.",
            name=chosen.name,
            address=current_user.email,
        ),
        "success",
    )
    return _preview_page(conference, form, draft, people, chosen, copy)


@bp.post("/c/<slug>/messages/cancel")
@conference_view("organizer")
def message_cancel(conference: Conference):
    broadcast_id = request.form.get("broadcast_id", type=row_id)
    if not broadcast_id:
        abort(400)
    broadcast = _broadcast(conference, broadcast_id)
    try:
        removed = messaging.cancel_scheduled(current_user, broadcast)
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash(
            ngettext(
                "The scheduled message is cancelled; %(num)d copy will not be sent.",
                "The scheduled message is cancelled; %(num)d copies will not be sent.",
                removed,
            ),
            "success",
        )
    return redirect(url_for("organizers.messages", slug=conference.slug))


def _broadcast(conference: Conference, broadcast_id: int) -> Broadcast:
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.conference_id != conference.id:
        abort(404)
    return broadcast


@bp.get("/c/<slug>/messages/<id:broadcast_id>")
@conference_view("organizer")
def message_detail(conference: Conference, broadcast_id: int):
    broadcast = _broadcast(conference, broadcast_id)
    return render_template(
        "organizers/message_detail.html",
        conference=conference,
        broadcast=broadcast,
        state=messaging.delivery_states([broadcast.id])[broadcast.id],
        copies=messaging.copies(broadcast),
        category_names=category_names(conference),
        skipped_error=messaging.SKIPPED_ERROR,
        local_time=lambda moment: moment.astimezone(conference.tz).strftime("%Y-%m-%d %H:%M"),
    )


def category_names(conference: Conference) -> dict[int, str]:
    """The conference's categories by id, named in the reader's language, for saying whom
    a broadcast went to."""
    return {
        category.id: str(text_in(category, "name")) for category in access.categories(conference.id)
    }
