"""Driving the registration pages like a browser does, and reading what was "sent"."""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import lxml.html
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import compose_deferred
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
    """The outbox's messages, every one composed: those recorded as what to say are
    composed as the sender would before their first attempt."""
    fresh_reads()
    compose_deferred()
    return list(
        db.session.scalars(sa.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id))
    )


def composed(message: OutboxMessage) -> OutboxMessage:
    """The row with its message composed (as the sender does before sending it)."""
    if not message.raw:
        compose_deferred([message.id])
        db.session.refresh(message)
    return message


def parse(message: OutboxMessage) -> EmailMessage:
    message = composed(message)
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


def submit(client, page: str, action: str | None = None, **fields):
    """Send a form of ``page`` as a browser would: the form posting to ``action`` (the
    first form when None) with the values the page gives it, ``fields`` changed (a field
    given as None is left out, like an unticked box)."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    document = lxml.html.fromstring(response.get_data(as_text=True))
    forms = [form for form in document.forms if form.method.upper() == "POST"]
    if action is not None:
        forms = [form for form in forms if (form.get("action") or "").endswith(action)]
    assert forms, f"no form posting to {action} on {page}"
    values = dict(forms[0].form_values())
    for name, value in fields.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = str(value)
    return client.post(forms[0].get("action") or page, data=values)


def database_state() -> dict[str, list[str]]:
    """Every committed row of every table, read on a connection of its own: two equal
    states mean that nothing at all was written in between."""
    db.session.rollback()
    with db.engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(table.select()))
            for table in db.metadata.sorted_tables
        }
