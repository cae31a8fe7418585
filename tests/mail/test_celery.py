"""A real Celery worker on the machine's Redis drains the outbox.

Needs Redis on 127.0.0.1:6379 (database 5 is used); without it the test is skipped
locally and fails under CI.
"""

import os
import signal
import subprocess
import sys
import uuid

import pytest
import redis
import sqlalchemy as sa

from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.mail.tasks import queue_drain
from eventreg.registration import notifications
from tests.conftest import IN_CI, ROOT
from tests.factories import make_conference
from tests.mail.builders import make_registration

BROKER_URL = "redis://127.0.0.1:6379/5"


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def broker():
    if not redis_is_up():
        if IN_CI:
            pytest.fail("Redis is required under CI but does not answer at 127.0.0.1:6379")
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    return BROKER_URL


@pytest.fixture
def queue_name():
    # A queue of its own, so tasks from other test runs on the same Redis never mix in.
    name = f"eventreg-test-{uuid.uuid4().hex[:12]}"
    yield name
    connection = redis.Redis.from_url(BROKER_URL)
    for key in connection.scan_iter(match=f"*{name}*"):
        connection.delete(key)


@pytest.fixture
def app_config(smtp_server, broker, queue_name):
    return {**smtp_server.app_config, "CELERY_BROKER_URL": broker, "CELERY_QUEUE": queue_name}


@pytest.fixture
def start_worker(app, smtp_server, database_url, broker, queue_name, tmp_path):
    """Start ``celery -A eventreg.worker worker`` (with ``--beat`` if asked)."""
    env = {
        **os.environ,
        "EVENTREG_SQLALCHEMY_DATABASE_URI": database_url,
        "EVENTREG_SECRET_KEY": "test-secret",
        "EVENTREG_CELERY_BROKER_URL": broker,
        "EVENTREG_CELERY_QUEUE": queue_name,
        "EVENTREG_CELERY_SWEEP_SECONDS": "1",
        "EVENTREG_MAIL_SERVER": smtp_server.host,
        "EVENTREG_MAIL_PORT": str(smtp_server.port),
    }
    workers = []

    def start(*, beat: bool) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "eventreg.worker",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ]
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
        workers.append(
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        )

    yield start
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()


def test_a_celery_worker_delivers_what_a_commit_records(app, smtp_server, start_worker):
    # No beat: only the task queued by the commit can make the worker send.
    start_worker(beat=False)
    conference = make_conference()
    registrations = [make_registration(conference) for _ in range(3)]
    for registration in registrations:
        notifications.registration_received(registration, "secret")
    db.session.commit()  # queues the drain task on Redis

    # A Celery worker process takes a while to start on a busy CI machine.
    messages = smtp_server.wait_for(3, timeout=180)

    expected = set(db.session.scalars(sa.select(OutboxMessage.message_id)))
    assert sorted(m["Message-ID"] for m in messages) == sorted(expected)
    assert len(messages) == 3


def test_the_beat_sweep_delivers_mail_whose_trigger_never_reached_the_broker(
    app, smtp_server, start_worker
):
    start_worker(beat=True)
    # Recorded with no broker configured: no task is queued for it.
    app.config["CELERY_BROKER_URL"] = None
    registration = make_registration(make_conference())
    notifications.registration_received(registration, "secret")
    db.session.commit()

    (message,) = smtp_server.wait_for(1, timeout=180)

    assert message["To"].addresses[0].addr_spec == registration.email


@pytest.mark.parametrize("app_config", [{"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}])
def test_queueing_with_the_broker_down_is_logged_not_raised(app, caplog):
    assert queue_drain(app) is False
    assert "could not queue outbox delivery" in caplog.text
