"""What happens after a commit that recorded mail: who is asked to deliver it.

- ``CELERY_BROKER_URL`` set: a drain task is queued for the Celery workers.
- otherwise, ``MAIL_DELIVER_IN_BACKGROUND`` (the default): a thread in this process sends.
- neither (tests, or a separate ``flask deliver-mail --loop`` process): nothing here.

Never in the request itself: a slow or dead SMTP server must not slow registration down.
"""

from flask import Flask


def mail_committed(app: Flask) -> None:
    if app.config.get("CELERY_BROKER_URL"):
        from eventreg.mail.tasks import queue_drain

        queue_drain(app)
    elif app.config.get("MAIL_DELIVER_IN_BACKGROUND"):
        from eventreg.mail.background import background_delivery

        background_delivery(app).kick()
