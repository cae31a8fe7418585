"""The check-in desk: scan or type a code, or find someone by name, and check them in.

With JavaScript the desk is an offline-capable app (static/js/desk.js): it downloads the
signed list of codes (``checkin_codes``), polls the counter (``checkin_status``), and sends
what it checked in offline in batches (``checkin_sync``). Its service worker and manifest
are served from under the desk's own address, so that the worker may control the desk.
"""

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from eventreg.conferences.models import Conference
from eventreg.conferences.roles import role_in
from eventreg.core.ids import row_id
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import checkin


@bp.get("/c/<slug>/checkin")
@conference_view("organizer", "checkin")
def checkin_desk(conference: Conference):
    query = request.args.get("q", "")[:200]
    return render_template(
        "organizers/checkin.html",
        conference=conference,
        query=query,
        found=checkin.search(conference, query),
        result=None,
        error=None,
        organizer=role_in(current_user, conference) == "organizer",
        counts=checkin.counts(conference),
    )


@bp.post("/c/<slug>/checkin")
@conference_view("organizer", "checkin")
def check_in(conference: Conference):
    """Check in by code (scanned or typed) or by the registration chosen from a search."""
    code = request.form.get("code", "").strip()
    chosen = request.form.get("registration_id", type=row_id)
    if code:
        registration_id = checkin.registration_id_from_code(code)
        if registration_id is None:
            return _desk(conference, error=_("This is not a valid check-in code."), status=400)
    elif chosen is not None:
        registration_id = chosen
    else:
        return _desk(conference, error=_("Scan or type a check-in code first."), status=400)
    result = checkin.check_in(current_user, conference, registration_id)
    if result is None:
        # A genuine code of another conference tells this desk nothing about its holder.
        return _desk(
            conference, error=_("No registration of this conference has this code."), status=404
        )
    return _desk(conference, result=result)


def _desk(conference: Conference, *, result=None, error=None, status: int = 200):
    return (
        render_template(
            "organizers/checkin.html",
            conference=conference,
            query="",
            found=[],
            result=result,
            error=error,
            organizer=role_in(current_user, conference) == "organizer",
            counts=checkin.counts(conference),
        ),
        status,
    )


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/c/<slug>/checkin/codes")
@conference_view("organizer", "checkin")
def checkin_codes(conference: Conference):
    """The conference's codes and names, signed: what the desk checks people in against."""
    return _no_store(jsonify(list=checkin.desk_list(conference)))


@bp.get("/c/<slug>/checkin/status")
@conference_view("organizer", "checkin")
def checkin_status(conference: Conference):
    """The desk's counter, and a fresh CSRF token for its next batch (a page served from
    the device's cache may carry an old one)."""
    checked_in, expected = checkin.counts(conference)
    return _no_store(jsonify(checked_in=checked_in, expected=expected, csrf_token=generate_csrf()))


@bp.post("/c/<slug>/checkin/sync")
@conference_view("organizer", "checkin")
def checkin_sync(conference: Conference):
    """Check in a batch of {id, code, checked_in_at} the desk queued; an answer per item."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("list"), str):
        return _refused(_("Send the list of codes and the check-ins as JSON."))
    try:
        answers = checkin.sync(
            current_user, conference, data["list"], checkin.parse_items(data.get("items"))
        )
    except checkin.BadBatch as refusal:
        return _refused(str(refusal))
    checked_in, expected = checkin.counts(conference)
    return _no_store(
        jsonify(
            items=[answer.as_json() for answer in answers],
            checked_in=checked_in,
            expected=expected,
        )
    )


def _refused(message: str):
    return _no_store(jsonify(error=message)), 400


@bp.get("/c/<slug>/checkin/sw.js")
@conference_view("organizer", "checkin")
def checkin_worker(conference: Conference):
    """The desk's service worker, allowed to control the desk page itself (its default
    scope would stop at .../checkin/)."""
    response = current_app.send_static_file("js/desk-sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = _desk_path(conference)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/c/<slug>/checkin/manifest.webmanifest")
@conference_view("organizer", "checkin")
def checkin_manifest(conference: Conference):
    """The web app manifest: the desk can be added to a phone's home screen."""
    desk = _desk_path(conference)
    response = jsonify(
        name=_("Check-in") + " · " + conference.title,
        short_name=_("Check-in"),
        start_url=desk,
        scope=desk,
        display="standalone",
        background_color="#ffffff",
        theme_color="#0b5cad",
        icons=[
            {
                "src": url_for("static", filename="favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    )
    response.mimetype = "application/manifest+json"
    return response


def _desk_path(conference: Conference) -> str:
    return url_for("organizers.checkin_desk", slug=conference.slug)
