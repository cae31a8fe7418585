"""Serving calendar feeds cheaply: ETag and Last-Modified, and a 304 before any iCalendar work.

Both validators are computed from what is read, so polling a feed never writes to the
database. The events are loaded as plain data first; their fingerprint is the ETag. A client whose
copy matches gets a 304 without the calendar ever being serialized, which is where almost
all of a feed's time goes.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Response, current_app, request
from werkzeug.http import is_resource_modified

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.invites import ical
from eventreg.invites.ical import CalendarEvent

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


def newest_change(conference_id: int) -> datetime | None:
    """When anything of the conference last changed: every write logs an audit entry in its
    own transaction, removals (a session dropped from an agenda, a room deleted) included,
    which no timestamp of what is still in a feed can tell."""
    return db.session.scalar(
        sa.select(sa.func.max(AuditEntry.created_at)).where(
            AuditEntry.conference_id == conference_id
        )
    )


def last_modified_of(events: list[CalendarEvent], *changes: datetime | None) -> datetime:
    """Last-Modified computed on read (a GET never writes): the newest of the events' own
    stamps and the given change times, in whole seconds as HTTP dates have them."""
    moments = [event.stamp for event in events] + [c for c in changes if c is not None]
    newest = max(moments, default=datetime(2000, 1, 1, tzinfo=UTC))
    return newest.astimezone(UTC).replace(microsecond=0)


def feed_response(
    events: list[CalendarEvent],
    *,
    name: str,
    description: str,
    uid: str,
    filename: str,
    private: bool,
    changed: tuple[datetime | None, ...] = (),
) -> Response:
    """The feed as a response with its validators; ``changed`` adds moments of changes the
    events cannot show (see :func:`newest_change`). Public feeds follow the reader's
    language, so caches must keep one copy per Accept-Language."""
    refresh = refresh_interval()
    etag = fingerprint(events, name, description, uid, refresh)
    last_modified = last_modified_of(events, *changed)

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
        response.vary.add("Accept-Language")
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
