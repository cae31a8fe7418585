"""Public programme pages: the schedule (grid and list, filtered and searched), "now and
next", a day's printable agenda, a session, a speaker; and the private variant of a
session page through which an attendee holding a management link joins or leaves it."""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import TALK_KINDS, Conference, Speaker, Talk, talk_speaker
from eventreg.conferences.revisions import conditional_page
from eventreg.conferences.services import get_published_or_404
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.links import id_links
from eventreg.core.timeutil import ViewerClock, clock_span, is_valid_timezone, local_day
from eventreg.core.translations import reader_language, text_and_language, text_in
from eventreg.registration import services as registration_services
from eventreg.registration.models import Registration, SessionSignup
from eventreg.schedule.grid import SessionCard, build_days

bp = Blueprint("schedule", __name__, url_prefix="/c/<slug>")

SEARCH_MAX_LENGTH = 200


# --- filters and search -----------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Text as the search compares it: lower case, compatibility forms folded and accents
    dropped, so "perche" finds "Perché" and "ａｉ" finds "AI"; Chinese passes unchanged.
    static/js/schedule.js normalises what is typed in the same way."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.category(char).startswith("M"))


@dataclass(frozen=True)
class Filters:
    """What the reader asked the schedule for; empty fields do not filter."""

    day: date | None = None
    track_id: int | None = None
    room_id: int | None = None
    kind: str | None = None
    query: str = ""
    terms: tuple[str, ...] = field(default=(), compare=False)
    language: str | None = None  # sessions one can follow in it (see heard_in)

    @property
    def active(self) -> bool:
        return any((self.day, self.track_id, self.room_id, self.kind, self.terms, self.language))

    def matches(self, card: SessionCard, text: str) -> bool:
        """``text`` is the card's normalised searchable text (only read with terms)."""
        return (
            (self.day is None or card.day == self.day)
            and (self.track_id is None or card.track_id == self.track_id)
            and (self.room_id is None or card.room_id == self.room_id)
            and (self.kind is None or card.kind == self.kind)
            and (self.language is None or self.language in card.heard_in)
            and all(term in text for term in self.terms)
        )

    def query_args(self) -> dict[str, str]:
        """The filters as the form sends them (for links and the validator)."""
        args = {
            "day": self.day.isoformat() if self.day else "",
            "track": str(self.track_id or ""),
            "room": str(self.room_id or ""),
            "kind": self.kind or "",
            "language": self.language or "",
            "q": self.query,
        }
        return {name: value for name, value in args.items() if value}


NO_FILTERS = Filters()
_NUMBER = re.compile(r"[0-9]{1,12}")
FILTER_LABELS = {
    "day": _l("Day"),
    "track": _l("Track"),
    "room": _l("Room"),
    "kind": _l("Kind"),
    "language": _l("Language"),
}


def read_filters(conference: Conference, args) -> tuple[Filters, list[str]]:
    """The filters of a schedule request, and a message for each value that is not one of
    the schedule's choices (that filter is left out, so the page still shows the rest)."""
    problems: list[str] = []

    def refuse(name: str, value: str) -> None:
        message = _("“%(value)s” is not a choice of the filter “%(filter)s”; it is left out.")
        problems.append(message % {"value": value[:60], "filter": FILTER_LABELS[name]})

    day = None
    if raw := args.get("day", "").strip():
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            refuse("day", raw)

    def pick_id(name: str, known: Iterable[int]) -> int | None:
        raw = args.get(name, "").strip()
        if not raw:
            return None
        if _NUMBER.fullmatch(raw) and int(raw) in set(known):
            return int(raw)
        refuse(name, raw)
        return None

    track_id = pick_id("track", (track.id for track in conference.tracks))
    room_id = pick_id("room", (room.id for room in conference.rooms))
    kind = args.get("kind", "").strip() or None
    if kind is not None and kind not in TALK_KINDS:
        refuse("kind", kind)
        kind = None
    language = args.get("language", "").strip() or None
    if language is not None and language not in current_app.config["LANGUAGES"]:
        refuse("language", language)
        language = None
    query = " ".join(args.get("q", "").split())
    if len(query) > SEARCH_MAX_LENGTH:
        message = _("The search text is longer than %(max)d characters; only its start is used.")
        problems.append(message % {"max": SEARCH_MAX_LENGTH})
        query = query[:SEARCH_MAX_LENGTH]
    terms = tuple(normalize_text(query).split())
    return Filters(day, track_id, room_id, kind, query, terms, language), problems


def search_text(title: str, speakers: str, abstract: str) -> str:
    return normalize_text(f"{title}\n{speakers}\n{abstract}")


def heard_in(languages: Iterable[str], interpretation: bool, main_language: str) -> tuple[str, ...]:
    """The languages in which a session can be followed: those it is given in (the
    conference's main language when none is set), and, when interpretation is offered,
    every language of the site. A single yes/no says nothing about which languages the
    interpreters work into, so it is read as "into each of the conference's languages"
    (those the site is offered in): the language filter then never hides a session that
    a reader could follow through its interpretation."""
    spoken = tuple(languages) or (main_language,)
    if not interpretation:
        return spoken
    return spoken + tuple(code for code in current_app.config["LANGUAGES"] if code not in spoken)


class _Row:
    """The translatable columns of one session row, as ``text_and_language`` reads them."""

    __slots__ = ("title", "abstract", "translations")

    def __init__(self, title: str, abstract: str, translations: dict[str, Any] | None):
        self.title, self.abstract, self.translations = title, abstract, translations or {}


# --- session cards ----------------------------------------------------------------------


def session_cards(
    conference: Conference, *conditions, with_abstract: bool = False
) -> tuple[list[SessionCard], dict[int, str]]:
    """The scheduled sessions (those meeting ``conditions``) as cards, in two queries
    whatever their number, and with ``with_abstract`` each one's searchable text.

    Sessions are read as rows rather than ORM objects: a schedule has thousands of them and
    the page only needs a few columns of each.
    """
    tz = conference.tz
    main = conference.main_language
    # Texts in the reader's language, else the main one; translations are columns of the
    # rows read anyway, so no query is added for them.
    page_language = reader_language()
    room_names = {room.id: text_in(room, "name") for room in conference.rooms}
    room_positions = {room.id: room.position for room in conference.rooms}
    track_names = {track.id: text_in(track, "name") for track in conference.tracks}
    speaker_names = _speaker_names_by_talk(conference.id)
    talk_url = id_links(url_for, "schedule.talk", "talk_id", slug=conference.slug)
    columns: list[Any] = [
        Talk.id,
        Talk.title,
        Talk.kind,
        Talk.status,
        Talk.start_at,
        Talk.end_at,
        Talk.room_id,
        Talk.track_id,
        Talk.translations,
        Talk.languages,
        Talk.interpretation,
    ]
    # Abstracts are long: read only when a search needs them.
    rows = db.session.execute(
        sa.select(*columns, Talk.abstract if with_abstract else sa.literal(""))
        .where(Talk.conference_id == conference.id, Talk.start_at.is_not(None), *conditions)
        .order_by(Talk.start_at, Talk.id)
    )
    cards = []
    texts = {}
    # Sessions in parallel rooms share their times: convert and format each span once.
    spans: dict[tuple, tuple] = {}
    for (
        talk_id,
        title,
        kind,
        status,
        start,
        end,
        room_id,
        track_id,
        translations,
        languages,
        interpretation,
        abstract,
    ) in rows:
        texts_of = _Row(title, abstract, translations)
        title, title_language = text_and_language(texts_of, "title", main=main)
        span = spans.get((start, end))
        if span is None:
            span = spans[start, end] = (*clock_span(start, end, tz), start.astimezone(tz).date())
        start_label, end_label, time_label, day = span
        speakers = speaker_names.get(talk_id, "")
        cards.append(
            SessionCard(
                id=talk_id,
                title=title,
                kind=kind,
                cancelled=status == "cancelled",
                url=talk_url(talk_id),
                start=start,
                end=end,
                day=day,
                start_label=start_label,
                end_label=end_label,
                time_label=time_label,
                room_id=room_id,
                room=room_names.get(room_id, ""),
                room_position=room_positions.get(room_id, -1),
                track_id=track_id,
                track=track_names.get(track_id, ""),
                speakers=speakers,
                title_lang=title_language if title_language != page_language else None,
                languages=tuple(languages or ()),
                interpretation=bool(interpretation),
                heard_in=heard_in(languages or (), bool(interpretation), main),
            )
        )
        if with_abstract:
            # What the reader sees is what they search: the texts in their language.
            abstract = text_in(texts_of, "abstract")
            texts[talk_id] = search_text(title, speakers, abstract)
    return cards, texts


def schedule_context(conference: Conference, filters: Filters = NO_FILTERS) -> dict:
    """Everything the schedule template needs, as plain data, in a fixed number of queries.

    Filtering happens here rather than in SQL so that the choices offered (days, kinds)
    come from the whole programme, and the search compares text exactly as the page's
    script does.
    """
    cards, texts = session_cards(conference, with_abstract=bool(filters.terms))
    shown = [card for card in cards if filters.matches(card, texts.get(card.id, ""))]
    present_kinds = {card.kind for card in cards}
    present_languages = {code for card in cards for code in card.heard_in}
    return {
        "conference": conference,
        "room_names": {room.id: text_in(room, "name") for room in conference.rooms},
        "days": build_days(
            shown, [room.id for room in conference.rooms], leave_out_empty_rooms=True
        ),
        "filters": filters,
        "day_options": sorted({card.day for card in cards}),
        "kind_options": [kind for kind in TALK_KINDS if kind in present_kinds],
        "language_options": [
            code for code in current_app.config["LANGUAGES"] if code in present_languages
        ],
        "total": len(cards),
        "shown": len(shown),
    }


def viewer_clock(conference: Conference) -> tuple[ViewerClock | None, str | None]:
    """The viewer's own clock when the page was asked for with ``?tz=<IANA zone>``, or
    the message explaining why an unknown zone is ignored."""
    name = request.args.get("tz", "").strip()
    if not name:
        return None, None
    if not is_valid_timezone(name):
        message = _("“%(zone)s” is not a time zone we know; use a name such as Europe/Rome.")
        return None, message % {"zone": name[:60]}
    return ViewerClock(ZoneInfo(name), conference.tz), None


def _speaker_names_by_talk(conference_id: int) -> dict[int, str]:
    """Each session's speakers as one line of names, in alphabetical order."""
    names = defaultdict(list)
    rows = db.session.execute(
        sa.select(talk_speaker.c.talk_id, Speaker.name)
        .join(Speaker, Speaker.id == talk_speaker.c.speaker_id)
        .where(Speaker.conference_id == conference_id)
        .order_by(Speaker.name)
    )
    for talk_id, name in rows:
        names[talk_id].append(name)
    return {talk_id: ", ".join(talk_names) for talk_id, talk_names in names.items()}


# --- the schedule -----------------------------------------------------------------------


@bp.get("/schedule")
def schedule(slug: str):
    # Validated from the conference row alone (the ETag covers the full path, so the
    # filters, view and zone, and the language); the rest loads only when the page is sent.
    conference = get_published_or_404(slug)
    is_on = conference.start_date <= local_day(utcnow(), conference.tz) <= conference.end_date
    embed = request.args.get("embed") == "1"
    response = conditional_page(
        conference, lambda: _schedule_page(conference, embed, is_on), key=("on", is_on)
    )
    if embed:
        # Only the embeddable schedule may be framed by other sites; every other page keeps
        # the default frame-ancestors 'self'.
        response.headers["Content-Security-Policy"] = EMBED_POLICY
    return response


def _schedule_page(conference: Conference, embed: bool, is_on: bool) -> Response:
    filters, problems = read_filters(conference, request.args)
    viewer, zone_error = viewer_clock(conference)
    page = render_template(
        "schedule/schedule.html",
        view="list" if request.args.get("view") == "list" else "grid",
        embed=embed,
        viewer=viewer,
        zone_error=zone_error,
        filter_problems=problems,
        is_on=is_on,
        **schedule_context(conference, filters),
    )
    return make_response(page, 400 if problems else 200)


EMBED_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *"
)


@bp.get("/schedule/search.json")
def search_index(slug: str):
    """Each session's searchable text, normalised: the schedule's script fetches it on the
    first search, so that the page itself does not carry every abstract."""
    conference = get_published_or_404(slug)

    def index() -> Response:
        _, texts = session_cards(conference, with_abstract=True)
        return jsonify({"texts": {str(talk_id): text for talk_id, text in texts.items()}})

    return conditional_page(conference, index)


@bp.get("/schedule/<day>/print")
def print_day(slug: str, day: str):
    """One day as a compact table that fits a printed A4 page."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        abort(404)
    conference = get_published_or_404(slug)

    def agenda() -> str:
        context = schedule_context(conference, Filters(day=wanted))
        if not context["days"]:
            abort(404)
        return render_template("schedule/print_day.html", day=context["days"][0], **context)

    return conditional_page(conference, agenda)


# --- now and next -----------------------------------------------------------------------


@dataclass
class RoomNow:
    """What is on in one room (or, without a name, for everyone) and what comes next."""

    name: str
    now: list[SessionCard]
    next: SessionCard | None


def now_and_next(conference: Conference, at: datetime) -> tuple[str, list[RoomNow]]:
    """The state of the programme at ``at`` (before, during, after) and, during it, each
    room's current and next sessions; a next session skips cancelled ones."""
    first, last = db.session.execute(
        sa.select(sa.func.min(Talk.start_at), sa.func.max(Talk.end_at)).where(
            Talk.conference_id == conference.id, Talk.start_at.is_not(None)
        )
    ).one()
    if first is None:
        return "empty", []
    if at < first:
        return "before", []
    if at >= last:
        return "after", []
    cards, _ = session_cards(conference, Talk.end_at > at)
    rooms: dict[int | None, RoomNow] = {None: RoomNow("", [], None)}
    rooms.update((room.id, RoomNow(text_in(room, "name"), [], None)) for room in conference.rooms)
    for card in cards:
        place = rooms.get(card.room_id, rooms[None])
        if card.start <= at:
            place.now.append(card)
        elif place.next is None and not card.cancelled:
            place.next = card
    return "during", [place for place in rooms.values() if place.now or place.next]


@bp.get("/now")
def now(slug: str):
    conference = get_published_or_404(slug, Conference.rooms, Conference.tracks)
    at = utcnow()
    state, rooms = now_and_next(conference, at)
    viewer, zone_error = viewer_clock(conference)
    return render_template(
        "schedule/now.html",
        conference=conference,
        state=state,
        rooms=rooms,
        at=at,
        today=local_day(at, conference.tz),
        viewer=viewer,
        zone_error=zone_error,
    )


# --- a session and a speaker ------------------------------------------------------------


def _scheduled_talk_or_404(conference: Conference, talk_id: int) -> Talk:
    # Only what the schedule shows is public: a session without a time yet is a draft.
    talk = db.session.scalar(
        sa.select(Talk)
        .filter_by(id=talk_id, conference_id=conference.id)
        .where(Talk.start_at.is_not(None))
        .options(selectinload(Talk.speakers), selectinload(Talk.room), selectinload(Talk.track))
    )
    if talk is None:
        abort(404)
    return talk


@bp.get("/sessions/<id:talk_id>")
def talk(slug: str, talk_id: int):
    conference = get_published_or_404(slug)
    talk = _scheduled_talk_or_404(conference, talk_id)
    viewer, zone_error = viewer_clock(conference)
    return render_template(
        "schedule/talk.html",
        conference=conference,
        talk=talk,
        viewer=viewer,
        zone_error=zone_error,
    )


@dataclass
class AgendaState:
    """A session as seen by one attendee: whether they may change it, and their standing."""

    can_change: bool
    reason: str  # why not, when they cannot
    signup: SessionSignup | None
    position: int | None  # on the session's waiting list
    seats_left: int | None  # None: no limit of its own
    waiting: int
    clashes_with: list[Talk]


def agenda_state(conference: Conference, registration: Registration, talk: Talk) -> AgendaState:
    signups = list(
        db.session.scalars(
            sa.select(SessionSignup)
            .filter_by(registration_id=registration.id)
            .options(selectinload(SessionSignup.talk))
        )
    )
    signup = next((s for s in signups if s.talk_id == talk.id), None)
    counts = dict(
        db.session.execute(
            sa.select(SessionSignup.status, sa.func.count())
            .filter_by(talk_id=talk.id)
            .group_by(SessionSignup.status)
        ).all()
    )
    others = [s.talk for s in signups if s.talk_id != talk.id]
    clashes = registration_services.find_clashes([talk, *others]).get(talk.id, [])
    reason = ""
    if conference.registration_state(utcnow()) == "past":
        reason = _("The conference is over: the agenda can no longer change.")
    elif registration.status != "confirmed":
        reason = _("You can pick sessions once you hold a seat at the conference.")
    elif signup is None and not registration_services.is_pickable(talk, conference):
        reason = _("This session cannot be added to an agenda.")
    taken = counts.get("confirmed", 0)
    return AgendaState(
        can_change=not reason,
        reason=reason,
        signup=signup,
        position=registration_services.session_waiting_position(signup) if signup else None,
        seats_left=None if talk.capacity is None else max(talk.capacity - taken, 0),
        waiting=counts.get("waiting", 0),
        clashes_with=clashes,
    )


@bp.get("/manage/<token>/sessions/<id:talk_id>")
def private_talk(slug: str, token: str, talk_id: int):
    """The session page for an attendee holding the management link, with Join / Leave.

    A page of its own, so that the public session page stays the same for everyone (and
    cacheable): no secret, no cookie, no personal state in it."""
    conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
    registration = (
        registration_services.registration_for_token(conference, token) if conference else None
    )
    if conference is None or registration is None:
        abort(404)
    talk = _scheduled_talk_or_404(conference, talk_id)
    viewer, zone_error = viewer_clock(conference)
    response = make_response(
        render_template(
            "schedule/talk.html",
            conference=conference,
            talk=talk,
            viewer=viewer,
            zone_error=zone_error,
            token=token,
            agenda=agenda_state(conference, registration, talk),
        )
    )
    # The secret is in the address: never cached, indexed, or sent on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/speakers/<id:speaker_id>")
def speaker(slug: str, speaker_id: int):
    conference = get_published_or_404(slug)
    speaker = db.session.scalar(
        sa.select(Speaker).filter_by(id=speaker_id, conference_id=conference.id)
    )
    talks = (
        db.session.scalars(
            sa.select(Talk)
            .where(Talk.speakers.contains(speaker), Talk.start_at.is_not(None))
            .options(selectinload(Talk.room), selectinload(Talk.track))
            .order_by(Talk.start_at, Talk.id)
        ).all()
        if speaker is not None
        else []
    )
    # A speaker is public through a session on the schedule, as in the API; one who only
    # has sessions without a time yet is not announced.
    if not talks:
        abort(404)
    return render_template(
        "schedule/speaker.html", conference=conference, speaker=speaker, talks=talks
    )
