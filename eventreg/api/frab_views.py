"""The frab schedule export at ``/c/<slug>/schedule.xml`` and ``/c/<slug>/schedule.json``.

Apps poll these like calendar feeds, so both carry an ETag (a hash of the exact bytes) and a
Last-Modified, and a matching poll gets a 304 without the body. Nothing is written on a GET.
"""

from flask import Blueprint, Response, json, request

from eventreg.api.errors import register_error_handlers
from eventreg.conferences.models import Conference
from eventreg.conferences.services import get_published_or_404
from eventreg.schedule.frab import FrabSchedule, build_schedule, schedule_json, schedule_xml

bp = Blueprint("frab", __name__, url_prefix="/c/<slug>")
register_error_handlers(bp)


@bp.get("/schedule.xml")
def schedule_xml_view(slug: str):
    schedule = _schedule(slug)
    return _conditional(schedule, schedule_xml(schedule), "application/xml")


@bp.get("/schedule.json")
def schedule_json_view(slug: str):
    schedule = _schedule(slug)
    body = json.dumps(schedule_json(schedule)).encode()
    return _conditional(schedule, body, "application/json")


def _schedule(slug: str) -> FrabSchedule:
    conference = get_published_or_404(slug, Conference.rooms, Conference.tracks)
    return build_schedule(conference)


def _conditional(schedule: FrabSchedule, body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    # The ETag is exact; Last-Modified has whole seconds, so it serves clients without ETags.
    response.add_etag()
    response.last_modified = schedule.last_changed
    # Shared caches may keep it, but must ask again each time (cheap: usually a 304).
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.after_request
def allow_any_origin(response):
    # Public, published data: web-based schedule viewers on other sites may fetch it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
