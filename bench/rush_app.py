"""The app as gunicorn serves it for ``bench/registration_rush.py``, plus its two floors.

Only the benchmark loads this module, and the floor endpoints exist only when
``EVENTREG_BENCH_FLOOR_ENDPOINT=true``: the product never has them.

- ``/bench/floor``: the least a request that writes can do in the same stack (routing, a
  session from the pool, one INSERT, a commit).
- ``/bench/least-registration/<conference_id>``: the least a correct registration can do:
  validate the address, lock the conference row, count the seats, insert the registration
  and an outbox row, commit. No form, no answers, no audit entry, no invite numbering.
- ``/bench/least-registration-unlocked/<conference_id>``: the same without the lock. Wrong
  under concurrency (it can confirm more than the seats); it shows, in the same run, what
  the lock itself costs.

The registration figures are read against these, measured in the same run.
"""

import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import request

from eventreg import create_app
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import csrf, db
from eventreg.core.tokens import hash_token, new_token
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Registration, email_key

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
        app.add_url_rule("/bench/floor", view_func=csrf.exempt(floor), methods=["POST"])
        app.add_url_rule(
            "/bench/least-registration/<int:conference_id>",
            view_func=csrf.exempt(least_registration),
            methods=["POST"],
        )
        app.add_url_rule(
            "/bench/least-registration-unlocked/<int:conference_id>",
            endpoint="least_registration_unlocked",
            view_func=csrf.exempt(least_registration_unlocked),
            methods=["POST"],
        )
    return app


def floor():
    payload = request.form.get("payload", "")
    # The same one-transaction path every write of the app takes.
    with write_transaction():
        db.session.execute(FLOOR_TABLE.insert().values(payload=payload))
    return "", 204


def least_registration(conference_id: int):
    return _least_registration(conference_id, lock=True)


def least_registration_unlocked(conference_id: int):
    return _least_registration(conference_id, lock=False)


def _least_registration(conference_id: int, *, lock: bool):
    try:
        address = validate_email(
            request.form.get("email", ""), check_deliverability=False
        ).normalized
    except EmailNotValidError:
        return "", 400
    now = utcnow()
    with write_transaction():
        capacity = db.session.execute(
            sa.text("SELECT capacity FROM conference WHERE id = :id FOR UPDATE")
            if lock and db.engine.dialect.name == "postgresql"
            else sa.text("SELECT capacity FROM conference WHERE id = :id"),
            {"id": conference_id},
        ).scalar_one()
        confirmed = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(Registration.conference_id == conference_id, Registration.status == "confirmed")
        )
        status = "confirmed" if capacity is None or confirmed < capacity else "waiting"
        registration_id = db.session.execute(
            sa.insert(Registration)
            .values(
                conference_id=conference_id,
                email=address,
                email_key=email_key(address),
                full_name=request.form.get("full_name", ""),
                status=status,
                token_hash=hash_token(new_token()),
                queued_at=now,
                created_at=now,
                updated_at=now,
            )
            .returning(Registration.id)
        ).scalar_one()
        db.session.execute(
            sa.insert(OutboxMessage).values(
                conference_id=conference_id,
                registration_id=registration_id,
                kind="bench_registration",
                message_id=f"<{secrets.token_hex(16)}@bench.invalid>",
                recipient=address,
                subject="Registration",
                raw=b"",
                status="sent",  # nobody delivers it
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                last_error="",
            )
        )
    return "", 204
