"""Delivery on Celery workers, for deployments with several machines.

The task carries no message: it drains the outbox, which stays the source of truth, so a
lost, repeated or late task can never lose or duplicate mail. It is queued after every
commit that recorded mail, and the beat schedule queues it every ``CELERY_SWEEP_SECONDS``
for retries and for commits whose trigger did not reach the broker.

Start workers with ``celery -A eventreg.worker worker --beat`` (one beat in the
whole deployment; further workers without ``--beat``).
"""

import logging
from typing import Any

from celery import Celery, Task
from flask import Flask

from eventreg.mail.delivery import DeliveryReport, deliver_due

log = logging.getLogger(__name__)

DRAIN_TASK = "eventreg.mail.drain_outbox"
_EXTENSION = "eventreg.mail.celery"


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to ``app`` (made once per Flask app)."""
    if _EXTENSION in app.extensions:
        existing: Celery = app.extensions[_EXTENSION]
        return existing
    config = app.config

    # Celery ships no type information: its Task is Any to the type checker.
    class AppContextTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.conf.update(
        broker_url=config["CELERY_BROKER_URL"],
        broker_connection_retry_on_startup=True,
        # Queueing happens after a web request's commit: never hang it on a dead broker.
        broker_connection_timeout=3,
        task_default_queue=config["CELERY_QUEUE"],
        task_ignore_result=True,
        # A worker that dies mid-task leaves the task to another; the outbox lease makes
        # the repeat harmless.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        beat_schedule={
            "sweep-outbox": {
                "task": DRAIN_TASK,
                "schedule": float(config["CELERY_SWEEP_SECONDS"]),
            }
        },
    )

    @celery.task(name=DRAIN_TASK)  # type: ignore[untyped-decorator]
    def drain_outbox() -> dict[str, int]:
        report: DeliveryReport = deliver_due()
        return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}

    app.extensions[_EXTENSION] = celery
    return celery


def queue_drain(app: Flask) -> bool:
    """Ask a worker to drain the outbox; False (logged) when the broker cannot be reached."""
    celery = celery_for(app)
    try:
        # No reconnection attempts (kombu's default waits ~6s on a dead Redis): this runs
        # right after a web request's commit, and the periodic sweep covers a miss.
        with celery.connection_for_write(transport_options={"max_retries": 0}) as connection:
            celery.send_task(DRAIN_TASK, retry=False, connection=connection)
    except Exception:
        # The mail is safe in the outbox; the periodic sweep will deliver it.
        log.warning("could not queue outbox delivery on the broker", exc_info=True)
        return False
    return True
