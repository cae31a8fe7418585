"""The frab schedule export at ``/c/<slug>/schedule.xml`` and ``/c/<slug>/schedule.json``."""

from flask import Blueprint, Response, jsonify

from eventreg.api.errors import register_error_handlers
from eventreg.conferences.models import Conference
from eventreg.conferences.services import get_published_or_404
from eventreg.schedule.frab import build_schedule, schedule_json, schedule_xml

bp = Blueprint("frab", __name__, url_prefix="/c/<slug>")
register_error_handlers(bp)


@bp.get("/schedule.xml")
def schedule_xml_view(slug: str):
    conference = get_published_or_404(slug, Conference.rooms, Conference.tracks)
    return Response(schedule_xml(build_schedule(conference)), mimetype="application/xml")


@bp.get("/schedule.json")
def schedule_json_view(slug: str):
    conference = get_published_or_404(slug, Conference.rooms, Conference.tracks)
    return jsonify(schedule_json(build_schedule(conference)))


@bp.after_request
def allow_any_origin(response):
    # Public, published data: web-based schedule viewers on other sites may fetch it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
