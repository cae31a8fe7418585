"""Public programme pages: the schedule (grid and list), a session, a speaker."""

from collections import defaultdict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Speaker, Talk, talk_speaker
from eventreg.conferences.services import get_published_or_404
from eventreg.core.extensions import db
from eventreg.core.timeutil import ViewerClock, clock_span, is_valid_timezone
from eventreg.schedule.grid import SessionCard, build_days

bp = Blueprint("schedule", __name__, url_prefix="/c/<slug>")


def schedule_context(conference: Conference) -> dict:
    """Everything the schedule template needs, as plain data, in a fixed number of queries.

    Sessions are read as rows rather than ORM objects: a schedule has thousands of them and
    the page only needs a few columns of each.
    """
    tz = conference.tz
    rooms = conference.rooms
    room_names = {room.id: room.name for room in rooms}
    room_positions = {room.id: room.position for room in rooms}
    track_names = {track.id: track.name for track in conference.tracks}
    speaker_names = _speaker_names_by_talk(conference.id)
    talk_url = _talk_url_maker(conference.slug)
    talks = db.session.execute(
        sa.select(
            Talk.id,
            Talk.title,
            Talk.kind,
            Talk.status,
            Talk.start_at,
            Talk.end_at,
            Talk.room_id,
            Talk.track_id,
        )
        .where(Talk.conference_id == conference.id, Talk.start_at.is_not(None))
        .order_by(Talk.start_at, Talk.id)
    )
    cards = []
    # Sessions in parallel rooms share their times: convert and format each span once.
    spans: dict[tuple, tuple] = {}
    for talk_id, title, kind, status, start, end, room_id, track_id in talks:
        span = spans.get((start, end))
        if span is None:
            span = spans[start, end] = (*clock_span(start, end, tz), start.astimezone(tz).date())
        start_label, end_label, time_label, day = span
        cards.append(
            SessionCard(
                id=talk_id,
                title=title,
                kind=kind,
                cancelled=status == "cancelled",
                url=talk_url(talk_id),
                start=start,
                end=end,
                day=day,
                start_label=start_label,
                end_label=end_label,
                time_label=time_label,
                room_id=room_id,
                room=room_names.get(room_id, ""),
                room_position=room_positions.get(room_id, -1),
                track_id=track_id,
                track=track_names.get(track_id, ""),
                speakers=speaker_names.get(talk_id, ""),
            )
        )
    return {
        "conference": conference,
        "rooms": [{"id": room.id, "name": room.name} for room in rooms],
        "days": build_days(cards, [room.id for room in rooms]),
    }


def viewer_clock(conference: Conference) -> tuple[ViewerClock | None, str | None]:
    """The viewer's own clock when the page was asked for with ``?tz=<IANA zone>``, or
    the message explaining why an unknown zone is ignored."""
    name = request.args.get("tz", "").strip()
    if not name:
        return None, None
    if not is_valid_timezone(name):
        message = _("“%(zone)s” is not a time zone we know; use a name such as Europe/Rome.")
        return None, message % {"zone": name[:60]}
    return ViewerClock(ZoneInfo(name), conference.tz), None


def _talk_url_maker(slug: str):
    """A function giving a session's URL: ``url_for`` once, then string assembly.

    ``url_for`` costs about 10 µs; a 1,000-session schedule would spend 10 ms on it.
    """
    marker = 987654321
    head, tail = url_for("schedule.talk", slug=slug, talk_id=marker).split(str(marker))
    return lambda talk_id: f"{head}{talk_id}{tail}"


def _speaker_names_by_talk(conference_id: int) -> dict[int, str]:
    """Each session's speakers as one line of names, in alphabetical order."""
    names = defaultdict(list)
    rows = db.session.execute(
        sa.select(talk_speaker.c.talk_id, Speaker.name)
        .join(Speaker, Speaker.id == talk_speaker.c.speaker_id)
        .where(Speaker.conference_id == conference_id)
        .order_by(Speaker.name)
    )
    for talk_id, name in rows:
        names[talk_id].append(name)
    return {talk_id: ", ".join(talk_names) for talk_id, talk_names in names.items()}


@bp.get("/schedule")
def schedule(slug: str):
    conference = get_published_or_404(slug, Conference.rooms, Conference.tracks)
    view = "list" if request.args.get("view") == "list" else "grid"
    embed = request.args.get("embed") == "1"
    viewer, zone_error = viewer_clock(conference)
    page = render_template(
        "schedule/schedule.html",
        view=view,
        embed=embed,
        viewer=viewer,
        zone_error=zone_error,
        **schedule_context(conference),
    )
    if not embed:
        return page
    response = make_response(page)
    # Only the embeddable schedule may be framed by other sites; every other page keeps
    # the default frame-ancestors 'self'.
    response.headers["Content-Security-Policy"] = EMBED_POLICY
    return response


EMBED_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *"
)


@bp.get("/sessions/<id:talk_id>")
def talk(slug: str, talk_id: int):
    conference = get_published_or_404(slug)
    # Only what the schedule shows is public: a session without a time yet is a draft.
    talk = db.session.scalar(
        sa.select(Talk)
        .filter_by(id=talk_id, conference_id=conference.id)
        .where(Talk.start_at.is_not(None))
        .options(selectinload(Talk.speakers), selectinload(Talk.room), selectinload(Talk.track))
    )
    if talk is None:
        abort(404)
    viewer, zone_error = viewer_clock(conference)
    return render_template(
        "schedule/talk.html",
        conference=conference,
        talk=talk,
        viewer=viewer,
        zone_error=zone_error,
    )


@bp.get("/speakers/<id:speaker_id>")
def speaker(slug: str, speaker_id: int):
    conference = get_published_or_404(slug)
    speaker = db.session.scalar(
        sa.select(Speaker).filter_by(id=speaker_id, conference_id=conference.id)
    )
    talks = (
        db.session.scalars(
            sa.select(Talk)
            .where(Talk.speakers.contains(speaker), Talk.start_at.is_not(None))
            .options(selectinload(Talk.room), selectinload(Talk.track))
            .order_by(Talk.start_at, Talk.id)
        ).all()
        if speaker is not None
        else []
    )
    # A speaker is public through a session on the schedule, as in the API; one who only
    # has sessions without a time yet is not announced.
    if not talks:
        abort(404)
    return render_template(
        "schedule/speaker.html", conference=conference, speaker=speaker, talks=talks
    )
