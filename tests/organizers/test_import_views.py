"""The import pages: upload, preview with per-row errors, confirm (signed content), template."""

import io
import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Room, Speaker, Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_talk
from tests.organizers.conftest import give_role, log_in, make_user

HEADER = "title,kind,day,start,end,room,track,speakers,speaker_emails,abstract,languages,capacity"
GOOD = "\n".join(
    [
        HEADER,
        "Opening,keynote,2031-05-06,09:30,10:15,Main Hall,,Ada Li,ada@example.org,Hello,,",
        "Workshop,workshop,2031-05-06,11:00,12:00,Lab,Tools,Ada Li;Ben Rossi,ada@example.org,,,20",
    ]
).encode()
BAD = GOOD + b"\nBroken,lecture,2031-05-06,13:00,14:00,Lab,,,,,,\n"


@pytest.fixture
def conference(app):
    return make_conference(
        slug="forum",
        timezone="Asia/Shanghai",
        start_date=date(2031, 5, 6),
        end_date=date(2031, 5, 7),
    )


@pytest.fixture
def organizer(conference, client):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return user


def upload(client, data: bytes, name: str = "programme.csv", slug: str = "forum"):
    page = client.get(f"/manage/c/{slug}/import")
    assert page.status_code == 200
    return client.post(
        f"/manage/c/{slug}/import",
        data={"csrf_token": csrf_token_from(page.text), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def payload_of(html: str) -> str:
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="payload" name="payload" type="hidden" value="([^"]+)"', html
    )
    assert match, "no confirm form on the page"
    return unescape(match.group(1))


def confirm(client, payload: str, slug: str = "forum"):
    token = csrf_token_from(client.get(f"/manage/c/{slug}/import").text)
    return client.post(
        f"/manage/c/{slug}/import/confirm", data={"csrf_token": token, "payload": payload}
    )


def talks() -> list[str]:
    return sorted(db.session.scalars(sa.select(Talk.title)))


def test_the_preview_lists_what_will_be_created_and_confirming_imports_it(
    client, organizer, conference
):
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    text = unescape(preview.text)
    assert "This import creates: 2 rooms, 1 track, 2 speakers, 2 sessions." in text
    assert "Opening" in text and "2031-05-06 09:30–10:15" in text and "Ben Rossi" in text
    assert talks() == []  # the preview creates nothing

    done = confirm(client, payload_of(preview.text))
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/manage/c/forum/schedule")
    assert talks() == ["Opening", "Workshop"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Speaker)) == 2
    entries = db.session.scalars(
        sa.select(AuditEntry.action).filter_by(conference_id=conference.id)
    ).all()
    assert entries == ["role.granted", "programme.imported"]
    schedule = client.get("/manage/c/forum/schedule")
    assert "Programme imported: 2 rooms, 1 track, 2 speakers, 2 sessions." in unescape(
        schedule.text
    )


def test_a_refused_row_is_named_and_no_confirm_button_is_offered(client, organizer):
    preview = upload(client, BAD)
    assert preview.status_code == 200
    text = unescape(preview.text)
    assert "1 row is refused, so nothing can be imported" in text
    assert "Row 4 (“Broken”): Unknown kind “lecture”" in text
    assert 'name="payload"' not in preview.text
    assert "Upload the corrected file" in text
    assert talks() == []


def test_a_frab_schedule_is_imported_through_the_same_pages(client, organizer, conference):
    source = make_conference(slug="source", timezone="Asia/Shanghai", start_date=date(2031, 5, 6))
    make_talk(source, title="Exported", room=make_room(source, name="Aula"))
    exported = client.get("/c/source/schedule.xml").data
    preview = upload(client, exported, "schedule.xml")
    assert "Exported" in preview.text
    assert confirm(client, payload_of(preview.text)).status_code == 302
    room = db.session.scalar(sa.select(Room).filter_by(conference_id=conference.id))
    assert room.name == "Aula"
    assert talks() == ["Exported", "Exported"]


def test_the_server_plans_again_on_confirm_and_imports_nothing_when_it_clashes_now(
    client, organizer, conference
):
    preview = upload(client, GOOD)
    payload = payload_of(preview.text)
    # Meanwhile someone puts a session in the Main Hall at the same time.
    make_talk(
        conference,
        title="Meanwhile",
        start="09:00",
        end="10:00",
        room=make_room(conference, name="Main Hall"),
    )
    refused = confirm(client, payload)
    assert refused.status_code == 409
    assert "Main Hall is already taken at that time by “Meanwhile”" in unescape(refused.text)
    assert talks() == ["Meanwhile"]


def test_a_changed_or_foreign_payload_is_refused(client, organizer, conference):
    payload = payload_of(upload(client, GOOD).text)
    tampered = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    answer = confirm(client, tampered)
    assert answer.status_code == 400
    assert "expired or was changed" in unescape(answer.text)
    # Signed for this conference: no use in another one the same person organizes.
    other = make_conference(slug="other", timezone="Asia/Shanghai", start_date=date(2031, 5, 6))
    give_role(organizer, other)
    assert confirm(client, payload, slug="other").status_code == 400
    assert confirm(client, "").status_code == 400
    assert talks() == []


def test_a_payload_signed_for_another_account_is_refused(client, organizer, conference):
    payload = payload_of(upload(client, GOOD).text)
    colleague = make_user("colleague@example.org")
    give_role(colleague, conference)
    log_in(client, colleague)
    assert confirm(client, payload).status_code == 400
    assert talks() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("title\nCaffè\n".encode("latin-1"), "not in UTF-8"),
        (b"<schedule><day>", "XML file cannot be read"),
        (b"\x00\x01\x02", "not a text file"),
    ],
)
def test_a_bad_file_is_a_400_with_a_clear_message(client, organizer, data, message):
    answer = upload(client, data)
    assert answer.status_code == 400
    assert message in unescape(answer.text)


def test_no_file_is_a_400(client, organizer):
    page = client.get("/manage/c/forum/import")
    answer = client.post(
        "/manage/c/forum/import",
        data={"csrf_token": csrf_token_from(page.text)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    assert "Choose a file to import." in answer.text


def test_a_file_over_the_limit_is_refused_with_the_limit(client, organizer):
    answer = upload(client, b"title\n" + b"x" * (2 * 1024 * 1024 + 10))
    assert answer.status_code == 413
    assert "at most 2 MB" in answer.text


def test_the_template_can_be_downloaded_and_imports(client, organizer):
    template = client.get("/manage/c/forum/import/template.csv")
    assert template.status_code == 200
    assert template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    body = template.data.decode("utf-8-sig")
    assert body.splitlines()[0] == HEADER
    assert "2031-05-06" in body.splitlines()[1]
    preview = upload(client, template.data)
    assert "This import creates: 1 room, 0 tracks, 2 speakers, 1 session." in unescape(preview.text)


def test_checkin_staff_may_not_import(client, conference):
    staff = make_user("desk@example.org")
    give_role(staff, conference, "checkin")
    log_in(client, staff)
    assert client.get("/manage/c/forum/import").status_code == 403
    assert client.get("/manage/c/forum/import/template.csv").status_code == 403
