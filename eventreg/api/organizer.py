"""The organizer API under ``/api/v1/manage``: sessions and registrations, by token.

A request carries ``Authorization: Bearer <token>`` (see :mod:`eventreg.accounts.api_tokens`) and
acts with the rights of the token's account: a conference it has no role in does not
exist for it (404), check-in staff may not organize (403). Each write is one call of the
schedule's services, as from the workspace forms: the same rules (422 with the field at
fault, 409 for a clash naming the other session), the same messages to attendees and
speakers, the same audit entry. No cookie is read, so there is nothing to forge across
sites and the blueprint needs no CSRF token.
"""

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, make_response, request
from flask_babel import gettext as _
from pydantic import BaseModel
from spectree import Response
from spectree.models import SecurityScheme, SecuritySchemeData
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import BadRequest

from eventreg.accounts import api_tokens as tokens
from eventreg.api.errors import ApiNotFound, api_error, register_error_handlers
from eventreg.api.public import room_json, spec, track_json
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
from eventreg.conferences.models import Conference, Talk
from eventreg.conferences.roles import conferences_visible_to, role_in
from eventreg.core.extensions import csrf, db
from eventreg.core.ids import MAX_ID
from eventreg.core.links import public_url
from eventreg.registration import reports as attendees
from eventreg.registration.models import Registration
from eventreg.schedule import services as schedule
from eventreg.schedule.changes import SessionFields

bp = Blueprint("api_manage", __name__, url_prefix="/api/v1/manage")
csrf.exempt(bp)
register_error_handlers(bp)

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
    "HTTP_400": Error,
    "HTTP_401": Error,
    "HTTP_403": Error,
    "HTTP_404": Error,
    "HTTP_415": Error,
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


@bp.before_request
def accept_only_json_objects():
    """A body is a JSON object or nothing: a form, a file upload, JSON that does not parse or
    a bare ``null`` / ``false`` is refused here with its reason (spectree would read any of
    them as an empty object, and a form as no body at all)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    # A form's body is already consumed (parsed into request.form) when this runs.
    is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    body = request.get_data(cache=True)
    if is_form or (body and request.mimetype != "application/json"):
        return api_error(
            415,
            _("Unsupported content type"),
            _("Send the body as JSON, with “Content-Type: application/json”."),
        )
    if not body:
        return None  # an operation without a body (or an empty update)
    try:
        parsed = request.get_json()
    except BadRequest:
        return api_error(400, _("Bad request"), _("The body is not valid JSON (in UTF-8)."))
    if not isinstance(parsed, dict):
        return api_error(422, _("Unprocessable request"), _("The body must be a JSON object."))
    return None


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
        "online_url": talk.online_url or "",
        "main_language": talk.conference.main_language,
        "translations": talk.translations or {},
        "languages": list(talk.languages or []),
        "interpretation": bool(talk.interpretation),
        "revision": talk.revision or 0,
        "url": public_url("schedule.talk", slug=talk.conference.slug, talk_id=talk.id),
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
        "category": (
            {"id": registration.category.id, "name": registration.category.name}
            if registration.category is not None
            else None
        ),
        "registered_by": registration.registered_by_id,
    }


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
    resp=Response(HTTP_201=ManagedSessionOut, HTTP_409=Error, **REFUSALS),
    tags=["organizers"],
    security=SECURITY,
)
def create_session(conference: Conference, json: SessionCreate):
    """Add a session.

    With start_at and end_at it is scheduled and its speakers are invited. Refused input
    is a 422 naming the field; a clash of room or speaker, or a time outside the
    conference, is a 409."""
    saved = schedule.create_session(g.api_user, conference, _proposal(json))
    return jsonify(managed_session_json(_reloaded(saved.talk.id))), 201


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
    resp=Response(HTTP_200=SessionChangeOut, HTTP_409=Error, **REFUSALS),
    tags=["organizers"],
    security=SECURITY,
)
def update_session(conference: Conference, session_id: int, json: SessionUpdate):
    """Change the fields given.

    Attendees holding a seat and the speakers are told of a new time, room, title,
    speakers or online link (not of an abstract, kind, track or seats); raising the capacity
    promotes from the session's waiting list. A cancelled session cannot be changed (409)."""
    saved = schedule.update_session(g.api_user, _talk(conference, session_id), _proposal(json))
    return jsonify(managed_session_json(_reloaded(session_id)) | {"notified": saved.notified})


@bp.post("/conferences/<slug>/sessions/<int:session_id>/cancel")
@managed_conference
@spec.validate(
    resp=Response(HTTP_200=SessionChangeOut, **REFUSALS), tags=["organizers"], security=SECURITY
)
def cancel_session(conference: Conference, session_id: int):
    """Cancel a session.

    Attendees holding a seat and the speakers get a cancellation. Cancelling again
    changes nothing and notifies nobody."""
    saved = schedule.cancel_session(g.api_user, _talk(conference, session_id))
    return jsonify(managed_session_json(_reloaded(session_id)) | {"notified": saved.notified})


@bp.get("/conferences/<slug>/registrations")
@managed_conference
@spec.validate(
    resp=Response(HTTP_200=RegistrationList, **REFUSALS), tags=["organizers"], security=SECURITY
)
def registrations(conference: Conference, query: RegistrationQuery):
    """The conference's registrations in order of arrival, optionally of one status and
    of one category (an id of another conference's category finds none)."""
    statement = attendees.attendee_query(
        conference, status=query.status or "", category_id=query.category
    )
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
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{conference.slug}-attendees.csv"'
    )
    response.cache_control.no_store = True
    return response


# --- helpers ------------------------------------------------------------------------------


def _talk(conference: Conference, session_id: int) -> Talk:
    # Ids in API addresses are werkzeug's ``int`` (spectree documents it as int32) rather
    # than the site's ``id`` converter: one beyond the column is checked here.
    talk = db.session.get(Talk, session_id) if session_id <= MAX_ID else None
    if talk is None or talk.conference_id != conference.id:
        raise ApiNotFound(_("This conference has no such session."))
    return talk


def _reloaded(talk_id: int) -> Talk:
    return db.session.scalar(
        sa.select(Talk)
        .where(Talk.id == talk_id)
        .options(selectinload(Talk.speakers), selectinload(Talk.room), selectinload(Talk.track))
        .execution_options(populate_existing=True)
    )


def _proposal(body: BaseModel) -> SessionFields:
    """The fields the request gives, by the schedule's names (which the API shares)."""
    return SessionFields(**{name: getattr(body, name) for name in body.model_fields_set})
