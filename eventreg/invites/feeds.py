"""Serving calendar feeds cheaply: ETag and Last-Modified, and a 304 before any iCalendar work.

The events are loaded as plain data first; their fingerprint is the ETag. A client whose
copy matches gets a 304 without the calendar ever being serialized, which is where almost
all of a feed's time goes.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from flask import Response, current_app, request
from sqlalchemy.exc import IntegrityError
from werkzeug.http import is_resource_modified

from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.invites import ical
from eventreg.invites.ical import CalendarEvent
from eventreg.invites.models import FeedVersion

# Part of every fingerprint: bump it when the serialized form changes for the same data.
FEED_FORMAT = "1"

# The last few calendars serialized in this process, by ETag. A public schedule is fetched
# by many subscribers, most of them without a validator; equal ETags mean equal bytes.
RENDERED_CACHE_SIZE = 16
_rendered: OrderedDict[str, bytes] = OrderedDict()
_rendered_lock = threading.Lock()


def _rendered_body(etag: str, build: Callable[[], bytes]) -> bytes:
    with _rendered_lock:
        if etag in _rendered:
            _rendered.move_to_end(etag)
            return _rendered[etag]
    body = build()
    with _rendered_lock:
        _rendered[etag] = body
        while len(_rendered) > RENDERED_CACHE_SIZE:
            _rendered.popitem(last=False)
    return body


def clear_rendered_cache() -> None:
    with _rendered_lock:
        _rendered.clear()


def refresh_interval() -> timedelta:
    return timedelta(minutes=current_app.config["ICAL_REFRESH_MINUTES"])


def fingerprint(events: list[CalendarEvent], *header: object) -> str:
    text = repr((FEED_FORMAT, ical.PRODID, header, events))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def changed_at(key: str, etag: str) -> datetime:
    """Since when the feed ``key`` has had content ``etag`` (recorded the first time it is
    seen: a GET that writes, in a write transaction of its own)."""
    version = db.session.get(FeedVersion, key)
    if version is not None and version.etag == etag:
        return version.changed_at
    now = utcnow().replace(microsecond=0)
    with write_transaction():
        version = db.session.get(FeedVersion, key, with_for_update=True, populate_existing=True)
        if version is None:
            try:
                with db.session.begin_nested():
                    version = FeedVersion(key=key, etag=etag, changed_at=now)
                    db.session.add(version)
                    db.session.flush()
            except IntegrityError:
                # Another request recorded the same feed at the same moment; theirs stands.
                version = cast(
                    FeedVersion, db.session.get(FeedVersion, key, populate_existing=True)
                )
        elif version.etag != etag:
            version.etag = etag
            # HTTP dates have whole seconds: two changes within one second must still differ.
            version.changed_at = max(now, version.changed_at + timedelta(seconds=1))
        return version.changed_at


def feed_response(
    key: str,
    events: list[CalendarEvent],
    *,
    name: str,
    description: str,
    uid: str,
    filename: str,
    private: bool,
) -> Response:
    refresh = refresh_interval()
    etag = fingerprint(events, name, description, uid, refresh)
    last_modified = changed_at(key, etag)

    response = Response(mimetype="text/calendar")
    response.set_etag(etag)
    response.last_modified = last_modified
    # Always revalidate (cheap with the validators above); personal feeds stay out of
    # shared caches.
    response.cache_control.no_cache = True
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response.status_code = 304
        return response
    response.set_data(
        _rendered_body(
            etag,
            lambda: ical.feed(events, name=name, description=description, uid=uid, refresh=refresh),
        )
    )
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
