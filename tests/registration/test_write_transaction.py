"""A request's write transaction on both databases: what it costs and what it still sees.

On PostgreSQL (READ COMMITTED) the write joins the request's read transaction: a
registration commits once. On SQLite the read is ended first so that the write can begin
IMMEDIATE. Either way, what was read before is read again inside the write.
"""

import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.db import write_transaction
from eventreg.core.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.registration.helpers import register_url


def commits_during(action) -> int:
    commits = []

    def counted(connection) -> None:
        commits.append(connection)

    sa.event.listen(db.engine, "commit", counted)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "commit", counted)
    return len(commits)


def test_a_registration_commits_once_on_postgresql_and_twice_on_sqlite(app, client):
    conference = make_conference(capacity=10)
    db.session.commit()
    page = client.get(register_url(conference)).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "full_name": "Ada Lovelace",
        "email": "ada@example.org",
        "consent": "y",
    }
    responses = []

    commits = commits_during(
        lambda: responses.append(client.post(register_url(conference), data=data))
    )

    assert responses[0].status_code == 303
    assert commits == (1 if db.engine.dialect.name == "postgresql" else 2)


def test_what_was_read_before_the_write_is_read_again_inside_it(app):
    conference = make_conference(capacity=10)
    db.session.commit()
    with app.test_request_context():
        seen = db.session.get(Conference, conference.id)
        assert seen.capacity == 10  # the request's read transaction is open now
        with db.engine.begin() as other:  # another process changes it meanwhile
            other.execute(
                sa.update(Conference).where(Conference.id == conference.id).values(capacity=3)
            )

        with write_transaction():
            assert seen.capacity == 3
        db.session.remove()
