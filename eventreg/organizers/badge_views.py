"""Name badges for the desk: choose who (every confirmed attendee, a session's, a
category's, a status, or ticked names) and a format, then download the PDF or preview one
badge in a new tab.

Reading only: the PDF is made in the request from the registrations as they are, and
nothing is written. The layout is ``eventreg.registration.badges``.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, make_response, render_template, request
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from eventreg.conferences.models import Conference, Speaker, Talk
from eventreg.core.extensions import db
from eventreg.core.ids import row_id
from eventreg.core.translations import text_in
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import access, badges, checkin
from eventreg.registration.models import Registration, RegistrationCategory, SessionSignup

SELECTIONS = ("confirmed", "session", "category", "status", "chosen")
# Statuses a badge makes sense for: seat holders, and people who may still get one.
BADGE_STATUSES = ("confirmed", "waiting", "pending")
LISTED = 500  # names offered for ticking; a search narrows a larger conference
MAX_BADGES = 2000  # one PDF; about 10 s to make, beyond that split by session or status


@dataclass
class Choice:
    """What the form asked for, as the page shows it back."""

    format: str = "a4-8"
    selection: str = "confirmed"
    talk_id: int | None = None
    category_id: int | None = None
    status: str = "confirmed"
    chosen: frozenset[int] = frozenset()


@bp.get("/c/<slug>/badges")
@conference_view("organizer")
def badges_page(conference: Conference):
    return _page(conference, Choice())


@bp.post("/c/<slug>/badges.pdf")
@conference_view("organizer")
def badges_pdf(conference: Conference):
    """The PDF as a download, or (``preview``) the first badge alone, shown in the browser."""
    choice = Choice(
        format=request.form.get("format", ""),
        selection=request.form.get("selection", ""),
        talk_id=request.form.get("session", type=row_id),
        category_id=request.form.get("category", type=row_id),
        status=request.form.get("status", ""),
        chosen=frozenset(_ids(request.form.getlist("registration"))),
    )
    if choice.format not in badges.FORMATS:
        return _page(conference, choice, _("Choose one of the formats offered."), 400)
    if choice.selection not in SELECTIONS:
        return _page(conference, choice, _("Choose whose badges to make."), 400)
    if choice.selection == "session" and _talk(conference, choice.talk_id) is None:
        return _page(conference, choice, _("Choose a session of this conference."), 400)
    if choice.selection == "category" and _category(conference, choice.category_id) is None:
        return _page(conference, choice, _("Choose a category of this conference."), 400)
    if choice.selection == "status" and choice.status not in BADGE_STATUSES:
        return _page(conference, choice, _("Choose one of the statuses offered."), 400)
    people = _selected(conference, choice)
    if not people:
        return _page(conference, choice, _("Nobody matches this choice: no badge to make."), 400)
    if len(people) > MAX_BADGES:
        message = _(
            "That is %(count)d badges, more than %(most)d in one file: choose a session or a"
            " status to make them in parts.",
            count=len(people),
            most=MAX_BADGES,
        )
        return _page(conference, choice, message, 400)
    preview = request.form.get("action") == "preview"
    if preview:
        people = people[:1]
    config = current_app.config
    try:
        pdf = badges.render(
            _badge_data(conference, people),
            choice.format,
            font_path=config["BADGE_FONT_PATH"],
            bold_font_path=config["BADGE_BOLD_FONT_PATH"],
            title=_("Badges") + " · " + conference.title,
            accent=conference.accent_color,
        )
    except badges.FontMissing:
        # Not the organizer's mistake and not a crash: the page says what to install.
        return _page(conference, choice)
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    disposition = "inline" if preview else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="badges-{conference.slug}-{choice.format}.pdf"'
    )
    response.cache_control.no_store = True  # names and check-in codes
    return response


def _page(conference: Conference, choice: Choice, error: str | None = None, status: int = 200):
    search = request.values.get("q", "")[:200] if request.method == "GET" else ""
    listed = _listed(conference, search)
    config = current_app.config
    return (
        render_template(
            "organizers/badges.html",
            conference=conference,
            choice=choice,
            error=error,
            formats=badges.FORMATS,
            statuses=BADGE_STATUSES,
            talks=_talks(conference),
            categories=access.categories(conference.id),
            listed=listed[:LISTED],
            more_listed=len(listed) > LISTED,
            search=search,
            missing_fonts=badges.missing_fonts(
                config["BADGE_FONT_PATH"], config["BADGE_BOLD_FONT_PATH"]
            ),
        ),
        status,
    )


def _ids(values: list[str]) -> list[int]:
    result = []
    for value in values:
        try:
            result.append(row_id(value))
        except ValueError:
            continue  # a tampered box names nobody
    return result


def _talk(conference: Conference, talk_id: int | None) -> Talk | None:
    talk = db.session.get(Talk, talk_id) if talk_id is not None else None
    return talk if talk is not None and talk.conference_id == conference.id else None


def _category(conference: Conference, category_id: int | None) -> RegistrationCategory | None:
    found = db.session.get(RegistrationCategory, category_id) if category_id is not None else None
    return found if found is not None and found.conference_id == conference.id else None


def _talks(conference: Conference) -> list[Talk]:
    return list(
        db.session.scalars(
            sa.select(Talk)
            .filter_by(conference_id=conference.id)
            .where(Talk.status != "cancelled")
            .order_by(Talk.start_at, Talk.id)
        )
    )


def _people(conference: Conference):
    """Registrations a badge can be made for: not erased, in the order badges are sorted."""
    return (
        sa.select(Registration)
        .filter_by(conference_id=conference.id)
        .where(Registration.erased_at.is_(None))
        .options(joinedload(Registration.category))  # the badge's band names it
        .order_by(Registration.full_name, Registration.id)
    )


def _listed(conference: Conference, search: str) -> list[Registration]:
    query = _people(conference).where(Registration.status.in_(BADGE_STATUSES))
    search = " ".join(search.split())
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            sa.or_(
                Registration.full_name.ilike(pattern, escape="\\"),
                Registration.affiliation.ilike(pattern, escape="\\"),
                Registration.email.ilike(pattern, escape="\\"),
            )
        )
    return list(db.session.scalars(query.limit(LISTED + 1)))


def _selected(conference: Conference, choice: Choice) -> list[Registration]:
    query = _people(conference)
    if choice.selection == "confirmed":
        query = query.filter_by(status="confirmed")
    elif choice.selection == "status":
        query = query.filter_by(status=choice.status)
    elif choice.selection == "session":
        seats = sa.select(SessionSignup.registration_id).filter_by(
            talk_id=choice.talk_id, status="confirmed"
        )
        query = query.filter_by(status="confirmed").where(Registration.id.in_(seats))
    elif choice.selection == "category":
        query = query.filter_by(status="confirmed", category_id=choice.category_id)
    else:
        if not choice.chosen:
            return []
        query = query.where(Registration.id.in_(sorted(choice.chosen)))
    return list(db.session.scalars(query.limit(MAX_BADGES + 1)))


def _badge_data(conference: Conference, people: list[Registration]) -> list[badges.Badge]:
    """Each badge in its holder's language: the conference's title and the category band,
    the registration's category when it has one, else "Speaker" or "Attendee"."""
    speaker_addresses = set(
        db.session.scalars(
            sa.select(sa.func.lower(Speaker.email)).where(
                Speaker.conference_id == conference.id, Speaker.email.is_not(None)
            )
        )
    )
    result = []
    for person in people:
        language = person.locale or conference.main_language
        with force_locale(language):
            speaker = (person.email or "").lower() in speaker_addresses
            if person.category is not None:
                category = text_in(person.category, "name", language)
            elif speaker:
                category = pgettext("badge", "Speaker")
            else:
                category = pgettext("badge", "Attendee")
        result.append(
            badges.Badge(
                name=person.full_name,
                affiliation=person.affiliation or "",
                category=category,
                conference_title=text_in(conference, "title", language),
                checkin_code=checkin.checkin_code(person.id),
            )
        )
    return result
