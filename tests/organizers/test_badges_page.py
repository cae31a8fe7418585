"""The badges page: organizers choose whose badges and a format, and download the PDF (or
preview one badge); every badge in its holder's language with their own check-in QR code."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.registration import checkin
from tests.conftest import count_queries, csrf_token_from
from tests.factories import make_conference, make_speaker, make_talk
from tests.mail.builders import add_signup, make_registration
from tests.organizers.conftest import give_role, log_in, make_user
from tests.registration.test_badges import qr_matrices, text_of

PAGE = "/manage/c/rome/badges"
PDF = "/manage/c/rome/badges.pdf"


@pytest.fixture
def conference(app):
    return make_conference(
        slug="rome",
        title="Shenzhen–Italy Conference",
        translations={
            "zh": {"title": "深圳—意大利大会"},
            "it": {"title": "Conferenza Shenzhen–Italia"},
        },
    )


@pytest.fixture
def organizer(client, conference):
    user = make_user("organizer@example.org")
    give_role(user, conference, "organizer")
    log_in(client, user)
    return user


@pytest.fixture
def people(conference):
    return {
        "zhang": make_registration(
            conference, full_name="张伟", affiliation="深圳市外事办", locale="zh"
        ),
        "niccolo": make_registration(
            conference,
            full_name="Niccolò Bellincampi",
            affiliation="Università di Firenze",
            locale="it",
            email="Niccolo@example.org",
        ),
        "waiting": make_registration(conference, full_name="Wanda Waiting", status="waiting"),
        "cancelled": make_registration(conference, full_name="Carl Cancelled", status="cancelled"),
    }


def download(client, **data):
    page = client.get(PAGE)
    assert page.status_code == 200
    form = {"format": "a4-8", "selection": "confirmed", "action": "download", **data}
    return client.post(PDF, data={"csrf_token": csrf_token_from(page.text), **form})


def test_the_page_offers_formats_selections_and_the_people_to_tick(client, organizer, people):
    page = client.get(PAGE)
    assert page.status_code == 200
    for value in ("a6", "a4-4", "a4-8", "confirmed", "session", "status", "chosen"):
        assert f'value="{value}"' in page.text
    assert "张伟" in page.text and "Wanda Waiting" in page.text
    assert "Carl Cancelled" not in page.text  # no badge for a cancelled registration
    assert 'formtarget="_blank"' in page.text  # the preview opens in a new tab


def test_a_search_narrows_the_people_listed(client, organizer, people):
    page = client.get(PAGE + "?q=firenze")
    assert "Niccolò Bellincampi" in page.text and "张伟" not in page.text


def test_every_confirmed_attendee_gets_a_badge_in_their_own_language(client, organizer, people):
    response = download(client, format="a4-4")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="badges-rome-a4-4.pdf"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    text = text_of(response.data)
    assert "张伟" in text and "深圳市外事办" in text and "深圳—意大利大会" in text
    assert "Niccolò Bellincampi" in text and "Conferenza Shenzhen–Italia" in text
    assert "Wanda" not in text and "Carl" not in text
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1


def mailed_qr(registration_id: int) -> list[list[bool]]:
    """The QR code of the confirmation e-mail and the management page, module by module."""
    return [[bool(m) for m in row] for row in checkin._qr_code(registration_id).matrix]


def test_each_badge_carries_the_qr_code_the_check_in_desk_reads(client, organizer, people):
    response = download(client, format="a6")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    # Sorted by name: "Niccolò …" before "张伟"; each the very code they were mailed.
    assert qr_matrices(response.data, 0) == [mailed_qr(people["niccolo"].id)]
    assert qr_matrices(response.data, 1) == [mailed_qr(people["zhang"].id)]
    assert checkin.registration_id_from_code(checkin.checkin_code(people["zhang"].id)) == (
        people["zhang"].id
    )


def test_a_speaker_of_the_conference_is_marked_speaker(client, organizer, conference, people):
    make_speaker(conference, name="Niccolò Bellincampi", email="niccolo@EXAMPLE.org")
    make_speaker(make_conference(), name="Elsewhere", email=people["zhang"].email)
    english = make_registration(conference, full_name="Ada Lovelace", locale="en")
    make_speaker(conference, name="Ada Lovelace", email=english.email.upper())
    text = text_of(download(client, selection="chosen", registration=[str(english.id)]).data)
    assert "SPEAKER" in text and "ATTENDEE" not in text
    assert "Shenzhen–Italy Conference" in text  # an English reader's title
    text = text_of(
        download(client, selection="chosen", registration=[str(people["zhang"].id)]).data
    )
    assert "SPEAKER" not in text  # a speaker of another conference only


def test_a_session_s_badges_are_its_confirmed_seat_holders(client, organizer, conference, people):
    workshop = make_talk(conference, title="Workshop")
    add_signup(people["zhang"], workshop)
    add_signup(people["waiting"], workshop)  # waiting for the conference: no seat to show
    text = text_of(download(client, selection="session", session=str(workshop.id)).data)
    assert "张伟" in text and "Niccolò" not in text and "Wanda" not in text


def test_badges_of_one_status(client, organizer, people):
    text = text_of(download(client, selection="status", status="waiting").data)
    assert "Wanda Waiting" in text and "张伟" not in text


def test_ticked_people_only_and_never_another_conference_s(client, organizer, people):
    stranger = make_registration(make_conference(), full_name="Stranger Elsewhere")
    ticked = [str(people["niccolo"].id), str(stranger.id), "not-a-number"]
    text = text_of(download(client, selection="chosen", registration=ticked).data)
    assert "Niccolò Bellincampi" in text
    assert "张伟" not in text and "Stranger" not in text


def test_erased_registrations_get_no_badge(client, organizer, people):
    people["zhang"].erased_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    text = text_of(download(client).data)
    assert "张伟" not in text and "Niccolò" in text


def test_the_preview_is_one_badge_shown_in_the_browser(client, organizer, people):
    response = download(client, format="a4-8", action="preview")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline;")
    text = text_of(response.data)
    assert "Niccolò" in text and "张伟" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "letter"}, "Choose one of the formats offered."),
        ({"selection": "everyone"}, "Choose whose badges to make."),
        ({"selection": "session", "session": "999999"}, "Choose a session of this conference."),
        ({"selection": "status", "status": "cancelled"}, "Choose one of the statuses offered."),
        ({"selection": "chosen"}, "Nobody matches this choice: no badge to make."),
    ],
)
def test_a_choice_that_makes_no_badge_is_explained(client, organizer, people, data, message):
    response = download(client, **data)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.text


def test_another_conference_s_session_is_refused(client, organizer, people):
    other = make_talk(make_conference(), title="Elsewhere")
    response = download(client, selection="session", session=str(other.id))
    assert response.status_code == 400


def test_without_the_csrf_token_nothing_is_made(client, organizer, people):
    response = client.post(PDF, data={"format": "a6", "selection": "confirmed"})
    assert response.status_code == 400
    assert response.mimetype != "application/pdf"


def test_a_missing_font_tells_the_organizer_what_to_install(app, client, organizer, people):
    app.config["BADGE_FONT_PATH"] = "/nowhere/NotoSansCJK-Regular.ttc"
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "fonts-noto-cjk" in page.text and "/nowhere/NotoSansCJK-Regular.ttc" in page.text
    response = download(client)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "fonts-noto-cjk" in response.text


def test_check_in_staff_and_strangers_get_no_badges(client, conference, people):
    staff = make_user("door@example.org")
    give_role(staff, conference, "checkin")
    log_in(client, staff)
    assert client.get(PAGE).status_code == 403
    stranger = make_user("stranger@example.org")
    log_in(client, stranger)
    assert client.get(PAGE).status_code == 404


def test_the_queries_do_not_grow_with_the_number_of_badges(client, organizer, conference, people):
    with count_queries() as few:
        download(client)
    for n in range(10):
        make_registration(conference, full_name=f"Extra {n}")
    with count_queries() as many:
        response = download(client)
    assert text_of(response.data).count("Extra") == 10
    assert many.count == few.count
