"""WSGI entry point: ``gunicorn wsgi:app``."""

from eventreg import create_app

app = create_app()
