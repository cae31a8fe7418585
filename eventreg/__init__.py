"""eventreg: conference registration and scheduling."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import MapAdapter

from eventreg.config import (
    Defaults,
    load_or_create_secret_key,
    normalise_database_url,
    served_base_url,
)
from eventreg.core.db import render_migration_type
from eventreg.core.extensions import (
    babel,
    cache,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    select_locale,
)
from eventreg.core.links import public_url, trusted_hosts_for
from eventreg.mail.hooks import before_delivery

MIGRATIONS = str(Path(__file__).parent / "migrations")


class Eventreg(Flask):
    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is None:
            return super().create_url_adapter(request)
        # Unless TRUSTED_HOSTS is set, only the hosts of the public address are served,
        # read from BASE_URL at each request (it may be changed once the app is built).
        if self.config["TRUSTED_HOSTS"] is None:
            request.trusted_hosts = trusted_hosts_for(
                self.config["BASE_URL"], self.config.get("SERVER_NAME")
            )
        try:
            return super().create_url_adapter(request)
        except SecurityError as refused:
            # Flask would leave the request without a URL adapter, and the 400 page would
            # then fail to build its links (a 500). Bind one to the public address instead:
            # the request still ends in the 400, its routing exception.
            request.routing_exception = refused
            base = urlsplit(self.config["BASE_URL"])
            return self.url_map.bind(
                base.netloc,
                script_name=request.root_path or None,
                url_scheme=base.scheme or "https",
                path_info=request.path,
                default_method=request.method,
            )


def create_app(config: dict | None = None) -> Flask:
    """Build the app; settings: defaults, instance/config.py, EVENTREG_* variables, ``config``."""
    app = Eventreg(
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
    cache.init_app(app)

    from eventreg import models  # noqa: F401  (every table known to migrations)
    from eventreg.accounts.services import send_requested_resets
    from eventreg.cli import register_cli
    from eventreg.conferences import revisions  # noqa: F401  (revisions move at every flush)
    from eventreg.registration import (
        agenda_revisions,  # noqa: F401
        invitations,  # noqa: F401  (composer of the invitation mail)
        notifications,  # noqa: F401  (composers of deferred mail)
    )
    from eventreg.web import register_web

    register_web(app)
    register_cli(app)
    # Password-reset requests become mail in the sender, not in the request that asked.
    before_delivery(app, send_requested_resets)
    # Templates build absolute links the way mail does: from BASE_URL, never the Host header.
    app.add_template_global(public_url)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        # Behind that many reverse proxies, the client's address, scheme and host are the
        # ones they forward (the login and registration rate limits count per client).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def _finish_config(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "eventreg.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    if not app.config.get("BASE_URL"):
        app.config["BASE_URL"] = served_base_url(os.environ)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if not app.config.get("CACHE_TYPE"):
        redis = app.config.get("CACHE_REDIS_URL")
        app.config["CACHE_TYPE"] = "RedisCache" if redis else "SimpleCache"
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PREFERRED_URL_SCHEME"] == "https"
