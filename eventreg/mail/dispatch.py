"""Who delivers the outbox: when the app starts serving, and after a commit that recorded mail.

- ``CELERY_BROKER_URL`` set: a drain task is queued for the Celery workers after each such
  commit; their beat schedule sweeps for retries and missed triggers.
- otherwise, ``MAIL_DELIVER_IN_BACKGROUND`` (the default): a thread in the serving process
  sends, starting when serving starts (:func:`start_delivery`).
- neither (tests, or a separate ``flask deliver-mail --loop`` process): nothing here.

Never in the request itself: a slow or dead SMTP server must not slow registration down.
"""

from flask import Flask


def start_delivery(app: Flask) -> bool:
    """Called by the process that serves ``app`` (``wsgi.py``), never by ``create_app``: a
    command-line run or a test app must not start a sender. Delivers what is due at once —
    mail left pending or retrying by the previous run — then on ``MAIL_POLL_SECONDS``.
    Returns whether a sender thread runs in this process."""
    if app.config.get("CELERY_BROKER_URL") or not app.config.get("MAIL_DELIVER_IN_BACKGROUND"):
        return False
    from eventreg.mail.background import background_delivery

    background_delivery(app).start()
    return True


def mail_committed(app: Flask) -> None:
    if app.config.get("CELERY_BROKER_URL"):
        from eventreg.mail.tasks import queue_drain

        queue_drain(app)
    elif app.config.get("MAIL_DELIVER_IN_BACKGROUND"):
        from eventreg.mail.background import background_delivery

        background_delivery(app).kick()
