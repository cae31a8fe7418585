"""A conference that looks like itself, in a real browser: an organizer uploads a logo and
picks a colour, the public page shows them (and stays accessible, light and dark), and the
confirmation e-mail the SMTP server receives carries the logo as an inline image. Uploads
that are too large or not images are refused with a message on the form."""

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from eventreg.core import images, storage
from eventreg.core.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.mailbox import deliver, html_body
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser

TITLE = "Shenzhen–Italy Health Forum"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    conference = make_conference(slug="forum", title=TITLE)
    give_role(make_user("organizer@example.org", name="Lin Mei"), conference)
    return conference


def logo_png() -> bytes:
    image = Image.new("RGBA", (800, 260), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 250, 250), fill="#8c2f39")
    draw.rectangle((300, 90, 780, 170), fill="#0f5c4c")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def log_in(page: Page) -> None:
    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")


def open_the_look_page(page: Page) -> None:
    page.goto("/manage/c/forum/edit")
    page.get_by_role("link", name="Its look: logo, banner and accent colour").click()
    expect(page.get_by_role("heading", level=2, name="Look")).to_be_visible()


def test_an_uploaded_logo_appears_on_the_page_and_in_the_confirmation_mail(
    desktop_page: Page, conference, smtp_server
):
    page = desktop_page
    log_in(page)
    open_the_look_page(page)
    assert_accessible(page)
    page.get_by_label("Logo file").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}]
    )
    page.get_by_role("button", name="Upload").first.click()
    expect(page.get_by_text("The image has been saved.")).to_be_visible()
    page.get_by_role("textbox", name="Accent colour").fill("#8c2f39")
    page.get_by_role("button", name="Save the colour").click()
    expect(page.get_by_text("The accent colour has been saved.")).to_be_visible()
    assert_accessible(page)

    page.goto("/c/forum/")
    logo = page.get_by_role("link", name=TITLE).get_by_role("img", name=TITLE)
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 600
    header = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(140, 47, 57)"  # the accent, #8c2f39
    assert_accessible(page)

    page.get_by_role("link", name="Register").click()
    page.get_by_label("Full name").fill("Giulia Rossi")
    page.get_by_label("E-mail address").fill("giulia@example.org")
    page.get_by_label("Country").select_option(label="Italy")
    page.get_by_label(conference.privacy_notice).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    db.session.expire_all()
    [message] = deliver(smtp_server)
    [part] = [p for p in message.walk() if p.get_filename() == "logo.png"]
    assert part.get_content_type() == "image/png"
    assert part.get_payload(decode=True) == storage.load(conference.logo_key).data
    content_id = part["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html_body(message)
    assert f'alt="{TITLE}"' in html_body(message)


@pytest.mark.parametrize("viewport", ["desktop_page", "phone_page"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_branded_conference_page_stays_accessible(request, conference, viewport, scheme):
    page: Page = request.getfixturevalue(viewport)
    upload = io.BytesIO()
    Image.new("RGB", (2400, 900), "#0f5c4c").save(upload, "PNG")
    banner = images.process(upload.getvalue(), images.BANNER)
    logo = images.process(logo_png(), images.LOGO)
    conference.logo_key = storage.store(logo.data, logo.content_type)
    conference.banner_key = storage.store(banner.data, banner.content_type)
    conference.accent_color = "#0f5c4c"
    db.session.commit()

    page.emulate_media(color_scheme=scheme)
    page.goto("/c/forum/")
    expect(page.locator("img.conference-banner")).to_be_visible()
    expect(page.get_by_role("img", name=TITLE)).to_be_visible()
    assert_accessible(page)  # colour contrast included, with the palette of #0f5c4c
    page.goto("/c/forum/schedule")
    assert_accessible(page)


def test_an_oversized_or_non_image_upload_is_refused_with_a_message(desktop_page: Page, conference):
    page = desktop_page
    log_in(page)
    open_the_look_page(page)

    page.get_by_label("Logo file").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"just some text\n"}]
    )
    page.get_by_role("button", name="Upload").first.click()
    expect(page.locator("#logo-error")).to_have_text("This file is not a PNG, JPEG or WebP image.")
    expect(page.get_by_label("Logo file")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # Larger than any request an upload route accepts: refused before it is read, and
    # still answered with the form and the reason, not a bare error page.
    page.get_by_label("Banner file").set_input_files(
        files=[{"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * 6_000_000}]
    )
    page.get_by_role("button", name="Upload").nth(1).click()
    expect(page.get_by_role("alert")).to_have_text(
        "The file is too large: an image may be at most 5 MB."
    )
    expect(page.get_by_role("heading", level=2, name="Look")).to_be_visible()
    assert_accessible(page)
    db.session.expire_all()
    assert conference.logo_key is None and conference.banner_key is None
