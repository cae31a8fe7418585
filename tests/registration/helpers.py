"""Driving the registration pages like a browser does, and reading what was "sent"."""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from

MANAGE_LINK = re.compile(r"https?://[^\s\"'<>]+/c/([^/\s]+)/manage/([A-Za-z0-9_\-]+)")


def register_url(conference: Conference) -> str:
    return f"/c/{conference.slug}/register"


def fill_registration(client, conference: Conference, **fields) -> dict:
    """The form data a person would send: the page's CSRF token plus valid answers.
    Pass a field as None to leave it out."""
    page = client.get(register_url(conference))
    assert page.status_code == 200, page.status_code
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "full_name": "Ada Lovelace",
        "email": "ada@example.org",
        "affiliation": "",
        "country": "",
        "consent": "y",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def register(client, conference: Conference, **fields):
    """Open the form, fill it in and send it; returns the response to the POST."""
    return client.post(
        register_url(conference), data=fill_registration(client, conference, **fields)
    )


def page_text(response) -> str:
    """The page's main content as plain text, for assertions on what a person reads."""
    html = response.get_data(as_text=True)
    main = re.search(r"<main.*?</main>", html, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(0) if main else html)
    return re.sub(r"\s+", " ", text).replace("&#39;", "'").replace("&quot;", '"')


def fresh_reads() -> None:
    """Read what other threads and processes (a live server, concurrent clients) committed:
    end the test's read transaction, whose SQLite snapshot would otherwise stay old."""
    db.session.commit()


def registration_by_email(address: str) -> Registration | None:
    fresh_reads()
    return db.session.scalar(sa.select(Registration).filter_by(email_key=address.lower()))


def outbox(**filters) -> list[OutboxMessage]:
    fresh_reads()
    return list(
        db.session.scalars(sa.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id))
    )


def parse(message: OutboxMessage) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(message.raw)


def readable_text(message: OutboxMessage) -> str:
    body = parse(message).get_body(preferencelist=("plain", "html"))
    return body.get_content()


def management_link(message: OutboxMessage) -> str:
    """The private link in an e-mail, as a path the test client can open."""
    match = MANAGE_LINK.search(readable_text(message))
    assert match, f"no management link in the {message.kind} message"
    return f"/c/{match.group(1)}/manage/{match.group(2)}"


def latest_link_for(address: str) -> str:
    messages = [m for m in outbox() if address.lower() in m.recipient.lower()]
    with_link = [m for m in messages if MANAGE_LINK.search(readable_text(m))]
    assert with_link, f"no message with a management link was sent to {address}"
    return management_link(with_link[-1])


def post_form(client, url: str, **fields):
    """Open the page at ``url``, then send its form with the page's CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **fields}
    return client.post(url, data=data)


def post_action(client, manage_link: str, action: str):
    """Send a changing request of the management pages (``action`` like "/sessions/3/join")
    with a CSRF token of this client's session, read from the details form."""
    page = client.get(manage_link + "/details")
    assert page.status_code == 200, page.status_code
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(manage_link + action, data={"csrf_token": token})
