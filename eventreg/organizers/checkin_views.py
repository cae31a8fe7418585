"""The check-in desk: scan or type a code, or find someone by name, and check them in."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

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
        ),
        status,
    )
