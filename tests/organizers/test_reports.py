"""The reports page: answer summaries per choice and registrations over time, counted by
the database and drawn as accessible SVG with a table of the same figures."""

from datetime import UTC, datetime
from itertools import count

import lxml.html
import pytest

from eventreg.core.extensions import db
from eventreg.registration import reports
from eventreg.registration.models import Answer, Question, Registration
from tests.conftest import count_queries
from tests.factories import make_conference
from tests.organizers.conftest import give_role, log_in, make_user

_numbers = count(1)


def registered(conference, status="confirmed", *, at=None, answers=None):
    n = next(_numbers)
    registration = Registration(
        conference=conference,
        full_name=f"Person {n}",
        email=f"person{n}@example.org",
        status=status,
        token_hash=f"{n:064x}",
        created_at=at or datetime(2027, 3, 1, 4, 0, tzinfo=UTC),
        answers=[Answer(question_id=q.id, value=v) for q, v in (answers or {}).items()],
    )
    db.session.add(registration)
    db.session.commit()
    return registration


@pytest.fixture
def conference(app, client):
    conference = make_conference(slug="sz", title="Shenzhen Days")  # Asia/Shanghai, UTC+8
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    log_in(client, organizer)
    return conference


@pytest.fixture
def questions(conference):
    diet = Question(
        conference=conference,
        label="Dietary needs",
        kind="single_choice",
        choices=["None", "Vegetarian", "素食"],
        position=1,
    )
    workshops = Question(
        conference=conference,
        label="Workshops",
        kind="multiple_choice",
        choices=["Rust", "Go"],
        position=2,
    )
    photos = Question(conference=conference, label="Photos are fine", kind="checkbox", position=3)
    notes = Question(conference=conference, label="Anything else", kind="long_text", position=4)
    db.session.add_all([diet, workshops, photos, notes])
    db.session.commit()
    return diet, workshops, photos, notes


def test_answers_are_counted_per_choice(conference, questions):
    diet, workshops, photos, notes = questions
    registered(conference, answers={diet: "素食", workshops: ["Rust", "Go"], photos: True})
    registered(conference, answers={diet: "素食", workshops: ["Go"], photos: False})
    registered(conference, "waiting", answers={diet: "Vegetarian", workshops: ["Go", "Rust"]})
    registered(conference, answers={notes: "hello"})
    # Cancelled registrations no longer count.
    registered(conference, "cancelled", answers={diet: "None", workshops: ["Rust"]})

    summaries = {s.question.label: s for s in reports.answer_summaries(conference)}

    assert list(summaries) == ["Dietary needs", "Workshops", "Photos are fine"]
    assert summaries["Dietary needs"].counts == [("None", 0), ("Vegetarian", 1), ("素食", 2)]
    assert summaries["Dietary needs"].answered == 3
    assert summaries["Workshops"].counts == [("Rust", 2), ("Go", 3)]
    assert summaries["Photos are fine"].counts == [(True, 1), (False, 1)]


def test_a_removed_choice_still_shows_after_the_current_ones(conference, questions):
    diet = questions[0]
    registered(conference, answers={diet: "Halal"})

    summary = reports.answer_summaries(conference)[0]

    assert summary.counts[-1] == ("Halal", 1)


def test_signups_are_running_totals_per_day_in_the_conference_zone(conference):
    # 23:30 UTC on 1 March is already 2 March in Shanghai.
    registered(conference, at=datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
    registered(conference, at=datetime(2027, 3, 1, 23, 30, tzinfo=UTC))
    registered(conference, "waiting", at=datetime(2027, 3, 2, 3, 0, tzinfo=UTC))
    registered(conference, "cancelled", at=datetime(2027, 3, 2, 4, 0, tzinfo=UTC))
    registered(conference, at=datetime(2027, 3, 5, 1, 0, tzinfo=UTC))

    days = [
        (d.day.isoformat(), d.confirmed, d.waiting) for d in reports.signups_over_time(conference)
    ]

    assert days == [("2027-03-01", 1, 0), ("2027-03-02", 2, 1), ("2027-03-05", 3, 1)]


def test_a_zone_with_a_half_hour_offset_splits_days_right(app):
    conference = make_conference(timezone="Asia/Kolkata")  # UTC+5:30
    registered(conference, at=datetime(2027, 3, 1, 18, 29, tzinfo=UTC))  # 23:59 on 1 March
    registered(conference, at=datetime(2027, 3, 1, 18, 30, tzinfo=UTC))  # 00:00 on 2 March

    days = [(d.day.isoformat(), d.confirmed) for d in reports.signups_over_time(conference)]

    assert days == [("2027-03-01", 1), ("2027-03-02", 2)]


def test_the_page_draws_accessible_charts_with_tables(client, conference, questions):
    diet = questions[0]
    registered(conference, answers={diet: "素食"})
    registered(conference, "waiting", at=datetime(2027, 3, 3, 4, 0, tzinfo=UTC))

    response = client.get("/manage/c/sz/reports")

    assert response.status_code == 200
    page = lxml.html.fromstring(response.text)
    svgs = page.xpath("//svg")
    assert len(svgs) == 4  # registrations over time, and one per choice question
    for svg in svgs:
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.xpath(f".//title[@id='{title_id}']") and svg.xpath(f".//desc[@id='{desc_id}']")
    chart = page.get_element_by_id(f"question-{diet.id}-chart")
    assert "素食: 1" in chart.xpath(".//desc")[0].text_content()
    table = page.get_element_by_id("signups-table")
    assert [[cell.text_content() for cell in row] for row in table.xpath(".//tbody/tr")] == [
        ["2027-03-01", "1", "0"],
        ["2027-03-03", "1", "1"],
    ]


def test_names_in_charts_are_escaped(client, conference):
    question = Question(
        conference=conference,
        label="<script>alert(1)</script>",
        kind="single_choice",
        choices=["<b>bold</b>"],
    )
    db.session.add(question)
    db.session.commit()
    registered(conference, answers={question: "<b>bold</b>"})

    html = client.get("/manage/c/sz/reports").text

    assert "<script>alert" not in html and "<b>bold</b>" not in html


def test_the_page_takes_the_same_queries_for_few_or_many_registrations(
    client, conference, questions
):
    diet, workshops, photos, _notes = questions
    registered(conference, answers={diet: "None", workshops: ["Go"], photos: True})
    db.session.commit()
    with count_queries() as few:
        client.get("/manage/c/sz/reports")
    for day in range(1, 20):
        registered(
            conference,
            at=datetime(2027, 3, 1, 4, 0, tzinfo=UTC),
            answers={diet: "素食", workshops: ["Rust", "Go"], photos: day % 2 == 0},
        )
    db.session.commit()
    with count_queries() as many:
        client.get("/manage/c/sz/reports")

    assert many.count == few.count, "\n".join(many.statements)
