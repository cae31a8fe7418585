"""Extension objects, created unbound and attached to the app in ``create_app``."""

from typing import TYPE_CHECKING

from flask import request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints make migrations reproducible on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# The base class of every model. ``db.Model`` is made at run time, so type checkers cannot
# see it as a class; they are shown what it is built from: Flask-SQLAlchemy's model over
# SQLAlchemy's declarative base. Models subclass ``Model`` (``db.Model`` is the same class).
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel
    from sqlalchemy.orm import DeclarativeBase

    class Model(_FlaskModel, DeclarativeBase):
        pass

else:
    Model = db.Model

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
# Serialized feed events and whole feed/export bodies, by content key or ETag: Redis when
# CACHE_REDIS_URL is set (shared by every process), else a SimpleCache per process.
cache = Cache()


def select_locale() -> str:
    """The user's explicit choice first, then the browser's Accept-Language."""
    from flask import current_app, has_request_context, session

    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line and mail workers: the default language
        return languages[0]
    chosen: str | None = request.args.get("lang") or session.get("lang")
    if chosen and chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]
