"""In-process delivery for a single server (``make run``, gunicorn): one thread per process.

The process that serves the app starts the thread (``wsgi.py``, through
:func:`eventreg.mail.dispatch.start_delivery`). It sweeps the outbox at once, so mail left
pending or retrying when the server last stopped goes out without waiting for new mail,
then every ``MAIL_POLL_SECONDS`` for retries that have fallen due. A commit that records mail
wakes it early (and starts it in a process that had none). The outbox stays the source of
truth, so several processes (gunicorn workers) each running a thread never send a message
twice: they claim rows exactly as separate workers do.
"""

import threading

from flask import Flask

from eventreg.mail.delivery import delivery_pass

_EXTENSION = "eventreg.mail.background"


class BackgroundDelivery:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Sweep the outbox now, in the thread, starting it if it is not running."""
        with self._lock:
            if not self.running:
                # Each thread has its own stop signal: a stop() followed at once by a start()
                # never leaves two threads running.
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop,), name="eventreg-mail-delivery", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def kick(self) -> None:
        """A commit recorded mail: send it now rather than at the next poll."""
        self.start()

    def stop(self, timeout: float = 30) -> bool:
        """End the thread after the pass it is in; False when it is still busy after
        ``timeout`` seconds (a slow SMTP server). For tests and orderly shutdowns."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        self._wake.set()
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self, stop: threading.Event) -> None:
        interval = float(self.app.config["MAIL_POLL_SECONDS"])
        while not stop.is_set():
            # Cleared before the pass: a commit during it wakes the next one at once.
            self._wake.clear()
            with self.app.app_context():
                delivery_pass()
            self._wake.wait(interval)


def background_delivery(app: Flask) -> BackgroundDelivery:
    delivery = app.extensions.get(_EXTENSION)
    if not isinstance(delivery, BackgroundDelivery):
        delivery = app.extensions[_EXTENSION] = BackgroundDelivery(app)
    return delivery
