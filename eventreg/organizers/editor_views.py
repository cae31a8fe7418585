"""The schedule editor: a grid of rooms against time, its small JSON endpoints, and the draft.

The page lists every session with its place (the draft's where it has one) and a form per
session; ``schedule-editor.js`` turns it into a grid where sessions are dragged, resized
and moved with the keyboard. While dragging it asks ``check`` (a dry-run plan); a drop
posts ``place``, which applies at once before the conference is published and otherwise
goes to the draft, reviewed and released on the draft page.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Talk
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.schedule import drafts
from eventreg.schedule.changes import SessionPlan, session_times

# The grid's default hours (extended to fit every session), and its steps in minutes.
DAY_FROM, DAY_TO = 8 * 60, 20 * 60
SNAP, STEP = 5, 15


@dataclass(frozen=True)
class Card:
    """A session as the editor shows it: its place on the conference's clock."""

    talk: Talk
    day: date | None
    start: int | None  # minutes after local midnight
    end: int | None
    room_id: int | None
    drafted: bool
    cancel: bool

    @property
    def clock(self) -> str:
        if self.start is None or self.end is None:
            return ""
        return f"{_hhmm(self.start)}–{_hhmm(self.end)}"


@bp.get("/c/<slug>/schedule/editor")
@conference_view("organizer")
def schedule_editor(conference: Conference):
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id)
        .where(Talk.status == "scheduled")
        .options(selectinload(Talk.speakers))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    rows = {row.talk_id: row for row in drafts.draft_rows(conference)}
    cards = [_card(conference, talk, rows.get(talk.id)) for talk in talks]
    placed = [card for card in cards if card.start is not None]
    first = min([DAY_FROM] + [c.start for c in placed if c.start is not None])
    last = max([DAY_TO] + [c.end for c in placed if c.end is not None])
    days = _days(conference)
    return render_template(
        "organizers/schedule_editor.html",
        conference=conference,
        rooms=conference.rooms,
        days=days,
        cards=placed,
        tray=[card for card in cards if card.start is None],
        day_from=first // 60 * 60,
        day_to=min(24 * 60 - SNAP, -(-last // 60) * 60),
        snap=SNAP,
        step=STEP,
        drafted=len(rows),
        hhmm=_hhmm,
    )


@bp.get("/c/<slug>/schedule/editor/check")
@conference_view("organizer")
def check_place(conference: Conference):
    talk_id = request.args.get("talk", type=int)
    if talk_id is None:
        return _refused(Invalid.about(_("Say which session to check."), "talk"), 422)
    talk = _talk_or_404(conference, talk_id)
    try:
        place = _place(conference, request.args)
    except Invalid as refused:
        return _refused(refused, 422)
    return jsonify(_plan_json(drafts.check_place(talk, place)))


@bp.post("/c/<slug>/schedule/editor/sessions/<id:talk_id>/place")
@conference_view("organizer")
def save_place(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    as_json = request.is_json
    values = request.get_json(silent=True) if as_json else request.form
    if not isinstance(values, dict) and as_json:
        return _refused(Invalid.about(_("Send the place as a JSON object.")), 400)
    try:
        saved = drafts.save_place(current_user, talk, _place(conference, values))
    except Invalid as refused:
        if as_json:
            return _refused(refused, 409 if isinstance(refused, Conflict) else 422)
        flash(refused.message, "error")
        return redirect(url_for("organizers.schedule_editor", slug=conference.slug))
    message = _saved_message(talk, saved)
    if as_json:
        return jsonify(
            {
                **_plan_json(saved.plan),
                "applied": saved.applied,
                "drafted": saved.drafted,
                "drafted_label": ngettext("%(num)d change", "%(num)d changes", saved.drafted),
                "message": message,
            }
        )
    flash(message, "success")
    return redirect(url_for("organizers.schedule_editor", slug=conference.slug))


@bp.post("/c/<slug>/schedule/editor/sessions/<id:talk_id>/cancel")
@conference_view("organizer")
def draft_cancel(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    if not conference.published:
        return redirect(url_for("organizers.cancel_session", slug=conference.slug, talk_id=talk_id))
    try:
        drafts.draft_cancel(current_user, talk)
    except Invalid as refused:
        flash(refused.message, "error")
    else:
        flash(
            _("“%(title)s” will be cancelled when you release the draft.", title=talk.title),
            "success",
        )
    return redirect(url_for("organizers.schedule_draft", slug=conference.slug))


@bp.get("/c/<slug>/schedule/draft")
@conference_view("organizer")
def schedule_draft(conference: Conference):
    changes = drafts.draft_changes(conference)
    groups = [
        (kind, label, [change for change in changes if change.kind == kind])
        for kind, label in (
            (drafts.MOVED, _("Moved")),
            (drafts.SCHEDULED, _("Newly scheduled")),
            (drafts.TRAY, _("Back to the tray")),
            (drafts.CANCELLED, _("Cancelled")),
        )
    ]
    return render_template(
        "organizers/schedule_draft.html",
        conference=conference,
        changes=changes,
        groups=[group for group in groups if group[2]],
        recipients=drafts.draft_recipients(changes),
        refused=any(change.plan.refused for change in changes),
    )


@bp.post("/c/<slug>/schedule/draft/release")
@conference_view("organizer")
def release_draft(conference: Conference):
    return _release(conference, None)


@bp.post("/c/<slug>/schedule/draft/<id:talk_id>/release")
@conference_view("organizer")
def release_one(conference: Conference, talk_id: int):
    _talk_or_404(conference, talk_id)
    return _release(conference, talk_id)


@bp.post("/c/<slug>/schedule/draft/discard")
@conference_view("organizer")
def discard_draft(conference: Conference):
    discarded = drafts.discard(current_user, conference)
    flash(
        ngettext(
            "%(num)d change has been discarded.", "%(num)d changes have been discarded.", discarded
        ),
        "success",
    )
    return redirect(url_for("organizers.schedule_draft", slug=conference.slug))


@bp.post("/c/<slug>/schedule/draft/<id:talk_id>/discard")
@conference_view("organizer")
def discard_one(conference: Conference, talk_id: int):
    talk = _talk_or_404(conference, talk_id)
    drafts.discard(current_user, conference, talk_id)
    flash(_("The draft change of “%(title)s” has been discarded.", title=talk.title), "success")
    return redirect(url_for("organizers.schedule_draft", slug=conference.slug))


# --- helpers ------------------------------------------------------------------------------


def _release(conference: Conference, talk_id: int | None):
    try:
        released = drafts.release(current_user, conference, talk_id)
    except Invalid as refused:
        flash(refused.message, "error")
    else:
        people = len(released.told | released.span_told)
        flash(
            ngettext(
                "%(num)d session has been released.",
                "%(num)d sessions have been released.",
                released.sessions,
            )
            + " "
            + ngettext(
                "%(num)d person has been notified.", "%(num)d people have been notified.", people
            ),
            "success",
        )
    return redirect(url_for("organizers.schedule_draft", slug=conference.slug))


def _talk_or_404(conference: Conference, talk_id: int | None) -> Talk:
    talk = db.session.get(Talk, talk_id) if talk_id and 0 < talk_id < 2**31 else None
    if talk is None or talk.conference_id != conference.id:
        abort(404)
    return talk


def _days(conference: Conference) -> list[date]:
    span = (conference.end_date - conference.start_date).days
    return [conference.start_date + timedelta(days=n) for n in range(span + 1)]


def _card(conference: Conference, talk: Talk, row) -> Card:
    start_at, end_at, room_id = talk.start_at, talk.end_at, talk.room_id
    if row is not None and not row.cancel:
        start_at, end_at, room_id = row.start_at, row.end_at, row.room_id
    if start_at is None or end_at is None:
        return Card(talk, None, None, None, room_id, row is not None, False)
    tz = conference.tz
    local_start, local_end = start_at.astimezone(tz), end_at.astimezone(tz)
    start = local_start.hour * 60 + local_start.minute
    end = (local_end.date() - local_start.date()).days * 24 * 60
    end += local_end.hour * 60 + local_end.minute
    return Card(
        talk,
        local_start.date(),
        start,
        min(end, 24 * 60),
        room_id,
        row is not None,
        bool(row is not None and row.cancel),
    )


def _place(conference: Conference, values) -> drafts.Place:
    """The place a request names: ``tray`` (any value) or ``day``, ``start``, ``end`` (the
    conference's clock), and ``room`` (an id, or empty for none)."""
    room = _room_id(values.get("room"))
    if values.get("tray"):
        return drafts.Place(None, None, room)
    try:
        day = date.fromisoformat(str(values.get("day", "")))
        start = _clock(values.get("start"))
        end = _clock(values.get("end"))
    except ValueError:
        raise Invalid.about(
            _("Give the day as YYYY-MM-DD and the times as HH:MM."), "start_at"
        ) from None
    if not conference.start_date <= day <= conference.end_date:
        raise Invalid.about(_("Choose one of the conference's days."), "start_at")
    start_at, end_at = session_times(conference.tz, day, start, end)
    if end == time(0) and start_at is not None and end_at is not None and end_at <= start_at:
        end_at = _midnight_after(conference, day)
    return drafts.Place(start_at, end_at, room)


def _clock(value) -> time:
    if not isinstance(value, str) or len(value) != 5:
        raise ValueError(value)
    return time.fromisoformat(value)


def _midnight_after(conference: Conference, day: date) -> datetime:
    start, _end = session_times(conference.tz, day + timedelta(days=1), time(0), None)
    assert start is not None
    return start


def _room_id(value) -> int | None:
    if value in (None, "", 0):
        return None
    try:
        room = int(value)
    except (TypeError, ValueError):
        raise Invalid.about(_("Choose one of the conference's rooms."), "room_id") from None
    if not 0 < room < 2**31:
        raise Invalid.about(_("Choose one of the conference's rooms."), "room_id")
    return room


def _plan_json(plan: SessionPlan) -> dict:
    return {
        "ok": not plan.refused,
        "message": " ".join(str(m) for m in plan.errors.values()),
        "errors": {name: str(message) for name, message in plan.errors.items()},
        "changes": [
            {"label": change.label, "before": change.before, "after": change.after}
            for change in plan.changes
        ],
        "notified": plan.notified,
    }


def _refused(refused: Invalid, status: int):
    body = {
        "ok": False,
        "message": refused.message,
        "errors": {name: str(message) for name, message in refused.errors.items()},
        "changes": [],
        "notified": 0,
    }
    return jsonify(body), status


def _saved_message(talk: Talk, saved: drafts.PlaceSaved) -> str:
    if saved.applied:
        return ngettext(
            "“%(title)s” has been saved; %(num)d person has been notified.",
            "“%(title)s” has been saved; %(num)d people have been notified.",
            saved.plan.notified,
            title=talk.title,
        )
    return ngettext(
        "“%(title)s” is in the draft (%(num)d change to release).",
        "“%(title)s” is in the draft (%(num)d changes to release).",
        saved.drafted,
        title=talk.title,
    )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
