"""eventreg: conference registration and scheduling."""

from pathlib import Path

from flask import Flask

from eventreg.config import Defaults, load_or_create_secret_key, normalise_database_url
from eventreg.core.db import render_migration_type
from eventreg.core.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build the app; settings: defaults, instance/config.py, EVENTREG_* variables, ``config``."""
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_relative_config=True,
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("EVENTREG")
    app.config.update(config or {})
    _finish_config(app)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=MIGRATIONS, render_as_batch=True, render_item=render_migration_type
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)

    from eventreg import models  # noqa: F401  (every table known to migrations)
    from eventreg.cli import register_cli
    from eventreg.web import register_web

    register_web(app)
    register_cli(app)
    return app


def _finish_config(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "eventreg.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PREFERRED_URL_SCHEME"] == "https"
