"""Revisions: feeds, exports and pages validated (and cached) by a number, not by hashing.

``Conference.feed_revision`` moves in the same transaction as every change that reaches a
public feed, export or page of the conference: the conference itself, its rooms, tracks,
sessions and speakers, and who speaks in which session. The ``before_flush`` listener below
does it for every change made through the unit of work, so no service has to remember; a
statement that bypasses it (``sa.update`` / ``sa.delete`` on those tables) calls
:func:`bump_conference` itself. Once per transaction is enough, and ``updated_at`` moves
with the bump (``onupdate``), which gives an honest Last-Modified.

A reader then needs one indexed query (the conference row) to know whether a client's copy
is current: :func:`validator` turns a revision and whatever else the representation
depends on into an ETag, and :func:`conditional_page` serves an HTML page with it.

Registrations do not touch these tables, so a registration rush never invalidates the
public schedule (personal agendas have their own ``Registration.agenda_revision``).
"""

import hashlib
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any

from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from werkzeug.http import is_resource_modified

from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.core.db import utcnow

# Raise it when a page's or export's form changes for the same data (new markup, fields).
PAGE_FORMAT = "1"

# Conference columns that reach nothing public: reminders and invites are mail.
_UNPUBLISHED_COLUMNS = frozenset(
    {
        "feed_revision",
        "updated_at",
        "conference_reminder_minutes",
        "session_reminder_minutes",
        "invite_alarm_minutes",
    }
)
_CONTENT = (Room, Track, Talk, Speaker)
_REVISED = "eventreg.feed_revised"


def revised_in_transaction(session: Session, key: str) -> set[Any]:
    """The ids already bumped (under ``key``) in the session's current transaction.

    One set per transaction object (a savepoint has its own: its rollback would undo its
    bumps), dropped when that transaction ends; bumping twice is harmless.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    sets: dict[tuple[str, object], set[Any]] = session.info.setdefault(_REVISED, {})
    return sets.setdefault((key, transaction), set())


@event.listens_for(Session, "after_transaction_end")
def _forget_ended_transaction(session: Session, transaction: Any) -> None:
    sets = session.info.get(_REVISED)
    if sets:
        for held in [held for held in sets if held[1] is transaction]:
            del sets[held]


def bump_conference(session: Session, conference_id: int | None) -> None:
    """Move the conference's ``feed_revision`` in this transaction (once).

    The increment is an SQL expression, so concurrent writers each add one (the row lock
    orders them) and no two contents ever share a revision.
    """
    if conference_id is None:
        return
    revised = revised_in_transaction(session, "conference")
    if conference_id in revised:
        return
    conference = session.get(Conference, conference_id)
    if conference is None or conference in session.new or conference in session.deleted:
        return
    revised.add(conference_id)
    conference.feed_revision = Conference.feed_revision + 1


def _conference_changed(conference: Conference) -> bool:
    state = inspect(conference)
    return any(
        attribute.history.has_changes()
        for attribute in state.attrs
        if attribute.key not in _UNPUBLISHED_COLUMNS
    )


def _conference_of(obj: Room | Track | Talk | Speaker) -> int | None:
    if obj.conference_id is not None:
        return obj.conference_id
    # Added through a relationship (``conference.rooms.append``): no id copied yet.
    conference = inspect(obj).attrs.conference.loaded_value
    return getattr(conference, "id", None)


@event.listens_for(Session, "before_flush")
def _bump_changed_conferences(session: Session, flush_context: Any, instances: Any) -> None:
    touched: set[int | None] = set()
    for obj in session.dirty:
        if isinstance(obj, Conference):
            if _conference_changed(obj):
                touched.add(obj.id)
        elif isinstance(obj, _CONTENT) and session.is_modified(obj):
            touched.add(_conference_of(obj))
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, _CONTENT):
            touched.add(_conference_of(obj))
    for conference_id in touched:
        bump_conference(session, conference_id)


# --- validators -------------------------------------------------------------------------


def validator(*parts: object) -> str:
    """An ETag from what a representation depends on: kind, ids, revisions, language,
    format… Plain values only (their ``repr`` is hashed)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def http_moment(moment: datetime) -> datetime:
    """A Last-Modified value: UTC, in the whole seconds HTTP dates have."""
    return moment.astimezone(UTC).replace(microsecond=0)


def files_key(folders: str | Iterable[str], root: str = "") -> str:
    """What is deployed in ``folders`` (relative to ``root``): templates, translations.
    A new release changes every ETag and cache key built with it, while all workers of
    one release agree on it."""
    if isinstance(folders, str):
        folders = [folders]
    return _files_key(tuple(os.path.join(root, folder) for folder in folders))


def deployed_key() -> str:
    """The app's templates and translations as deployed (see :func:`files_key`)."""
    translations = current_app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
    folders = [current_app.template_folder or "", *translations.split(";")]
    return files_key(folders, current_app.root_path)


@cache
def _files_key(folders: tuple[str, ...]) -> str:
    return validator([_folder_stats(folder) for folder in folders])


def _folder_stats(folder: str) -> list[tuple[str, int, int]]:
    stats = []
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            info = os.stat(os.path.join(root, name))
            stats.append(
                (os.path.relpath(os.path.join(root, name), folder), info.st_size, info.st_mtime_ns)
            )
    return sorted(stats)


def _state_changed_at(conference: Conference, now: datetime) -> datetime:
    """When the page's registration state last changed by itself (opening, closing, the
    conference ending): a Last-Modified for clients that only send If-Modified-Since."""
    moments = [conference.updated_at]
    moments += [
        m for m in (conference.registration_opens_at, conference.registration_closes_at) if m
    ]
    after_end = datetime.combine(conference.end_date + timedelta(days=1), time(), conference.tz)
    moments.append(after_end)
    return max(m for m in moments if m <= now) if any(m <= now for m in moments) else now


def conditional_page(
    conference: Conference,
    render: Callable[[], str | Response],
    *,
    key: Iterable[object] = (),
    personal: bool = False,
) -> Response:
    """An HTML page of ``conference``, answered 304 when the client's copy is current.

    Call it right after loading the conference (``get_published_or_404(slug)``, one indexed
    query) and before loading anything else: ``render`` (e.g. ``lambda:
    render_template(...)``) only runs when the page is sent. The ETag comes from the
    conference's ``feed_revision``, the endpoint and full path, the language, the
    registration state (it changes with the clock), the deployed templates and ``key``:
    pass anything else the page shows that is not in the conference's revision (a seat
    count, the viewer's time zone, the current day…).

    Per-user state is never shared:

    - a page with a flashed message is always rendered (the message is shown once) and
      stays private;
    - ``personal=True`` (the page has a form with a CSRF token, or shows the visitor's own
      data), or a logged-in member of staff: the ETag also covers the user and the
      session's CSRF secret, the response is ``private`` and has no Last-Modified, so
      only this browser's own copy is ever revalidated;
    - otherwise the page is ``public`` but ``Vary: Accept-Language, Cookie`` (the chosen
      language lives in the session cookie), so shared caches keep one copy per variant.

    Every response says ``no-cache``: clients revalidate each time, which is cheap.
    """
    if session.get("_flashes"):
        response = make_response(render())
        response.cache_control.private = True
        response.cache_control.no_cache = True
        return response
    now = utcnow()
    personal = personal or bool(current_user and current_user.is_authenticated)
    parts: list[object] = [
        "page",
        PAGE_FORMAT,
        request.endpoint,
        request.full_path,
        conference.id,
        conference.uuid,
        conference.feed_revision,
        str(get_locale()),
        conference.registration_state(now),
        current_app.config["BASE_URL"],
        deployed_key(),
        *key,
    ]
    if personal:
        user = current_user.get_id() if current_user.is_authenticated else None
        parts += ["personal", user, validator(session.get("csrf_token"))]
    etag = validator(*parts)
    last_modified = None if personal else http_moment(_state_changed_at(conference, now))

    def finish(response: Response) -> Response:
        response.set_etag(etag)
        if last_modified is not None:
            response.last_modified = last_modified
        response.cache_control.no_cache = True
        if personal:
            response.cache_control.private = True
        else:
            response.cache_control.public = True
        response.vary.update(("Accept-Language", "Cookie"))
        return response

    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return finish(Response(status=304))
    return finish(make_response(render()))
