"""The app as gunicorn serves it for ``bench/load_test.py``: what ``wsgi.py`` serves (the app
and its in-process mail sender, so the outbox drains during the run as in production) plus
the floor endpoint (``floor.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor import add_floor  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.mail.dispatch import start_delivery  # noqa: E402

app = create_app()
add_floor(app)
start_delivery(app)
