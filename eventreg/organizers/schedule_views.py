"""Editing the programme: sessions, their place in the schedule, and the overview grid.

Handlers load, let ``auth`` check the role, turn the form into the proposed fields and call
``eventreg.schedule``: its planner says what a change does and whom it tells, its services
apply it (one transaction with the audit entry). A change that tells people is shown first
(what changes, who is told, "Save and notify N people"); one that tells nobody is saved at
once. Refusals come back as ``Invalid`` and are shown next to their fields.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Room, Speaker, Talk
from eventreg.conferences.rules import content_languages
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.timeutil import (
    clock_span,
    format_clock_with_offset,
    format_day,
    instants_on_clock,
)
from eventreg.organizers.account_views import render_form, show_errors
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import SESSION_KIND_LABELS, SessionForm
from eventreg.organizers.translation_forms import (
    initial_texts,
    language_name,
    language_panels,
    submitted_texts,
    with_languages,
)
from eventreg.schedule import changes, conflicts, speaker_portal
from eventreg.schedule import services as schedule
from eventreg.schedule.grid import SessionCard, build_days

# The schedule's field names where the form calls them differently.
FORM_FIELDS = {"start_at": "start", "end_at": "end"}


@bp.get("/c/<slug>/sessions")
@conference_view("organizer")
def sessions(conference: Conference):
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id)
        .options(selectinload(Talk.speakers), selectinload(Talk.room))
        .order_by(Talk.start_at.is_(None), Talk.start_at, Talk.id)
    ).all()
    return render_template(
        "organizers/sessions.html", conference=conference, talks=talks, kinds=SESSION_KIND_LABELS
    )


@bp.route("/c/<slug>/sessions/new", methods=["GET", "POST"])
@conference_view("organizer")
def new_session(conference: Conference):
    form = _session_form(conference)
    if request.method == "GET":
        form.track_id.data, form.room_id.data, form.day.data = 0, 0, ""
    elif form.validate_on_submit() and (proposal := _proposal(conference, form)) is not None:
        plan = changes.plan_create(conference, proposal)
        if _confirmed(plan):
            try:
                saved = schedule.create_session(current_user, conference, proposal)
            except Invalid as refused:
                _show_refusal(form, refused)
            else:
                flash(_("“%(title)s” has been added.", title=saved.talk.title), "success")
                return redirect(url_for("organizers.sessions", slug=conference.slug))
        elif plan.refused:
            _show_refusal(form, plan.refusal())
        else:
            return _preview(form, conference, None, plan)
    _offer_occurrences(form, conference)
    return render_form(
        "organizers/session_form.html",
        form,
        conference=conference,
        talk=None,
        panels=_panels(form, conference),
    )


@bp.route("/c/<slug>/sessions/<id:talk_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_session(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    form = _session_form(conference)
    if request.method == "GET":
        _fill(form, conference, talk)
    elif form.validate_on_submit() and (proposal := _proposal(conference, form)) is not None:
        plan = changes.plan_update(talk, proposal)
        if _confirmed(plan):
            try:
                saved = schedule.update_session(current_user, talk, proposal)
            except Invalid as refused:
                _show_refusal(form, refused)
            else:
                flash(
                    ngettext(
                        "“%(title)s” has been saved; %(num)d person has been notified.",
                        "“%(title)s” has been saved; %(num)d people have been notified.",
                        saved.notified,
                        title=saved.talk.title,
                    ),
                    "success",
                )
                return redirect(url_for("organizers.sessions", slug=conference.slug))
        elif plan.refused:
            _show_refusal(form, plan.refusal())
        else:
            return _preview(form, conference, talk, plan)
    talk = db.session.get(Talk, talk_id)
    _offer_occurrences(form, conference)
    return render_form(
        "organizers/session_form.html",
        form,
        conference=conference,
        talk=talk,
        panels=_panels(form, conference),
        answers=speaker_portal.responses_to(talk),
    )


@bp.route("/c/<slug>/sessions/<id:talk_id>/cancel", methods=["GET", "POST"])
@conference_view("organizer")
def cancel_session(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    if request.method == "GET":
        return render_template(
            "organizers/session_cancel.html",
            conference=conference,
            talk=talk,
            plan=changes.plan_cancel(talk),
        )
    if talk.cancelled:
        flash(_("“%(title)s” was already cancelled.", title=talk.title), "info")
        return redirect(url_for("organizers.sessions", slug=conference.slug))
    saved = schedule.cancel_session(current_user, talk)
    flash(
        ngettext(
            "“%(title)s” is cancelled; %(num)d person has been notified.",
            "“%(title)s” is cancelled; %(num)d people have been notified.",
            saved.notified,
            title=saved.talk.title,
        ),
        "success",
    )
    return redirect(url_for("organizers.sessions", slug=conference.slug))


@bp.get("/c/<slug>/schedule")
@conference_view("organizer")
def schedule_overview(conference: Conference):
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id)
        .options(selectinload(Talk.speakers))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    live = [talk for talk in talks if talk.scheduled and not talk.cancelled]
    clashes = conflicts.all_clashes(
        [
            conflicts.Slot(
                t.id, t.title, t.start_at, t.end_at, t.room_id, frozenset(s.id for s in t.speakers)
            )
            for t in live
        ]
    )
    rooms = conference.rooms
    cards = [_card(conference, talk, rooms) for talk in talks if talk.scheduled]
    return render_template(
        "organizers/schedule_overview.html",
        conference=conference,
        rooms=rooms,
        days=build_days(cards, [room.id for room in rooms]),
        clashes=clashes,
        talks_by_id={talk.id: talk for talk in talks},
        unscheduled=[talk for talk in talks if not talk.scheduled and not talk.cancelled],
    )


# --- helpers ------------------------------------------------------------------------------


def _talk_or_404(conference: Conference, talk_id: int) -> Talk:
    talk = db.session.get(Talk, talk_id)
    if talk is None or talk.conference_id != conference.id:
        abort(404)
    return talk


def _conference_days(conference: Conference) -> list[date]:
    span = (conference.end_date - conference.start_date).days
    return [conference.start_date + timedelta(days=n) for n in range(span + 1)]


def _session_form(conference: Conference) -> SessionForm:
    form = with_languages(SessionForm, Talk.translated_fields, conference.main_language)()
    form.languages.choices = [
        (language, language_name(language)) for language in content_languages()
    ]
    form.title.flags.required = True  # the schedule refuses a session without one
    form.track_id.choices = [(0, _("No track"))] + [(t.id, t.name) for t in conference.tracks]
    form.room_id.choices = [(0, _("No room (concerns everyone)"))] + [
        (room.id, room.name) for room in conference.rooms
    ]
    speakers = db.session.scalars(
        sa.select(Speaker).filter_by(conference_id=conference.id).order_by(Speaker.name)
    ).all()
    form.speaker_ids.choices = [(s.id, s.name) for s in speakers]
    form.day.choices = [("", _("Not scheduled yet"))] + [
        (day.isoformat(), format_day(day)) for day in _conference_days(conference)
    ]
    return form


def _fill(form: SessionForm, conference: Conference, talk: Talk) -> None:
    tz = conference.tz
    form.title.data, form.abstract.data, form.kind.data = talk.title, talk.abstract, talk.kind
    form.track_id.data = talk.track_id or 0
    form.room_id.data = talk.room_id or 0
    form.speaker_ids.data = [speaker.id for speaker in talk.speakers]
    form.capacity.data = talk.capacity
    form.online_url.data = talk.online_url
    form.languages.data = list(talk.languages or [])
    form.interpretation.data = bool(talk.interpretation)
    for name, text in initial_texts(talk, Talk.translated_fields, conference.main_language).items():
        form[name].data = text
    if talk.scheduled:
        start, end = talk.start_at.astimezone(tz), talk.end_at.astimezone(tz)
        form.day.data = start.date().isoformat()
        form.start.data, form.end.data = start.time(), end.time()
        # Which reading of a clock shown twice that night (ignored on any other night).
        form.start_occurrence.data = changes.SECOND if start.fold else changes.FIRST
        form.end_occurrence.data = changes.SECOND if end.fold else changes.FIRST
    else:
        form.day.data = ""


def _proposal(conference: Conference, form: SessionForm) -> changes.SessionFields | None:
    """The submission in the schedule's terms; None (with errors on the form) when the
    day and the times do not go together."""
    start_at = end_at = None
    if form.day.data:
        if form.start.data is None and form.end.data is None:
            form.start.errors = [_("A scheduled session needs a start and an end time.")]
            return None
        try:
            start_at, end_at = changes.session_times(
                conference.tz,
                date.fromisoformat(form.day.data),
                form.start.data,
                form.end.data,
                form.start_occurrence.data,
                form.end_occurrence.data,
            )
        except Invalid as refused:  # a time the clocks skip, or show twice
            _show_refusal(form, refused)
            return None
    elif form.start.data is not None or form.end.data is not None:
        form.day.errors = [_("Choose the day of the session as well as its times.")]
        return None
    return changes.SessionFields(
        title=form.title.data or "",
        abstract=form.abstract.data or "",
        kind=form.kind.data,
        track_id=form.track_id.data or None,
        room_id=form.room_id.data or None,
        speaker_ids=form.speaker_ids.data or [],
        capacity=form.capacity.data,
        online_url=form.online_url.data or "",
        start_at=start_at,
        end_at=end_at,
        translations=submitted_texts(form, Talk.translated_fields, conference.main_language),
        languages=form.languages.data or [],
        interpretation=bool(form.interpretation.data),
    )


def _confirmed(plan: changes.SessionPlan) -> bool:
    """Whether to save now: nothing to tell anyone, or the organizer has seen whom the
    change tells (and it still tells as many)."""
    if plan.refused:
        return False
    return plan.notified == 0 or request.form.get("notify") == str(plan.notified)


def _offer_occurrences(form: SessionForm, conference: Conference) -> None:
    """Offer the two readings of a time the conference's clocks show twice that day."""
    day = _day_or_none(form.day.data or "")
    for clock, choice in ((form.start, form.start_occurrence), (form.end, form.end_occurrence)):
        if day is None or clock.data is None:
            continue
        found = instants_on_clock(day, clock.data, conference.tz)
        if len(found) == 2:
            choice.choices = [
                (changes.FIRST, format_clock_with_offset(found[0], conference.tz)),
                (changes.SECOND, format_clock_with_offset(found[1], conference.tz)),
            ]


def _day_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _preview(form: SessionForm, conference: Conference, talk: Talk | None, plan):
    _offer_occurrences(form, conference)
    return render_template(
        "organizers/session_form.html",
        form=form,
        conference=conference,
        talk=talk,
        plan=plan,
        panels=_panels(form, conference),
    )


def _panels(form: SessionForm, conference: Conference) -> list:
    return language_panels(form, Talk.translated_fields, conference.main_language)


def _show_refusal(form: SessionForm, refused: Invalid) -> None:
    show_errors(
        form, Invalid({FORM_FIELDS.get(name, name): text for name, text in refused.errors.items()})
    )


def _card(conference: Conference, talk: Talk, rooms: list[Room]) -> SessionCard:
    tz = conference.tz
    start_label, end_label, time_label = clock_span(talk.start_at, talk.end_at, tz)
    positions = {room.id: room.position for room in rooms}
    names = {room.id: room.name for room in rooms}
    return SessionCard(
        id=talk.id,
        title=talk.title,
        kind=talk.kind,
        cancelled=talk.cancelled,
        url=url_for("organizers.edit_session", slug=conference.slug, talk_id=talk.id),
        start=talk.start_at,
        end=talk.end_at,
        day=talk.start_at.astimezone(tz).date(),
        start_label=start_label,
        end_label=end_label,
        time_label=time_label,
        room_id=talk.room_id,
        room=names.get(talk.room_id, ""),
        room_position=positions.get(talk.room_id, -1),
        track_id=talk.track_id,
        track=talk.track.name if talk.track else "",
        speakers=", ".join(speaker.name for speaker in talk.speakers),
    )
