"""Settings: defaults, instance/config.py, EVENTREG_* variables, then create_app's dict."""

import os
import stat

import pytest
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from eventreg import create_app
from eventreg.config import normalise_database_url


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """Point every app created in the test at an empty instance folder of its own."""
    folder = tmp_path / "instance"
    # Flask asks this method for the instance folder when none is given to the constructor.
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    for name in list(os.environ):
        if name.startswith("EVENTREG_"):
            monkeypatch.delenv(name)
    return folder


def test_without_a_secret_key_one_is_generated_once_and_kept_private(instance):
    first = create_app()
    second = create_app()

    key_file = instance / "secret_key"
    assert key_file.read_text() == first.config["SECRET_KEY"]
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_configured_secret_key_is_used_and_none_is_written(instance, monkeypatch):
    assert create_app({"SECRET_KEY": "from-the-dict"}).config["SECRET_KEY"] == "from-the-dict"
    monkeypatch.setenv("EVENTREG_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_the_default_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'eventreg.sqlite'}"


def test_each_layer_overrides_the_one_before(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text(
        'BASE_URL = "https://instance.example.org"\n'
        'MAIL_SERVER = "smtp.instance.example.org"\n'
        "MAIL_PORT = 2525\n"
    )
    monkeypatch.setenv("EVENTREG_MAIL_PORT", "587")  # parsed as JSON: an int
    monkeypatch.setenv("EVENTREG_MAIL_SERVER", "smtp.env.example.org")

    app = create_app({"MAIL_SERVER": "smtp.dict.example.org"})

    assert app.config["BABEL_DEFAULT_LOCALE"] == "en"  # a default nobody overrode
    assert app.config["BASE_URL"] == "https://instance.example.org"  # instance/config.py
    assert app.config["MAIL_PORT"] == 587  # the environment beats instance/config.py
    assert app.config["MAIL_SERVER"] == "smtp.dict.example.org"  # the dict beats everything


def test_a_database_url_from_the_environment_is_used(instance, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv("EVENTREG_SQLALCHEMY_DATABASE_URI", url)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == url


def test_hosting_providers_postgres_urls_are_rewritten_for_psycopg(instance, monkeypatch):
    monkeypatch.setenv("EVENTREG_SQLALCHEMY_DATABASE_URI", "postgres://app:pw@db.example.org/app")

    app = create_app()

    expected = "postgresql+psycopg://app:pw@db.example.org/app"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_normalise_database_url(given, used):
    assert normalise_database_url(given) == used


def test_without_a_base_url_links_point_at_the_port_being_served(instance, monkeypatch):
    for name in ("FLASK_RUN_PORT", "PORT"):
        monkeypatch.delenv(name, raising=False)
    assert create_app().config["BASE_URL"] == "http://127.0.0.1:5000"

    monkeypatch.setenv("PORT", "8080")  # gunicorn, hosting platforms
    assert create_app().config["BASE_URL"] == "http://127.0.0.1:8080"

    monkeypatch.setenv("FLASK_RUN_PORT", "8000")  # make run, flask run --port
    assert create_app().config["BASE_URL"] == "http://127.0.0.1:8000"

    monkeypatch.setenv("FLASK_RUN_PORT", "not a port")
    assert create_app().config["BASE_URL"] == "http://127.0.0.1:8080"


def test_a_configured_base_url_wins_over_the_port(instance, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_PORT", "8000")
    monkeypatch.setenv("EVENTREG_BASE_URL", "https://register.example.org")
    assert create_app().config["BASE_URL"] == "https://register.example.org"


def test_behind_proxies_the_app_reads_what_they_forward(instance):
    plain = create_app()
    proxied = create_app({"TRUSTED_PROXIES": 2})

    assert not isinstance(plain.wsgi_app, ProxyFix)
    assert isinstance(proxied.wsgi_app, ProxyFix)
    assert (proxied.wsgi_app.x_for, proxied.wsgi_app.x_proto, proxied.wsgi_app.x_host) == (2, 2, 2)
