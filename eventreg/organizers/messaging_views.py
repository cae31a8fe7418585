"""Writing to attendees from the workspace, and following each message's delivery."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventreg.conferences.models import Conference, Talk
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.ids import row_id
from eventreg.organizers.account_views import render_form, show_errors
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import BroadcastForm
from eventreg.organizers.translation_forms import (
    language_panels,
    submitted_texts,
    with_languages,
)
from eventreg.registration import broadcasts as messaging
from eventreg.registration.models import Broadcast


@bp.route("/c/<slug>/messages", methods=["GET", "POST"])
@conference_view("organizer")
def messages(conference: Conference):
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id, status="scheduled")
        .where(Talk.start_at.is_not(None))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    main = conference.main_language
    form = with_languages(BroadcastForm, Broadcast.translated_fields, main)()
    form.talk_id.choices = [(0, _("All confirmed attendees"))] + [
        (talk.id, _("Seat holders of “%(title)s”", title=talk.title)) for talk in talks
    ]
    if request.method == "GET":
        form.talk_id.data = request.args.get("session", 0, type=row_id)
    if form.validate_on_submit():
        talk = db.session.get(Talk, form.talk_id.data) if form.talk_id.data else None
        try:
            broadcast = messaging.send_broadcast(
                current_user,
                conference,
                subject=form.subject.data,
                body=form.body.data,
                talk=talk,
                translations=submitted_texts(form, Broadcast.translated_fields, main),
            )
        except Invalid as error:
            show_errors(form, error)
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
    sent = db.session.scalars(
        sa.select(Broadcast)
        .filter_by(conference_id=conference.id)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
    ).all()
    return render_form(
        "organizers/messages.html",
        form,
        conference=conference,
        sent=sent,
        states=messaging.delivery_states([broadcast.id for broadcast in sent]),
        panels=language_panels(form, Broadcast.translated_fields, main),
    )


@bp.get("/c/<slug>/messages/<id:broadcast_id>")
@conference_view("organizer")
def message_detail(conference: Conference, broadcast_id: int):
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.conference_id != conference.id:
        abort(404)
    return render_template(
        "organizers/message_detail.html",
        conference=conference,
        broadcast=broadcast,
        state=messaging.delivery_states([broadcast.id])[broadcast.id],
        copies=messaging.copies(broadcast),
    )
