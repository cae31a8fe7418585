"""In-process delivery for a single server (``make run``): one thread per process.

A commit that recorded mail wakes the thread; it also wakes on its own every
``MAIL_POLL_SECONDS`` to send retries that have fallen due. The outbox stays the source of
truth, so several processes (gunicorn workers) each running a thread never send a message
twice: they claim rows exactly as separate workers do.
"""

import threading

from flask import Flask

from eventreg.mail.delivery import delivery_pass

_EXTENSION = "eventreg.mail.background"


class BackgroundDelivery:
    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="eventreg-mail-delivery", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        interval = float(self.app.config["MAIL_POLL_SECONDS"])
        while True:
            self._wake.wait(interval)
            self._wake.clear()
            with self.app.app_context():
                delivery_pass()


def background_delivery(app: Flask) -> BackgroundDelivery:
    if _EXTENSION not in app.extensions:
        app.extensions[_EXTENSION] = BackgroundDelivery(app)
    return app.extensions[_EXTENSION]
