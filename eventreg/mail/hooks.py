"""Mail that higher layers prepare just before delivery, outside the request that asked.

A request that must not reveal what it found (a password reset for an address that may have
no account) records only that mail was asked for, and wakes the sender like any commit that
recorded mail (:func:`mail_requested`). Each delivery pass first runs the preparers the app
registered (:func:`before_delivery`), which turn such requests into outbox messages.
"""

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from eventreg.core.extensions import db

log = logging.getLogger(__name__)

_PREPARERS = "eventreg.mail.preparers"
# Set in the session's info while a transaction holds a request for mail.
_REQUESTED = "eventreg.mail.requested"

Preparer = Callable[[], object]


def before_delivery(app: Flask, preparer: Preparer) -> None:
    """Run ``preparer`` (in an app context, in its own write transaction) before each
    delivery pass of ``app``; registering one twice runs it once."""
    preparers: list[Preparer] = app.extensions.setdefault(_PREPARERS, [])
    if preparer not in preparers:
        preparers.append(preparer)


def prepare_mail() -> None:
    """Run the current app's preparers: called by every delivery pass before it claims.
    A preparer that fails is logged; the mail already in the outbox still goes out."""
    for preparer in current_app.extensions.get(_PREPARERS, []):
        try:
            preparer()
        except Exception:
            log.exception("preparing mail failed in %s", getattr(preparer, "__name__", preparer))
            db.session.rollback()


def mail_requested() -> None:
    """Tell the sender, once the current transaction commits, that mail is to be prepared."""
    db.session.info[_REQUESTED] = True


@sa.event.listens_for(db.session, "after_commit")
def _wake_sender(session: Session) -> None:
    if session.info.pop(_REQUESTED, False):
        from eventreg.mail.dispatch import mail_committed

        mail_committed(current_app._get_current_object())  # type: ignore[attr-defined]


@sa.event.listens_for(db.session, "after_rollback")
def _forget_rolled_back_request(session: Session) -> None:
    session.info.pop(_REQUESTED, None)
