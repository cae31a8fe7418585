"""The frab schedule export at ``/c/<slug>/schedule.xml`` and ``/c/<slug>/schedule.json``.

Apps poll these like calendar feeds. Both carry an ETag derived from the conference's
``feed_revision`` (see ``conferences.revisions``) and a Last-Modified (the revision's
moment), so a poll whose copy is current gets its 304 after one indexed query, before the
programme is loaded. Bodies are cached by ETag (shared through Redis when configured).
Nothing is written on a GET. Texts come in the reader's language (``?lang=`` or
Accept-Language, else the conference's main language), so the language is part of the
ETag and shared caches keep one copy per language (``Vary``).
"""

from collections.abc import Callable

from flask import Blueprint, Response, current_app, json, request
from flask_babel import get_locale
from werkzeug.http import is_resource_modified

from eventreg.api.errors import register_error_handlers
from eventreg.conferences.revisions import http_moment, validator
from eventreg.conferences.services import get_published_or_404
from eventreg.core.extensions import cache
from eventreg.schedule.frab import FrabSchedule, build_schedule, schedule_json, schedule_xml

# Raise it when either document's form changes for the same data.
FRAB_FORMAT = "2"

bp = Blueprint("frab", __name__, url_prefix="/c/<slug>")
register_error_handlers(bp)


@bp.get("/schedule.xml")
def schedule_xml_view(slug: str):
    return _export(slug, "xml", "application/xml", schedule_xml)


@bp.get("/schedule.json")
def schedule_json_view(slug: str):
    return _export(
        slug, "json", "application/json", lambda s: json.dumps(schedule_json(s)).encode()
    )


def _export(
    slug: str, kind: str, mimetype: str, serialize: Callable[[FrabSchedule], bytes]
) -> Response:
    conference = get_published_or_404(slug)
    etag = validator(
        "frab",
        kind,
        FRAB_FORMAT,
        conference.id,
        conference.uuid,
        conference.feed_revision,
        str(get_locale()),
        current_app.config["BASE_URL"],
    )
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = http_moment(conference.updated_at)
    # Shared caches may keep it, but must ask again each time (cheap: usually a 304).
    response.cache_control.public = True
    response.cache_control.no_cache = True
    # The language may also be the one chosen on the site, kept in the session cookie.
    response.vary.update(("Accept-Language", "Cookie"))
    if not is_resource_modified(request.environ, etag=etag, last_modified=response.last_modified):
        response.status_code = 304
        return response
    key = f"frab:{etag}"
    body = cache.get(key)
    if body is None:
        body = serialize(build_schedule(conference))
        cache.set(key, body)
    response.set_data(body)
    return response


@bp.after_request
def allow_any_origin(response):
    # Public, published data: web-based schedule viewers on other sites may fetch it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
