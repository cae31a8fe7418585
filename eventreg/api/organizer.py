"""The organizer API under ``/api/v1/manage``: sessions and registrations, by token.

A request carries ``Authorization: Bearer <token>`` (see :mod:`eventreg.accounts.api_tokens`) and
acts with the rights of the token's account: a conference it has no role in does not
exist for it (404), check-in staff may not organize (403). Writes go through the same
services as the workspace forms, which check conflicts and notify attendees and speakers,
and are written to the same audit log. No cookie is read, so there is nothing to forge
across sites and the blueprint needs no CSRF token.
"""

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, make_response, request, url_for
from flask_babel import gettext as _
from spectree import Response
from spectree.models import SecurityScheme, SecuritySchemeData
from sqlalchemy.orm import selectinload

from eventreg.accounts import api_tokens as tokens
from eventreg.api.public import api_error, room_json, spec, track_json
from eventreg.api.schemas import (
    Error,
    ManagedConferenceList,
    ManagedSessionOut,
    RegistrationList,
    RegistrationQuery,
    SessionChangeOut,
    SessionCreate,
    SessionUpdate,
)
from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.conferences.roles import conferences_visible_to, role_in
from eventreg.core.extensions import csrf, db
from eventreg.registration import reports as attendees
from eventreg.registration.models import Registration
from eventreg.schedule import changes as sessions_ops
from eventreg.schedule import services as schedule

bp = Blueprint("api_manage", __name__, url_prefix="/api/v1/manage")
csrf.exempt(bp)

BEARER = "bearerToken"
if not any(scheme.name == BEARER for scheme in spec.config.security_schemes or ()):
    spec.config.security_schemes = [
        *(spec.config.security_schemes or ()),
        SecurityScheme(
            name=BEARER,
            data=SecuritySchemeData(
                type="http",
                scheme="bearer",
                description="A personal API token, created in the organizer workspace.",
            ),
        ),
    ]
SECURITY = {BEARER: []}
REFUSALS = {
    "HTTP_401": Error,
    "HTTP_403": Error,
    "HTTP_404": Error,
}


@bp.before_request
def authenticate():
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        response = make_response(
            api_error(
                401,
                _("Not authenticated"),
                _("Send a valid API token: “Authorization: Bearer <token>”."),
            )
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="eventreg"'
        return response
    g.api_user = token.user


def managed_conference(view):
    """Load the conference of the URL for the token's account: 404 without a role there,
    403 for check-in staff; the view gets the conference in place of the slug."""

    @wraps(view)
    def checked(slug: str, **kwargs):
        conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
        role = role_in(g.api_user, conference) if conference is not None else None
        if role is None:
            return api_error(404, _("Not found"), _("You manage no conference at this address."))
        if role != "organizer":
            return api_error(
                403, _("Not allowed"), _("Only the conference's organizers may do this.")
            )
        return view(conference, **kwargs)

    return checked


def managed_session_json(talk: Talk) -> dict:
    tz = talk.conference.tz
    scheduled = talk.start_at is not None
    return {
        "id": talk.id,
        "uuid": talk.uuid,
        "title": talk.title,
        "abstract": talk.abstract,
        "kind": talk.kind,
        "status": talk.status,
        "start_at": talk.start_at.isoformat() if scheduled else None,
        "end_at": talk.end_at.isoformat() if scheduled else None,
        "day": talk.start_at.astimezone(tz).date().isoformat() if scheduled else None,
        "room": room_json(talk.room) if talk.room else None,
        "track": track_json(talk.track) if talk.track else None,
        "speakers": [{"id": s.id, "name": s.name} for s in talk.speakers],
        "capacity": talk.capacity,
        "revision": talk.revision or 0,
        "url": url_for("schedule.talk", slug=talk.conference.slug, talk_id=talk.id, _external=True),
        "updated_at": talk.updated_at.isoformat(),
    }


def registration_json(registration: Registration) -> dict:
    def instant(value):
        return value.isoformat() if value else None

    return {
        "id": registration.id,
        "full_name": registration.full_name,
        "email": registration.email,
        "affiliation": registration.affiliation,
        "country": registration.country,
        "locale": registration.locale,
        "status": registration.status,
        "registered_at": registration.created_at.isoformat(),
        "confirmed_at": instant(registration.confirmed_at),
        "cancelled_at": instant(registration.cancelled_at),
        "checked_in_at": instant(registration.checked_in_at),
    }


class Refused(Exception):
    """Input that names something this conference does not have."""


@bp.errorhandler(Refused)
def _refused(error):
    return api_error(400, _("Bad request"), str(error))


@bp.errorhandler(schedule.ScheduleError)
def _schedule_conflict(error):
    # The service has rolled back; its message names what is in the way.
    return api_error(409, _("Conflict"), str(error))


@bp.get("/conferences")
@spec.validate(
    resp=Response(HTTP_200=ManagedConferenceList, HTTP_401=Error),
    tags=["organizers"],
    security=SECURITY,
)
def conferences():
    """The conferences the token's account may organize, published or not."""
    items = [
        {
            "slug": conference.slug,
            "uuid": conference.uuid,
            "title": conference.title,
            "published": conference.published,
            "timezone": conference.timezone,
            "start_date": conference.start_date.isoformat(),
            "end_date": conference.end_date.isoformat(),
        }
        for conference, role in conferences_visible_to(g.api_user)
        if role == "organizer"
    ]
    return jsonify(items=items)


@bp.post("/conferences/<slug>/sessions")
@managed_conference
@spec.validate(
    resp=Response(HTTP_201=ManagedSessionOut, HTTP_400=Error, HTTP_409=Error, **REFUSALS),
    tags=["organizers"],
    security=SECURITY,
)
def create_session(conference: Conference, json: SessionCreate):
    """Add a session.

    With start_at and end_at it is scheduled and its speakers are invited. A clash of
    room or speaker, or a time outside the conference, is a 409."""
    start_at, end_at = _times(json)
    talk = sessions_ops.create_session(
        g.api_user,
        conference,
        title=_title(json.title),
        abstract=json.abstract,
        kind=json.kind,
        track=_track(conference, json.track_id),
        speakers=_speakers(conference, json.speaker_ids),
        capacity=json.capacity,
        start_at=start_at,
        end_at=end_at,
        room=_room(conference, json.room_id),
    )
    return jsonify(managed_session_json(_reloaded(talk.id))), 201


@bp.get("/conferences/<slug>/sessions/<int:session_id>")
@managed_conference
@spec.validate(
    resp=Response(HTTP_200=ManagedSessionOut, **REFUSALS), tags=["organizers"], security=SECURITY
)
def get_session(conference: Conference, session_id: int):
    """One session of the conference, scheduled or not."""
    return jsonify(managed_session_json(_talk(conference, session_id)))


@bp.patch("/conferences/<slug>/sessions/<int:session_id>")
@managed_conference
@spec.validate(
    resp=Response(HTTP_200=SessionChangeOut, HTTP_400=Error, HTTP_409=Error, **REFUSALS),
    tags=["organizers"],
    security=SECURITY,
)
def update_session(conference: Conference, session_id: int, json: SessionUpdate):
    """Change the fields given.

    Attendees holding a seat and the speakers are told of a new
    time, room, title, abstract or speakers; raising the capacity promotes from the
    session's waiting list. A cancelled session cannot be changed (409)."""
    talk = _talk(conference, session_id)
    given = json.model_fields_set
    changes = {}
    if "title" in given:
        changes["title"] = _title(json.title)
    if "abstract" in given:
        changes["abstract"] = json.abstract
    if "kind" in given:
        changes["kind"] = json.kind
    if "track_id" in given:
        changes["track"] = _track(conference, json.track_id)
    if "room_id" in given:
        changes["room"] = _room(conference, json.room_id)
    if {"start_at", "end_at"} & given:
        changes["start_at"], changes["end_at"] = _times(json)
    if "speaker_ids" in given:
        changes["speakers"] = _speakers(conference, json.speaker_ids)
    capacity = json.capacity if "capacity" in given else sessions_ops.UNCHANGED
    saved = sessions_ops.update_session(g.api_user, conference, talk, changes, capacity)
    talk, notified = _reloaded(session_id), saved.notified
    return jsonify(managed_session_json(talk) | {"notified": notified})


@bp.post("/conferences/<slug>/sessions/<int:session_id>/cancel")
@managed_conference
@spec.validate(
    resp=Response(HTTP_200=SessionChangeOut, **REFUSALS), tags=["organizers"], security=SECURITY
)
def cancel_session(conference: Conference, session_id: int):
    """Cancel a session.

    Attendees holding a seat and the speakers get a cancellation. Cancelling again
    changes nothing and notifies nobody."""
    talk = _talk(conference, session_id)
    notified = sessions_ops.cancel_session(g.api_user, conference, talk)
    talk = _reloaded(session_id)
    return jsonify(managed_session_json(talk) | {"notified": notified})


@bp.get("/conferences/<slug>/registrations")
@managed_conference
@spec.validate(
    resp=Response(HTTP_200=RegistrationList, **REFUSALS), tags=["organizers"], security=SECURITY
)
def registrations(conference: Conference, query: RegistrationQuery):
    """The conference's registrations in order of arrival, optionally of one status."""
    statement = attendees.attendee_query(conference, status=query.status or "")
    page = db.paginate(statement, page=query.page, per_page=query.per_page, error_out=False)
    return jsonify(
        page=query.page,
        per_page=query.per_page,
        total=page.total,
        pages=-(-page.total // query.per_page),
        items=[registration_json(registration) for registration in page.items],
    )


@bp.get("/conferences/<slug>/registrations.csv")
@managed_conference
@spec.validate(resp=Response(HTTP_200=None, **REFUSALS), tags=["organizers"], security=SECURITY)
def registrations_csv(conference: Conference):
    """Every registration as CSV.

    UTF-8 with a byte-order mark, one column per registration question: the workspace's
    export."""
    response = make_response("\ufeff" + attendees.export_csv(conference))
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-attendees.csv"'
    )
    response.cache_control.no_store = True
    return response


# --- helpers ------------------------------------------------------------------------------


def _talk(conference: Conference, session_id: int) -> Talk:
    talk = db.session.get(Talk, session_id) if session_id <= 2**31 - 1 else None
    if talk is None or talk.conference_id != conference.id:
        raise _NotFound(_("This conference has no such session."))
    return talk


def _reloaded(talk_id: int) -> Talk:
    return db.session.scalar(
        sa.select(Talk)
        .where(Talk.id == talk_id)
        .options(selectinload(Talk.speakers), selectinload(Talk.room), selectinload(Talk.track))
        .execution_options(populate_existing=True)
    )


class _NotFound(Exception):
    pass


@bp.errorhandler(_NotFound)
def _not_found(error):
    return api_error(404, _("Not found"), str(error))


def _times(body: SessionCreate | SessionUpdate) -> tuple:
    """The new start and end: both or neither, the end after the start."""
    if (body.start_at is None) != (body.end_at is None):
        raise Refused(_("start_at and end_at go together: give both or neither."))
    if body.start_at is not None and body.end_at <= body.start_at:
        raise Refused(_("end_at must be after start_at."))
    return body.start_at, body.end_at


def _title(title: str) -> str:
    title = title.strip()
    if not title:
        raise Refused(_("A session needs a title."))
    return title


def _room(conference: Conference, room_id: int | None) -> Room | None:
    if room_id is None:
        return None
    room = db.session.get(Room, room_id)
    if room is None or room.conference_id != conference.id:
        raise Refused(_("This conference has no room %(id)d.", id=room_id))
    return room


def _track(conference: Conference, track_id: int | None) -> Track | None:
    if track_id is None:
        return None
    track = db.session.get(Track, track_id)
    if track is None or track.conference_id != conference.id:
        raise Refused(_("This conference has no track %(id)d.", id=track_id))
    return track


def _speakers(conference: Conference, speaker_ids: list[int]) -> list[Speaker]:
    wanted = set(speaker_ids)
    speakers = db.session.scalars(
        sa.select(Speaker).where(Speaker.id.in_(wanted), Speaker.conference_id == conference.id)
    ).all()
    missing = sorted(wanted - {speaker.id for speaker in speakers})
    if missing:
        raise Refused(
            _(
                "This conference has no speaker %(ids)s.",
                ids=", ".join(str(speaker_id) for speaker_id in missing),
            )
        )
    return sorted(speakers, key=lambda speaker: speaker.id)
