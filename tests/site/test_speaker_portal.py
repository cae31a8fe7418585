"""The speaker's private pages: reached only with the secret, in the speaker's language,
every change a POST with CSRF."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from eventreg.conferences.models import Speaker, SpeakerAvailability, talk_speaker
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token
from tests.conftest import csrf_token_from
from tests.factories import at, make_conference, make_speaker, make_talk
from tests.registration.helpers import outbox, page_text, readable_text


@pytest.fixture
def conference(app):
    return make_conference(main_language="en", published=False)


@pytest.fixture
def speaker(conference):
    return make_speaker(conference, name="Ada Lovelace", email="ada@example.org")


@pytest.fixture
def link(conference, speaker) -> str:
    token = new_token()
    speaker.token_hash = hash_token(token)
    db.session.commit()
    return f"/c/{conference.slug}/speaker/{token}/"


def _post(client, page: str, action: str, **data):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def _response(talk, speaker) -> str:
    db.session.commit()
    return db.session.scalar(
        sa.select(talk_speaker.c.response).where(
            talk_speaker.c.talk_id == talk.id, talk_speaker.c.speaker_id == speaker.id
        )
    )


def test_a_wrong_or_old_secret_gets_404(client, conference, link):
    assert client.get(link).status_code == 200
    assert client.get(f"/c/{conference.slug}/speaker/nope/").status_code == 404
    assert client.get(f"/c/other/speaker/{link.split('/')[-2]}/").status_code == 404


def test_the_page_is_private(client, link):
    response = client.get(link)
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_a_speaker_confirms_a_session(client, conference, speaker, link):
    talk = make_talk(conference, title="Opening talk", speakers=[speaker])
    page = client.get(link)
    assert "Opening talk" in page_text(page) and "Awaiting your answer" in page_text(page)
    response = _post(client, link, link + f"sessions/{talk.id}/respond", response="confirmed")
    assert response.status_code == 303
    assert _response(talk, speaker) == "confirmed"
    assert "Confirmed" in page_text(client.get(link))


def test_a_decline_goes_to_the_organizers(client, conference, speaker, link):
    talk = make_talk(conference, speakers=[speaker])
    _post(client, link, link + f"sessions/{talk.id}/respond", response="declined")
    assert _response(talk, speaker) == "declined"
    assert [m.recipient for m in outbox(kind="speaker_declined")] == [conference.organizer_email]


def test_answers_need_the_csrf_token_and_a_known_answer(client, conference, speaker, link):
    talk = make_talk(conference, speakers=[speaker])
    assert (
        client.post(
            link + f"sessions/{talk.id}/respond", data={"response": "confirmed"}
        ).status_code
        == 400
    )
    _post(client, link, link + f"sessions/{talk.id}/respond", response="perhaps")
    assert _response(talk, speaker) == "pending"
    other = make_talk(conference)
    response = _post(client, link, link + f"sessions/{other.id}/respond", response="confirmed")
    assert response.status_code == 303
    assert "no longer a speaker" in page_text(client.get(link))


def test_the_pages_speak_the_speakers_language(client, conference, speaker, link):
    speaker.language = "zh"
    db.session.commit()
    html = client.get(link).get_data(as_text=True)
    assert '<html lang="zh' in html
    assert "Skip to content" not in html  # the layout's own words are in Chinese
    # ?lang= chooses another language for one page.
    assert '<html lang="it' in client.get(link + "?lang=it").get_data(as_text=True)


def test_the_profile_is_saved_in_each_language(client, conference, speaker, link):
    response = _post(
        client,
        link + "profile",
        link + "profile",
        title_en="Engineer",
        bio_en="Wrote the first program.",
        title_zh="工程师",
        bio_zh="",
        title_it="",
        bio_it="",
        link_label_0="Website",
        link_url_0="https://example.org/ada",
        link_label_1="",
        link_url_1="",
        language="zh",
    )
    assert response.status_code == 303, page_text(response)
    db.session.commit()
    saved = db.session.get(Speaker, speaker.id)
    assert saved.title == "Engineer" and saved.translations == {"zh": {"title": "工程师"}}
    assert saved.links == [{"label": "Website", "url": "https://example.org/ada"}]
    assert saved.language == "zh"
    page = client.get(link + "profile").get_data(as_text=True)
    assert 'value="工程师"' in page and 'value="https://example.org/ada"' in page
    # The public speaker page (public once they have a session on the schedule) lists them.
    make_talk(conference, title="Opening talk", speakers=[saved])
    conference.published = True
    db.session.commit()
    public = client.get(f"/c/{conference.slug}/speakers/{speaker.id}").get_data(as_text=True)
    assert '<a href="https://example.org/ada" rel="nofollow noopener">Website</a>' in public


def test_a_bad_link_is_refused_next_to_its_field(client, conference, speaker, link):
    response = _post(
        client,
        link + "profile",
        link + "profile",
        title_en="Engineer",
        link_label_0="Evil",
        link_url_0="javascript:alert(1)",
        language="",
    )
    assert response.status_code == 422
    assert "https://" in page_text(response)
    db.session.commit()
    assert db.session.get(Speaker, speaker.id).title == ""


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (500, 300), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_speaker_uploads_and_removes_their_photo(client, conference, speaker, link):
    token = csrf_token_from(client.get(link + "profile").get_data(as_text=True))
    response = client.post(
        link + "photo",
        data={"csrf_token": token, "action": "photo", "photo": (io.BytesIO(_png()), "me.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    db.session.commit()
    assert db.session.get(Speaker, speaker.id).photo_key
    bad = client.post(
        link + "photo",
        data={
            "csrf_token": token,
            "action": "photo",
            "photo": (io.BytesIO(b"not an image"), "x.png"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    client.post(link + "photo", data={"csrf_token": token, "action": "remove-photo"})
    db.session.commit()
    assert db.session.get(Speaker, speaker.id).photo_key is None


def test_availability_per_day_on_the_conference_clock(client, conference, speaker, link):
    day = conference.start_date.isoformat()
    response = _post(
        client,
        link + "availability",
        link + "availability",
        day_0=day,
        start_0="09:00",
        end_0="12:00",
        day_1="",
        start_1="",
        end_1="",
    )
    assert response.status_code == 303, page_text(response)
    db.session.commit()
    [span] = db.session.scalars(sa.select(SpeakerAvailability)).all()
    assert span.start_at == at(conference, conference.start_date, "09:00")
    assert "09:00–12:00" in page_text(client.get(link))


def test_a_half_filled_or_backwards_row_is_refused(client, conference, speaker, link):
    day = conference.start_date.isoformat()
    half = _post(client, link + "availability", link + "availability", day_0=day, start_0="09:00")
    assert half.status_code == 422
    backwards = _post(
        client,
        link + "availability",
        link + "availability",
        day_0=day,
        start_0="12:00",
        end_0="09:00",
    )
    assert backwards.status_code == 422 and "after the start" in page_text(backwards)
    db.session.commit()
    assert db.session.scalars(sa.select(SpeakerAvailability)).all() == []


# --- the organizers' side ---------------------------------------------------------------


@pytest.fixture
def organizer(client, conference):
    from tests.organizers.conftest import give_role, log_in, make_user

    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return user


def test_an_organizer_sends_a_speaker_their_link_and_sees_the_answers(
    client, conference, speaker, organizer
):
    talk = make_talk(conference, title="Opening talk", speakers=[speaker])
    page = f"/manage/c/{conference.slug}/speakers/{speaker.id}"
    assert "Not answered yet" in page_text(client.get(page))
    response = _post(client, page, page + "/link")
    assert response.status_code == 303
    [message] = outbox(kind="speaker_link")
    assert message.recipient == "ada@example.org"
    link = re.search(r"/c/[^/\s]+/speaker/[A-Za-z0-9_\-]+/", readable_text(message)).group(0)
    client.get(link)  # the speaker's own browser would; the same client is fine here
    _post(client, link, link + f"sessions/{talk.id}/respond", response="confirmed")
    assert "Opening talk: Confirmed" in page_text(client.get(page))
    listing = page_text(client.get(f"/manage/c/{conference.slug}/speakers"))
    assert "Opening talk: Confirmed" in listing
    session_page = page_text(client.get(f"/manage/c/{conference.slug}/sessions/{talk.id}"))
    assert f"{speaker.name}: Confirmed" in session_page
    # A second link ends the first.
    _post(client, page, page + "/link")
    assert client.get(link).status_code == 404


def test_an_organizer_sends_every_speaker_their_link(client, conference, speaker, organizer):
    make_speaker(conference, name="No Mail")
    page = f"/manage/c/{conference.slug}/speakers"
    assert _post(client, page, page + "/links").status_code == 303
    assert [m.recipient for m in outbox(kind="speaker_link")] == ["ada@example.org"]


def test_only_the_conferences_organizers_send_links(client, conference, speaker):
    from tests.organizers.conftest import log_in, make_user

    log_in(client, make_user("stranger@example.org"))
    page = f"/manage/c/{conference.slug}/speakers"
    token = csrf_token_from(client.get("/manage/password").get_data(as_text=True))
    response = client.post(page + f"/{speaker.id}/link", data={"csrf_token": token})
    assert response.status_code in (403, 404)
    assert outbox(kind="speaker_link") == []
