"""A confirmation e-mail as a mail client shows it: its HTML part in Chromium, on a desktop
and a phone width, with the attached QR code in place of its ``cid:`` address."""

import base64
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser

from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import compose_deferred
from eventreg.registration import notifications
from tests.e2e.conftest import AXE_FOLDER, assert_accessible
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.mail.mailbox import html_body

pytestmark = pytest.mark.browser


@pytest.fixture
def confirmation(app) -> EmailMessage:
    conference = make_conference(
        title="Transnational Innovation in Biotech: Shenzhen-Italy Healthcare Special",
        timezone="Asia/Shanghai",
        start_date=date(2027, 11, 1),
        end_date=date(2027, 11, 2),
        venue="Shenzhen Futian International Convention and Exhibition Centre",
    )
    registration = make_registration(conference, full_name="Giulia Rossi-Bianchi")
    notifications.registration_received(registration, "a-long-private-management-secret")
    db.session.commit()
    compose_deferred()  # as the sender does before sending
    raw = db.session.scalars(sa.select(OutboxMessage.raw)).one()
    return message_from_bytes(raw, policy=policy.default)


def html_as_a_client_shows_it(message: EmailMessage) -> str:
    """The HTML part with each ``cid:`` address replaced by its attached image's data."""
    html = html_body(message)
    for part in message.walk():
        if part["Content-ID"]:
            content_id = part["Content-ID"].strip().strip("<>")
            data = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
            assert f"cid:{content_id}" in html
            html = html.replace(
                f"cid:{content_id}", f"data:{part.get_content_type()};base64,{data}"
            )
    assert "cid:" not in html, "an image the message does not carry"
    return html


@pytest.mark.parametrize("width", [1024, 375])
def test_the_confirmation_fits_the_screen_shows_its_qr_code_and_is_accessible(
    browser: Browser, confirmation, width
):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=width < 700, has_touch=width < 700
    )
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    try:
        page.set_content(html_as_a_client_shows_it(confirmation))

        # Against the screen's width, not innerWidth: a phone zooms out to fit a page that
        # is too wide, and innerWidth grows with it.
        overflow = page.evaluate("document.documentElement.scrollWidth") - width
        assert overflow <= 0, f"the mail is {overflow}px wider than a {width}px screen"
        qr = page.get_by_alt_text("Check-in QR code")
        assert qr.is_visible()
        assert qr.evaluate("image => image.complete && image.naturalWidth") > 0
        box = qr.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.get_by_text("Check-in code:").is_visible()
        # Nothing is fetched from anywhere: what the mail shows, it carries.
        assert [url for url in fetched if not url.startswith("data:")] == []
        page.add_script_tag(path=str(AXE_FOLDER / "axe.min.js"))
        assert_accessible(page)
    finally:
        context.close()
