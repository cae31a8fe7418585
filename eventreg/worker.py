"""Entry point for Celery workers: ``celery -A eventreg.worker worker --beat``.

Settings come as for the web app (instance/config.py and ``EVENTREG_*`` variables); the
worker needs the same database and ``CELERY_BROKER_URL`` as the web processes.
"""

from eventreg import create_app
from eventreg.mail.tasks import celery_for

flask_app = create_app()
celery = celery_for(flask_app)
