"""The app as gunicorn serves it for ``bench/registration_rush.py``, plus the floor endpoint.

Only the benchmark loads this module, and the floor endpoint exists only when
``EVENTREG_BENCH_FLOOR_ENDPOINT=true``: the product never has it. The floor does the least a
request that writes can do in the same stack (routing, a session from the pool, one INSERT,
a commit), so the registration figures can be read against it.
"""

import sqlalchemy as sa
from flask import request

from eventreg import create_app
from eventreg.core.db import write_transaction
from eventreg.core.extensions import csrf, db

FLOOR_TABLE = sa.Table(
    "bench_floor_row",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.String(200), nullable=False),
)


def create_rush_app():
    """The app factory gunicorn calls (``rush_app:create_rush_app()``)."""
    app = create_app()
    if app.config.get("BENCH_FLOOR_ENDPOINT"):

        @app.post("/bench/floor")
        @csrf.exempt
        def floor():
            payload = request.form.get("payload", "")
            # The same one-transaction path every write of the app takes.
            with write_transaction():
                db.session.execute(FLOOR_TABLE.insert().values(payload=payload))
            return "", 204

    return app
