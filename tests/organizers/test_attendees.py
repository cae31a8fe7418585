"""Attendees for organizers: the dashboard figures, the list and its filters, the CSV export
(with formula neutralisation), and the cancel and resend actions."""

import csv
import io
import re
from datetime import UTC, datetime
from itertools import count

import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import reports as attendees
from eventreg.registration.models import Answer, Question, Registration, SessionSignup
from tests.factories import make_conference, make_talk
from tests.organizers.conftest import give_role, log_in, make_user, post_form

_numbers = count(1)


def register(conference, name, status="confirmed", *, created_at=None, **fields):
    n = next(_numbers)
    registration = Registration(
        conference=conference,
        full_name=name,
        email=fields.pop("email", f"person{n}@example.org"),
        status=status,
        token_hash=f"{n:064x}",
        created_at=created_at or datetime(2027, 1, 1, 12, 0, tzinfo=UTC),
        **fields,
    )
    if status == "confirmed":
        registration.confirmed_at = registration.created_at
    db.session.add(registration)
    db.session.commit()
    return registration


def add_mail(conference, status):
    n = next(_numbers)
    db.session.add(
        OutboxMessage(
            conference_id=conference.id,
            kind="registration_confirmed",
            message_id=f"<{n}@example.org>",
            recipient="someone@example.org",
            subject="Hello",
            raw=b"Subject: Hello\r\n\r\nHello\r\n",
            status=status,
        )
    )
    db.session.commit()


@pytest.fixture
def conference(app, client):
    conference = make_conference(slug="sz", title="Shenzhen Days", capacity=3)
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    log_in(client, organizer)
    return conference


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_counts_seats_sessions_days_and_mail(app, client, conference):
    # 23:30 UTC on 1 March is already 2 March in Shanghai (UTC+8).
    first = register(conference, "Li Na", created_at=datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
    second = register(conference, "Wang Wei", created_at=datetime(2027, 3, 1, 23, 30, tzinfo=UTC))
    register(
        conference, "Marco Bianchi", "waiting", created_at=datetime(2027, 3, 2, 3, 0, tzinfo=UTC)
    )
    register(
        conference, "Anna Verdi", "cancelled", created_at=datetime(2027, 3, 3, 1, 0, tzinfo=UTC)
    )
    workshop = make_talk(conference, title="Lab Workshop", kind="workshop", capacity=1)
    make_talk(conference, title="Unpopular Talk")
    db.session.add_all(
        [
            SessionSignup(registration=first, talk=workshop, status="confirmed"),
            SessionSignup(registration=second, talk=workshop, status="waiting"),
        ]
    )
    db.session.commit()
    for status in ("pending", "pending", "sent", "failed"):
        add_mail(conference, status)

    figures = attendees.dashboard(conference)

    assert figures.counts == {
        "confirmed": 2,
        "waiting": 1,
        "cancelled": 1,
        "pending": 0,
        "rejected": 0,
    }
    assert (figures.capacity, figures.seats_left) == (3, 1)
    [fill] = figures.sessions  # only sessions with a seat limit or sign-ups
    assert (fill.talk.title, fill.confirmed, fill.waiting, fill.full) == (
        "Lab Workshop",
        1,
        1,
        True,
    )
    assert [(day.isoformat(), n) for day, n in figures.signups_per_day] == [
        ("2027-03-01", 1),
        ("2027-03-02", 2),
        ("2027-03-03", 1),
    ]
    assert figures.emails == {"pending": 2, "sent": 1, "failed": 1}

    page = client.get("/manage/c/sz/dashboard")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "<strong>2</strong> confirmed" in text and "<strong>1</strong> waiting" in text
    assert "<strong>3</strong> seats</li> <li><strong>1</strong> free" in text
    assert '<th scope="row">2027-03-02</th><td class="number">2</td>' in text
    assert "<strong>2</strong> waiting to be sent" in text
    assert "<strong>1</strong> failed" in text


def test_the_dashboard_of_another_conference_counts_nothing_of_this_one(app, client, conference):
    register(conference, "Li Na")
    other = make_conference()

    figures = attendees.dashboard(other)

    assert set(figures.counts.values()) == {0}
    assert figures.signups_per_day == [] and figures.sessions == []


# --- the list -------------------------------------------------------------------------------------


def names_on(page) -> list[str]:
    # Each name links to the attendee's page: the text of the row's header cell.
    return [
        re.sub(r"<[^>]+>", "", line.strip()[len('<th scope="row">') : -len("</th>")])
        for line in page.text.splitlines()
        if line.strip().startswith('<th scope="row">')
    ]


def test_the_list_searches_names_addresses_and_affiliations_in_any_case(app, client, conference):
    register(conference, "李娜", affiliation="Shenzhen University")
    register(conference, "Giulia Rossi", email="giulia@pavia.example.org")
    register(conference, "Marco Bianchi", affiliation="Università di Pavia")
    register(conference, "100% Sure")

    assert names_on(client.get("/manage/c/sz/attendees?q=李")) == ["李娜"]
    assert names_on(client.get("/manage/c/sz/attendees?q=PAVIA")) == [
        "Giulia Rossi",
        "Marco Bianchi",
    ]
    assert names_on(client.get("/manage/c/sz/attendees?q=shenzhen")) == ["李娜"]
    # A wildcard typed in the search box is a character, not a pattern.
    assert names_on(client.get("/manage/c/sz/attendees?q=%25")) == ["100% Sure"]


def test_the_list_filters_by_status_and_by_session(app, client, conference):
    li = register(conference, "Li Na")
    register(conference, "Wang Wei")
    register(conference, "Anna Verdi", "waiting")
    workshop = make_talk(conference, title="Lab Workshop")
    db.session.add(SessionSignup(registration=li, talk=workshop, status="confirmed"))
    db.session.commit()

    waiting = client.get("/manage/c/sz/attendees?status=waiting")
    in_workshop = client.get(f"/manage/c/sz/attendees?session={workshop.id}")

    assert names_on(waiting) == ["Anna Verdi"]
    assert names_on(in_workshop) == ["Li Na"]
    assert names_on(client.get("/manage/c/sz/attendees?status=nonsense")) == [
        "Li Na",
        "Wang Wei",
        "Anna Verdi",
    ]


def test_the_list_is_paginated(app, client, conference):
    for n in range(53):
        register(conference, f"Attendee {n:02d}", created_at=datetime(2027, 1, 1, 0, n, tzinfo=UTC))

    first = client.get("/manage/c/sz/attendees")
    second = client.get("/manage/c/sz/attendees?page=2")

    assert len(names_on(first)) == 50 and names_on(first)[0] == "Attendee 00"
    assert names_on(second) == ["Attendee 50", "Attendee 51", "Attendee 52"]
    assert "53 registrations" in first.text and "Page 1 of 2" in first.text
    assert names_on(client.get("/manage/c/sz/attendees?page=9")) == []


# --- the CSV export ---------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_has_every_registration_with_its_answers_as_columns(app, client, conference):
    diet = Question(
        conference=conference,
        label="Diet",
        kind="multiple_choice",
        choices=["Vegetarian", "Halal"],
        position=1,
    )
    photos = Question(conference=conference, label="Photos OK?", kind="checkbox", position=2)
    note = Question(conference=conference, label="Note", kind="long_text", position=3)
    db.session.add_all([diet, photos, note])
    li = register(
        conference, "李娜", email="lina@example.org", affiliation="深圳大学", country="China"
    )
    register(conference, "Marco Bianchi", "waiting")
    db.session.add_all(
        [
            Answer(registration=li, question=diet, value=["Vegetarian", "Halal"]),
            Answer(registration=li, question=photos, value=False),
            Answer(registration=li, question=note, value="Arriving late, 到得晚"),
        ]
    )
    workshop = make_talk(conference, title="Lab Workshop")
    db.session.add(SessionSignup(registration=li, talk=workshop, status="waiting"))
    db.session.commit()

    response = client.get("/manage/c/sz/attendees.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sz-attendees.csv"'
    rows = read_csv(response)
    assert list(rows[0])[-3:] == ["Diet", "Photos OK?", "Note"]
    assert [row["full_name"] for row in rows] == ["李娜", "Marco Bianchi"]
    lina = rows[0]
    assert lina["email"] == "lina@example.org"
    assert lina["affiliation"] == "深圳大学"
    assert lina["status"] == "confirmed"
    assert lina["registered_at_utc"] == "2027-01-01 12:00:00"
    assert lina["sessions"] == "Lab Workshop (waiting)"
    assert (lina["Diet"], lina["Photos OK?"], lina["Note"]) == (
        "Vegetarian; Halal",
        "no",
        "Arriving late, 到得晚",
    )
    assert rows[1]["Diet"] == "" and rows[1]["status"] == "waiting"


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+39 02 1234", "'+39 02 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Plain Name", "Plain Name"),
        ("Ada = Lovelace", "Ada = Lovelace"),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_are_exported_as_text(
    app, client, conference, typed, exported
):
    question = Question(conference=conference, label="=cmd|' /C calc'!A0", kind="short_text")
    db.session.add(question)
    registration = register(conference, typed, affiliation=typed)
    db.session.add(Answer(registration=registration, question=question, value=typed))
    db.session.commit()

    [row] = read_csv(client.get("/manage/c/sz/attendees.csv"))

    assert row["full_name"] == exported
    assert row["affiliation"] == exported
    assert row["'=cmd|' /C calc'!A0"] == exported  # question labels too


def test_neutralise_leaves_safe_text_alone():
    assert attendees.neutralise("") == ""
    assert attendees.neutralise("Dr. Sun") == "Dr. Sun"
    assert attendees.neutralise("=1") == "'=1"


# --- actions ----------------------------------------------------------------------------


def test_cancelling_from_the_list_frees_the_seat_for_the_first_in_line(app, client, conference):
    conference.capacity = 1
    db.session.commit()
    seated = register(conference, "Li Na")
    waiting = register(conference, "Marco Bianchi", "waiting")

    response = post_form(
        client,
        f"/manage/c/sz/attendees/{seated.id}/cancel",
        {"back": "/manage/c/sz/attendees?status=confirmed"},
        form_page="/manage/c/sz/attendees",
    )

    assert response.status_code == 302
    assert response.location == "/manage/c/sz/attendees?status=confirmed"
    db.session.expire_all()
    assert db.session.get(Registration, seated.id).status == "cancelled"
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    [entry] = db.session.scalars(sa.select(AuditEntry).filter_by(action="registration.cancelled"))
    assert entry.actor == "organizer@example.org"
    assert (entry.before, entry.after) == ({"status": "confirmed"}, {"status": "cancelled"})
    assert "1 promoted from the waiting list" in entry.summary


def test_resending_the_link_mails_a_fresh_one_and_the_old_one_stops_working(
    app, client, conference
):
    registration = register(conference, "Li Na", email="lina@example.org")
    old_hash = registration.token_hash

    response = post_form(
        client,
        f"/manage/c/sz/attendees/{registration.id}/resend",
        {"back": "https://evil.example/"},
        form_page="/manage/c/sz/attendees",
    )

    assert response.location == "/manage/c/sz/attendees"  # never off the site
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).token_hash != old_hash
    recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert "lina@example.org" in recipients
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="registration.link_resent"))


def test_a_registration_of_another_conference_is_not_found_here(app, client, conference):
    stranger = register(make_conference(), "Somebody Else")

    for action in ("cancel", "resend"):
        response = post_form(
            client,
            f"/manage/c/sz/attendees/{stranger.id}/{action}",
            {},
            form_page="/manage/c/sz/attendees",
        )
        assert response.status_code == 404
    db.session.refresh(stranger)
    assert stranger.status == "confirmed"
