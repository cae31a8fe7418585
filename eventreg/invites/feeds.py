"""Serving calendar feeds cheaply: validators from revisions, serialized events from a cache.

A feed's ETag is derived from the revisions of what it shows (``Conference.feed_revision``,
``Registration.agenda_revision``, see ``conferences.revisions``), its language and format,
all read in one indexed query: a poll whose copy is current gets its 304 before any event
is loaded. Nothing is written on a GET.

When a body must be sent, a public feed's whole body is first looked up in the cache by
its ETag (equal ETags mean equal bytes), then built from events serialized one by one and
cached by their content: after one session changed, only that session is serialized
again. Personal agendas are never cached (they say who attends what, and erasure must
leave no copy behind); they are small.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Response, current_app, request
from flask_babel import get_locale
from werkzeug.http import is_resource_modified

from eventreg.conferences.models import Conference
from eventreg.conferences.revisions import http_moment, validator
from eventreg.core.extensions import cache
from eventreg.invites import ical
from eventreg.invites.events import SessionFacts, Wording, session_event

# Part of every ETag and cache key: raise it when the serialized form changes for the same
# data (a new property, different wording).
FEED_FORMAT = "2"


def refresh_interval() -> timedelta:
    return timedelta(minutes=current_app.config["ICAL_REFRESH_MINUTES"])


def feed_etag(kind: str, *parts: object) -> str:
    """The ETag of a feed of ``kind`` from its revisions and language (``parts``) and
    everything of the configuration its bytes depend on."""
    config = current_app.config
    return validator(
        "ics",
        kind,
        FEED_FORMAT,
        ical.PRODID,
        config["ICAL_REFRESH_MINUTES"],
        config["ICAL_UID_DOMAIN"],
        config["BASE_URL"],
        *parts,
    )


def public_etag(kind: str, conference: Conference, *parts: object) -> str:
    """A public feed of the conference, in the reader's language."""
    return feed_etag(
        kind, conference.id, conference.uuid, conference.feed_revision, str(get_locale()), *parts
    )


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def serialized_sessions(conference: Conference, facts: list[SessionFacts]) -> list[bytes]:
    """The sessions' VEVENTs, each one cached by everything it is made of: its facts
    (room and speaker names included, so a rename reaches it), the conference's wording
    and the language. Only the events not found are serialized, and then kept."""
    wording = Wording(conference)
    context = validator(FEED_FORMAT, ical.PRODID, wording.key)
    keys = [f"ics-event:{context}:{_digest(repr(f))}" for f in facts]
    found = cache.get_many(*keys) if keys else []
    missing = {}
    chunks = []
    for key, fact, chunk in zip(keys, facts, found, strict=True):
        if chunk is None:
            chunk = missing[key] = ical.feed_event(session_event(fact, wording))
        chunks.append(chunk)
    if missing:
        cache.set_many(missing)
    return chunks


def feed_response(
    etag: str,
    last_modified: datetime,
    body: Callable[[], bytes],
    *,
    filename: str,
    private: bool,
) -> Response:
    """The feed answered from its validators: a 304 when the client's copy is current,
    else ``body()`` (public bodies cached by ETag). Public feeds follow the reader's
    language, so shared caches keep one copy per Accept-Language; personal feeds stay
    out of shared caches."""
    response = Response(mimetype="text/calendar")
    response.set_etag(etag)
    response.last_modified = http_moment(last_modified)
    # Always revalidate: cheap with the validators above.
    response.cache_control.no_cache = True
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
        response.vary.add("Accept-Language")
    if not is_resource_modified(request.environ, etag=etag, last_modified=response.last_modified):
        response.status_code = 304
        return response
    if private:
        data = body()
    else:
        key = f"ics-feed:{etag}"
        data = cache.get(key)
        if data is None:
            data = body()
            cache.set(key, data)
    response.set_data(data)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
