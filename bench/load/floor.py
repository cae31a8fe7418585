"""The floor of the load test: the least a writing request can do in the same stack.

Routing, a session from the pool, one INSERT in one ``write_transaction()``, the commit: the
other kinds of request are read against it, measured in the same run under the same load.
Only the load test's server (``served_app.py``) has the endpoint; the product never does.
"""

import sqlalchemy as sa
from flask import Flask, request
from scenario import FLOOR_PATH

from eventreg.core.db import write_transaction
from eventreg.core.extensions import csrf, db

FLOOR_TABLE = sa.Table(
    "bench_load_floor_row",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.String(200), nullable=False),
)


def insert_one_row():
    with write_transaction():
        db.session.execute(FLOOR_TABLE.insert().values(payload=request.form.get("payload", "")))
    return "", 204


def add_floor(app: Flask) -> None:
    app.add_url_rule(FLOOR_PATH, view_func=csrf.exempt(insert_one_row), methods=["POST"])
