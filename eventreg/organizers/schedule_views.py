"""Editing the programme: sessions, their place in the schedule, and the overview grid.

Handlers load, let ``auth`` check the role, call ``eventreg.schedule.services`` (the one
write path, which checks conflicts and notifies attendees and speakers) and log the change.
A change people's calendars show is saved only after the organizer has seen how many
people it notifies.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.core.extensions import db
from eventreg.core.timeutil import clock_span, format_day, local_instant
from eventreg.organizers.account_views import render_form
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.organizers.forms import SESSION_KIND_LABELS, SessionForm
from eventreg.schedule import changes as sessions_ops
from eventreg.schedule import conflicts
from eventreg.schedule import services as schedule
from eventreg.schedule.grid import SessionCard, build_days

# Changes that reach people's calendars, so the organizer confirms them first.
NOTIFYING = ("start_at", "room", "title", "abstract", "speakers")


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
    if form.validate_on_submit() and (values := _form_values(conference, form)) is not None:
        try:
            talk = sessions_ops.create_session(
                current_user,
                conference,
                title=values["title"],
                abstract=values["abstract"],
                kind=values["kind"],
                track=values["track"],
                speakers=values["speakers"],
                capacity=values["capacity"],
                start_at=values["start_at"],
                end_at=values["end_at"],
                room=values["room"],
            )
        except schedule.ScheduleError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("“%(title)s” has been added.", title=talk.title), "success")
            return redirect(url_for("organizers.sessions", slug=conference.slug))
    return render_form(
        "organizers/session_form.html", form, conference=conference, talk=None, notify_count=None
    )


@bp.route("/c/<slug>/sessions/<int:talk_id>", methods=["GET", "POST"])
@conference_view("organizer")
def edit_session(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    form = _session_form(conference)
    if request.method == "GET":
        _fill(form, conference, talk)
    notify_count = None
    if talk.cancelled:
        if request.method == "POST":
            form.validate_on_submit()
            form.form_errors.append(_("A cancelled session cannot be changed."))
    elif form.validate_on_submit() and (values := _form_values(conference, form)) is not None:
        try:
            changes = _changes(talk, values)
            if any(key in changes for key in NOTIFYING) and request.form.get("confirmed") != "yes":
                # Show who will be told before anything is saved (the edit is undone).
                notify_count = schedule.count_update_recipients(talk, **changes)
            else:
                return _save(conference, talk, changes, values["capacity"])
        except schedule.ScheduleError as error:
            form.form_errors.append(str(error))
    talk = db.session.get(Talk, talk_id)
    if notify_count is not None:
        return render_template(
            "organizers/session_form.html",
            form=form,
            conference=conference,
            talk=talk,
            notify_count=notify_count,
        )
    return render_form(
        "organizers/session_form.html", form, conference=conference, talk=talk, notify_count=None
    )


@bp.route("/c/<slug>/sessions/<int:talk_id>/cancel", methods=["GET", "POST"])
@conference_view("organizer")
def cancel_session(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    if request.method == "GET":
        notify_count = 0 if talk.cancelled else schedule.count_cancel_recipients(talk)
        talk = db.session.get(Talk, talk_id)
        return render_template(
            "organizers/session_cancel.html",
            conference=conference,
            talk=talk,
            notify_count=notify_count,
        )
    if talk.cancelled:
        flash(_("“%(title)s” was already cancelled.", title=talk.title), "info")
        return redirect(url_for("organizers.sessions", slug=conference.slug))
    notified = sessions_ops.cancel_session(current_user, conference, talk)
    talk = db.session.get(Talk, talk_id)
    flash(
        ngettext(
            "“%(title)s” is cancelled; %(num)d person has been notified.",
            "“%(title)s” is cancelled; %(num)d people have been notified.",
            notified,
            title=talk.title,
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
    form = SessionForm()
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
    if talk.scheduled:
        form.day.data = talk.start_at.astimezone(tz).date().isoformat()
        form.start.data = talk.start_at.astimezone(tz).time()
        form.end.data = talk.end_at.astimezone(tz).time()
    else:
        form.day.data = ""


def _form_values(conference: Conference, form: SessionForm) -> dict | None:
    """The submission as the schedule service takes it; None (with errors on the form)
    when the day and times do not go together."""
    tz = conference.tz
    start_at = end_at = None
    if form.day.data:
        if form.start.data is None or form.end.data is None:
            form.form_errors.append(_("A scheduled session needs a start and an end time."))
            return None
        day = date.fromisoformat(form.day.data)
        start_at = local_instant(day, form.start.data, tz)
        end_at = local_instant(day, form.end.data, tz)
    elif form.start.data is not None or form.end.data is not None:
        form.form_errors.append(_("Choose the day of the session as well as its times."))
        return None
    return {
        "title": form.title.data.strip(),
        "abstract": form.abstract.data or "",
        "kind": form.kind.data,
        "track": db.session.get(Track, form.track_id.data) if form.track_id.data else None,
        "room": db.session.get(Room, form.room_id.data) if form.room_id.data else None,
        "speakers": list(
            db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(form.speaker_ids.data)))
        ),
        "capacity": form.capacity.data,
        "start_at": start_at,
        "end_at": end_at,
    }


def _changes(talk: Talk, values: dict) -> dict:
    """Only what differs from the session as it is, in ``update_talk``'s terms."""
    changes = {}
    if (values["start_at"], values["end_at"]) != (talk.start_at, talk.end_at):
        if values["start_at"] is None:
            _refuse_unscheduling()
        changes["start_at"], changes["end_at"] = values["start_at"], values["end_at"]
    room_id = values["room"].id if values["room"] else None
    if room_id != talk.room_id:
        changes["room"] = values["room"]
    for field in ("title", "abstract", "kind"):
        if values[field] != getattr(talk, field):
            changes[field] = values[field]
    track_id = values["track"].id if values["track"] else None
    if track_id != talk.track_id:
        changes["track"] = values["track"]
    if {s.id for s in values["speakers"]} != {s.id for s in talk.speakers}:
        changes["speakers"] = values["speakers"]
    return changes


def _refuse_unscheduling():
    raise schedule.ScheduleError(
        _("A scheduled session cannot be taken off the schedule; cancel it instead.")
    )


def _save(conference: Conference, talk: Talk, changes: dict, capacity):
    saved = sessions_ops.update_session(current_user, conference, talk, changes, capacity)
    talk, notified = saved.talk, saved.notified
    flash(
        ngettext(
            "“%(title)s” has been saved; %(num)d person has been notified.",
            "“%(title)s” has been saved; %(num)d people have been notified.",
            notified,
            title=talk.title,
        ),
        "success",
    )
    return redirect(url_for("organizers.sessions", slug=conference.slug))


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
