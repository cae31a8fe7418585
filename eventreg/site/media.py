"""Uploaded images and conference colours, served by the app.

Both are addressed by their content: an image by the hash of its bytes (see
``eventreg.core.storage``), a colour stylesheet by the colour. An address therefore never
shows anything else, and browsers and proxies may keep what they fetched for a year without
asking again (``immutable``); a new logo is a new address.
"""

import re

from flask import Blueprint, Response, abort, request

from eventreg.core import colors, storage

bp = Blueprint("media", __name__, url_prefix="/media")

FOR_EVER = 365 * 24 * 3600
COLOR = re.compile(r"[0-9a-f]{6}")


def _cached_for_ever(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = FOR_EVER
    response.cache_control.immutable = True
    # Served as exactly the type it was stored as: never sniffed into something else.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get("/<key>")
def image(key: str):
    if not storage.is_key(key):
        abort(404)
    digest = key.partition(".")[0]
    if digest in request.if_none_match and storage.storage().exists(key):
        return _cached_for_ever(Response(status=304), digest)
    stored = storage.load(key)
    if stored is None:
        abort(404)
    return _cached_for_ever(Response(stored.data, mimetype=stored.content_type), digest)


@bp.get("/accent/<color>.css")
def accent_stylesheet(color: str):
    """The accent roles of site.css drawn from one colour (only colours the contrast rule
    accepts have one); the conference pages link it after site.css."""
    if not COLOR.fullmatch(color) or not colors.is_readable_accent(f"#{color}"):
        abort(404)
    response = Response(colors.stylesheet(f"#{color}"), mimetype="text/css")
    return _cached_for_ever(response, f"accent-{color}")
