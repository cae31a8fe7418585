"""A conference's look: organizers upload a logo and a banner, choose an accent colour and give
speakers photos; the public pages, the check-in desk, the API and every e-mail show them,
and the app serves the images itself, cached for ever."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from eventreg.conferences.models import Conference, Speaker
from eventreg.core import storage
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.demo import load_demo
from eventreg.registration import notifications
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_speaker, make_talk
from tests.mail.builders import make_registration
from tests.mail.mailbox import deliver, html_body
from tests.organizers.conftest import give_role, log_in, make_user

SMALL_LIMIT = 200_000  # UPLOAD_MAX_BYTES in these tests: big enough files stay quick


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.app_config, "UPLOAD_MAX_BYTES": SMALL_LIMIT}


@pytest.fixture
def conference(app):
    return make_conference(slug="forum", title="Shenzhen–Italy Health Forum")


@pytest.fixture
def organizer(app, client, conference):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    log_in(client, user)
    return user


def png(size=(900, 300), color=(12, 90, 140, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, "PNG")
    return out.getvalue()


def upload(client, path: str, action: str, field: str, data: bytes, name="logo.png"):
    page = client.get(path.replace("/photo", ""))
    form = {"csrf_token": csrf_token_from(page.text), "action": action}
    if data is not None:
        form[field] = (io.BytesIO(data), name)
    return client.post(path, data=form, content_type="multipart/form-data")


def reloaded(conference) -> Conference:
    db.session.expire_all()
    return db.session.get(Conference, conference.id)


def look_entries(conference) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).filter_by(
            conference_id=conference.id, action="conference.look_updated"
        )
    ).all()


def test_an_uploaded_logo_is_stored_processed_audited_and_shown(client, conference, organizer):
    response = upload(client, "/manage/c/forum/look", "logo", "logo", png())
    assert response.status_code == 302
    key = reloaded(conference).logo_key
    assert storage.is_key(key) and key.endswith(".png")
    stored = Image.open(io.BytesIO(storage.load(key).data))
    assert stored.size == (600, 200)  # fitted into its box
    [entry] = look_entries(conference)
    assert (entry.before, entry.after) == ({"logo_key": None}, {"logo_key": key})

    page = client.get("/c/forum/").text
    assert f'<img src="/media/{key}" alt="Shenzhen–Italy Health Forum">' in page
    # The workspace keeps the site's own look.
    assert f"/media/{key}" not in client.get("/manage/c/forum/").text
    assert f"/media/{key}" in client.get("/manage/c/forum/checkin").text


def test_a_file_that_is_not_an_image_is_refused_although_named_png(client, conference, organizer):
    response = upload(client, "/manage/c/forum/look", "logo", "logo", b"GIF89a? no: text", "x.png")
    assert response.status_code == 422
    assert "This file is not a PNG, JPEG or WebP image." in response.text
    assert 'id="logo-error"' in response.text  # next to its field
    assert reloaded(conference).logo_key is None and look_entries(conference) == []


def test_a_file_over_the_limit_is_refused_with_the_form(client, conference, organizer):
    just_over = b"\x89PNG" + b"\x00" * SMALL_LIMIT  # within the body limit, over the file limit
    response = upload(client, "/manage/c/forum/look", "banner", "banner", just_over)
    assert response.status_code == 422
    assert "The file is too large: an image may be at most 0.190735 MB." in response.text


def test_a_body_far_over_the_limit_is_refused_unread_with_the_form_not_a_bare_page(
    client, conference, organizer
):
    response = upload(client, "/manage/c/forum/look", "logo", "logo", b"\x00" * 3 * SMALL_LIMIT)
    assert response.status_code == 413
    assert "The file is too large" in response.text
    assert "<h2>Look</h2>" in response.text and 'name="logo"' in response.text
    assert reloaded(conference).logo_key is None and look_entries(conference) == []
    # Other forms keep their 1 MiB limit and take no files at all.
    page = client.get("/manage/c/forum/edit")
    files = {"csrf_token": csrf_token_from(page.text), "title": (io.BytesIO(png()), "x.png")}
    refused = client.post("/manage/c/forum/edit", data=files, content_type="multipart/form-data")
    assert refused.status_code == 415


def test_a_removed_image_is_deleted_unless_another_conference_shows_it(
    client, conference, organizer
):
    other = make_conference(slug="other")
    give_role(organizer, other)
    logo = png()
    upload(client, "/manage/c/forum/look", "logo", "logo", logo)
    upload(client, "/manage/c/other/look", "logo", "logo", logo)
    key = reloaded(conference).logo_key
    assert reloaded(other).logo_key == key  # the same content, the same key

    assert upload(client, "/manage/c/forum/look", "remove-logo", "logo", None).status_code == 302
    assert reloaded(conference).logo_key is None
    assert storage.storage().exists(key)  # still the other conference's logo
    assert upload(client, "/manage/c/other/look", "remove-logo", "logo", None).status_code == 302
    assert not storage.storage().exists(key)
    assert client.get(f"/media/{key}").status_code == 404


def test_a_banner_heads_the_conference_page_and_the_schedule(client, conference, organizer):
    upload(client, "/manage/c/forum/look", "banner", "banner", png((2000, 1000)))
    key = reloaded(conference).banner_key
    assert key.endswith(".webp")
    assert Image.open(io.BytesIO(storage.load(key).data)).size == (1600, 500)
    banner = f'class="conference-banner" src="/media/{key}" alt=""'
    assert banner in client.get("/c/forum/").text
    assert (
        f'class="conference-banner compact" src="/media/{key}"'
        in client.get("/c/forum/schedule").text
    )


def test_the_media_route_serves_images_cached_for_ever(client, conference, organizer):
    upload(client, "/manage/c/forum/look", "logo", "logo", png())
    key = reloaded(conference).logo_key

    response = client.get(f"/media/{key}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"] == f'"{key.removesuffix(".png")}"'
    assert response.data == storage.load(key).data

    again = client.get(f"/media/{key}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    missing = "0" * 64 + ".png"
    for path in (f"/media/{missing}", "/media/secret_key", "/media/..%2Fsecret_key"):
        assert client.get(path).status_code == 404, path


def test_an_accent_colour_is_checked_saved_and_shown_on_the_conference_pages(
    client, conference, organizer
):
    page = client.get("/manage/c/forum/look")
    token = csrf_token_from(page.text)

    too_light = client.post(
        "/manage/c/forum/look",
        data={"csrf_token": token, "action": "accent", "accent_color": "#ff6600"},
    )
    assert too_light.status_code == 422
    assert "This colour is too light" in too_light.text
    assert "reach only 2.5:1, and readable text needs at least 4.5:1" in too_light.text
    not_a_colour = client.post(
        "/manage/c/forum/look",
        data={"csrf_token": token, "action": "accent", "accent_color": "#12g456"},
    )
    assert not_a_colour.status_code == 422 and "Use a colour like #1a2b3c." in not_a_colour.text
    assert reloaded(conference).accent_color is None

    saved = client.post(
        "/manage/c/forum/look",
        data={"csrf_token": token, "action": "accent", "accent_color": " #8C2F39 "},
    )
    assert saved.status_code == 302
    assert reloaded(conference).accent_color == "#8c2f39"
    stylesheet = '<link rel="stylesheet" href="/media/accent/8c2f39.css">'
    for path in ("/c/forum/", "/c/forum/schedule", "/c/forum/register"):
        assert stylesheet in client.get(path).text, path
    assert stylesheet in client.get("/manage/c/forum/checkin").text
    assert stylesheet not in client.get("/manage/c/forum/").text

    css = client.get("/media/accent/8c2f39.css")
    assert css.mimetype == "text/css" and "--accent-fill: #8c2f39;" in css.text
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/media/accent/ff6600.css").status_code == 404  # no palette for it

    cleared = client.post(
        "/manage/c/forum/look", data={"csrf_token": token, "action": "accent", "accent_color": ""}
    )
    assert cleared.status_code == 302 and reloaded(conference).accent_color is None
    assert [entry.after for entry in look_entries(conference)] == [
        {"accent_color": "#8c2f39"},
        {"accent_color": None},
    ]


def test_a_speaker_photo_is_shown_on_the_speaker_and_session_pages_and_in_the_api(
    client, conference, organizer
):
    speaker = make_speaker(conference, name="Giulia Rossi")
    talk = make_talk(conference, title="Trials across borders", speakers=[speaker])
    path = f"/manage/c/forum/speakers/{speaker.id}/photo"

    refused = upload(client, path, "photo", "photo", b"not an image", "me.jpg")
    assert refused.status_code == 422 and "not a PNG, JPEG or WebP" in refused.text
    assert 'value="Giulia Rossi"' in refused.text  # the edit page, with the speaker's details

    assert upload(client, path, "photo", "photo", png((800, 1000))).status_code == 302
    db.session.expire_all()
    key = db.session.get(Speaker, speaker.id).photo_key
    assert key.endswith(".jpg")
    assert Image.open(io.BytesIO(storage.load(key).data)).size == (400, 400)
    image = f'<img class="avatar large" src="/media/{key}" alt=""'
    assert image in client.get(f"/c/forum/speakers/{speaker.id}").text
    assert f'src="/media/{key}"' in client.get(f"/c/forum/sessions/{talk.id}").text
    [entry] = db.session.scalars(sa.select(AuditEntry).filter_by(action="speaker.updated")).all()
    assert entry.after == {"photo_key": key}

    api = client.get("/api/v1/conferences/forum/speakers").json
    assert api["items"][0]["photo_url"] == f"http://eventreg.test/media/{key}"

    assert upload(client, path, "remove-photo", "photo", None).status_code == 302
    db.session.expire_all()
    assert db.session.get(Speaker, speaker.id).photo_key is None
    assert not storage.storage().exists(key)


def test_the_api_gives_the_conference_look(client, conference, organizer):
    upload(client, "/manage/c/forum/look", "logo", "logo", png())
    key = reloaded(conference).logo_key
    body = client.get("/api/v1/conferences/forum").json
    assert body["logo_url"] == f"http://eventreg.test/media/{key}"
    assert body["banner_url"] is None and body["accent_color"] is None


def test_every_conference_mail_carries_the_logo_as_an_inline_image(
    client, conference, organizer, smtp_server
):
    upload(client, "/manage/c/forum/look", "logo", "logo", png())
    conference = reloaded(conference)
    conference.accent_color = "#8c2f39"
    db.session.commit()
    registration = make_registration(conference, full_name="Li Na")
    notifications.registration_received(registration, "a-private-secret")
    db.session.commit()

    [message] = deliver(smtp_server)
    [logo] = [part for part in message.walk() if part.get_filename() == "logo.png"]
    assert logo.get_content_type() == "image/png" and logo["Content-Disposition"].startswith(
        "inline"
    )
    assert logo.get_payload(decode=True) == storage.load(conference.logo_key).data
    content_id = logo["Content-ID"].strip("<>")
    html = html_body(message)
    img = re.search(rf'<img[^>]*src="cid:{re.escape(content_id)}"[^>]*>', html).group(0)
    assert 'alt="Shenzhen–Italy Health Forum"' in img
    assert 'width="300"' in img and 'height="100"' in img  # half its size, for sharp screens
    assert "#8c2f39" in html  # the accent: links and the top border


def test_mail_of_a_conference_without_a_look_has_no_logo(app, smtp_server):
    conference = make_conference(title="Plain Days")
    notifications.registration_received(make_registration(conference), "a-private-secret")
    db.session.commit()
    [message] = deliver(smtp_server)
    assert not [part for part in message.walk() if part.get_filename() == "logo.png"]
    assert "#1f5f8b" in html_body(message)


def test_a_deleted_speakers_photo_goes_with_them(client, conference, organizer):
    speaker = make_speaker(conference, name="Marco Bianchi")
    upload(client, f"/manage/c/forum/speakers/{speaker.id}/photo", "photo", "photo", png())
    db.session.expire_all()
    key = db.session.get(Speaker, speaker.id).photo_key
    assert storage.storage().exists(key)

    page = client.get("/manage/c/forum/speakers")
    deleted = client.post(
        f"/manage/c/forum/speakers/{speaker.id}/delete",
        data={"csrf_token": csrf_token_from(page.text)},
    )
    assert deleted.status_code == 302
    assert not storage.storage().exists(key)


def test_the_demo_conference_has_its_own_colour_and_logo(app, client):
    conference = load_demo()
    assert conference.accent_color == "#8c2f39"
    logo = Image.open(io.BytesIO(storage.load(conference.logo_key).data))
    assert logo.format == "PNG" and logo.size == (600, 200)
    page = client.get(f"/c/{conference.slug}/").text
    assert f'src="/media/{conference.logo_key}"' in page
    assert '<link rel="stylesheet" href="/media/accent/8c2f39.css">' in page
