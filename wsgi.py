"""The served app: ``gunicorn wsgi:app``, and ``make run`` (``flask --app wsgi run``).

Serving starts mail delivery in this process (unless Celery workers deliver): mail left in
the outbox by the previous run is sent at once, retries when they fall due. Commands use
``flask --app eventreg ...``, which starts no sender.
"""

from eventreg import create_app
from eventreg.mail.dispatch import start_delivery

app = create_app()
start_delivery(app)
