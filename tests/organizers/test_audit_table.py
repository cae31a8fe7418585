"""The audit log as a table people read: actions in words, one line per changed field,
text shown as typed (no JSON escapes), times in the conference's zone."""

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import sqlalchemy as sa

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from tests.factories import make_conference
from tests.organizers.conftest import give_role, log_in, make_user

ROOT = Path(__file__).resolve().parents[2]
# The kinds of rows ``conferences.services.save_audited`` / ``delete_audited`` name actions after.
ROW_KINDS = ("room", "track", "speaker", "question")
SPEAKER_RESPONSES = ("pending", "confirmed", "declined")


@pytest.fixture
def conference(app, client):
    conference = make_conference(slug="sz", title="Shenzhen Days")  # Asia/Shanghai
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    log_in(client, organizer)
    db.session.execute(sa.delete(AuditEntry))  # only the entries each test writes
    db.session.commit()
    return conference


def entry(conference, action, *, before=None, after=None, summary="", at=None):
    row = AuditEntry(
        conference_id=conference.id,
        actor="organizer@example.org",
        action=action,
        object_type="registration",
        object_id=1,
        summary=summary,
        before=before,
        after=after,
        created_at=at or datetime(2027, 3, 1, 23, 30, tzinfo=UTC),
    )
    db.session.add(row)
    db.session.commit()
    return row


def rows(response):
    page = lxml.html.fromstring(response.text)
    table = page.xpath("//table[contains(@class, 'audit')]")[0]
    return [
        [re.sub(r"\s+", " ", cell.text_content()).strip() for cell in row.xpath("./td")]
        for row in table.xpath(".//tbody/tr")
    ]


def test_each_changed_field_is_a_line_from_before_to_after(client, conference):
    entry(
        conference,
        "registration.updated",
        before={"full_name": "Li Na", "affiliation": "", "status": "waiting"},
        after={"full_name": "李娜", "affiliation": "深圳大学", "status": "confirmed"},
        summary="李娜",
    )

    response = client.get("/manage/c/sz/audit")

    [(when, who, what, changes)] = rows(response)
    assert who == "organizer@example.org"
    assert what == "Attendee details changed — 李娜"
    assert "Full name: Li Na → 李娜" in changes
    assert "Affiliation: (empty) → 深圳大学" in changes
    assert "Status: Waiting → Confirmed" in changes
    assert "\\u" not in response.text and "&#34;" not in response.text


def test_times_are_in_the_conference_zone(client, conference):
    # 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai.
    entry(conference, "registration.created", after={"status": "confirmed"})

    response = client.get("/manage/c/sz/audit")

    [(when, *_rest)] = rows(response)
    assert when == "2027-03-02 07:30:00 CST"
    assert "When (Asia/Shanghai)" in response.text


def test_lists_values_and_the_older_changed_entries_read_as_words(client, conference):
    entry(conference, "registration.updated", after={"changed": ["full_name", "answers"]})
    entry(
        conference,
        "question.updated",
        before={"choices": ["Vegan"], "required": False},
        after={"choices": ["Vegan", "素食"], "required": True},
    )

    text = " ".join(" ".join(row) for row in rows(client.get("/manage/c/sz/audit")))

    assert "Changed: Full name, Answers" in text
    assert "Choices: Vegan → Vegan, 素食" in text
    assert "Required: No → Yes" in text


def test_an_unknown_action_and_field_still_show(client, conference):
    entry(conference, "future.thing", after={"mystery": "x"})

    [(_when, _who, what, changes)] = rows(client.get("/manage/c/sz/audit"))

    assert what == "future.thing"
    assert changes == "mystery: x"


def test_every_action_the_code_logs_has_words(app):
    source = "\n".join(path.read_text() for path in (ROOT / "eventreg").rglob("*.py"))
    found = set(re.findall(r'audit\.log\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', source))
    found |= {f"{kind}.{verb}" for kind in ROW_KINDS for verb in ("created", "updated", "deleted")}
    found |= {f"speaker.{response}" for response in SPEAKER_RESPONSES}
    found |= {"conference.published", "conference.unpublished"}
    assert len(found) > 30  # the pattern still finds the calls

    labels = app.jinja_env.get_template("organizers/_audit_table.html").module.action_labels

    assert sorted(found - set(labels)) == []
