"""Registration pages (filled in by the registration work)."""

from flask import Blueprint

bp = Blueprint("registration", __name__, url_prefix="/c/<slug>")


@bp.get("/register")
def register(slug: str):
    from eventreg.conferences.views import get_published_or_404

    get_published_or_404(slug)
    return "registration form"
