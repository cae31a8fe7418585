"""The /manage blueprint; its routes live in the *_views modules of this package."""

from flask import Blueprint

bp = Blueprint("organizers", __name__, url_prefix="/manage")
