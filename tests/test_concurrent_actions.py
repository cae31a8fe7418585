"""Every kind of action at once, the way the app runs: no error, one audit entry per action,
one outbox row per message, each message delivered once.

The app is served by a threaded server (as ``make run`` serves it) on the suite's database —
a SQLite file by default, PostgreSQL in the PostgreSQL leg — with the default background
mail thread delivering to a real SMTP server while the actions run. Organizers act through
the workspace forms and the organizer API, attendees through the public forms and their
private links, all from separate clients started at the same moment.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import lxml.html
import pytest
import requests
import sqlalchemy as sa

from eventreg.accounts import api_tokens
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.mail.background import background_delivery
from eventreg.mail.models import OutboxMessage
from eventreg.registration import checkin
from eventreg.registration.models import Registration
from tests.conftest import make_test_app, serving
from tests.factories import at, make_conference, make_room, make_speaker, make_talk
from tests.organizers.conftest import PASSWORD, give_role, make_user
from tests.registration.helpers import MANAGE_LINK, readable_text

pytestmark = pytest.mark.concurrency

WAIT_SECONDS = 120


@pytest.fixture
def served(app, database_url, instance_path, smtp_server, tmp_path):
    """The app with its default mail set-up (background thread on), on a live port."""
    config = {
        **smtp_server.app_config,
        "SERVER_NAME": None,
        "MAIL_DELIVER_IN_BACKGROUND": True,
        "MAIL_POLL_SECONDS": 1,
    }
    live = make_test_app(database_url, instance_path, **config)
    with serving(live) as base_url:
        yield base_url
    background_delivery(live).stop()  # no mail thread may write into the next test
    with live.app_context():
        db.engine.dispose()


# --- clients that behave like browsers ---------------------------------------------------


class Browser:
    """One person's browser: a cookie jar and forms filled in from the page."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.statuses: list[tuple[str, int]] = []

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base_url + path, timeout=WAIT_SECONDS)
        self.statuses.append((path, response.status_code))
        return response

    def submit(self, path: str, *, action: str | None = None, **fields):
        """Open ``path``, take its form that posts to ``action`` (by default, to the page
        itself), change ``fields``, and send it as a browser would."""
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return self.send_form(page, action=action or path.split("?")[0], **fields)

    def send_form(self, page, *, action: str, **fields):
        document = lxml.html.fromstring(page.text, base_url=page.url)
        forms = [
            form
            for form in document.forms
            if form.method.lower() == "post" and urlsplit(form.action).path.endswith(action)
        ]
        assert forms, f"no form posting to {action} on {page.url}"
        values = dict(forms[0].form_values())
        values.update({name: str(value) for name, value in fields.items()})
        response = self.http.post(forms[0].action, data=values, timeout=WAIT_SECONDS)
        self.statuses.append((forms[0].action, response.status_code))
        return response

    def log_in(self, email: str) -> "Browser":
        response = self.submit("/manage/login", email=email, password=PASSWORD)
        assert response.status_code == 200 and "/manage/login" not in response.url
        return self


class ApiClient:
    def __init__(self, base_url: str, token: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.statuses: list[tuple[str, int]] = []

    def call(self, method: str, path: str, payload: dict | None = None) -> requests.Response:
        response = self.http.request(
            method, self.base_url + "/api/v1/manage" + path, json=payload, timeout=WAIT_SECONDS
        )
        self.statuses.append((path, response.status_code))
        return response


# --- the scene -----------------------------------------------------------------------------


def fresh_reads() -> None:
    db.session.commit()  # end this thread's read transaction: see what the server wrote


def count(model, **filters) -> int:
    fresh_reads()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**filters))


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def register(base_url: str, slug: str, name: str, email: str) -> int:
    response = Browser(base_url).submit(
        f"/c/{slug}/register", full_name=name, email=email, consent="y"
    )
    return response.status_code


def manage_link_of(email: str) -> str:
    fresh_reads()
    rows = db.session.scalars(
        sa.select(OutboxMessage).filter_by(recipient=email).order_by(OutboxMessage.id.desc())
    )
    for row in rows:
        match = MANAGE_LINK.search(readable_text(row))
        if match:
            return f"/c/{match.group(1)}/manage/{match.group(2)}"
    raise AssertionError(f"no management link was sent to {email}")


def registration_id(email: str) -> int:
    fresh_reads()
    return db.session.scalar(sa.select(Registration.id).filter_by(email_key=email))


def test_every_action_at_once_is_one_transaction_with_its_audit_entry_and_its_mail(
    served, smtp_server
):
    # Three conferences: one open to all, one full with a waiting list, one whose capacity
    # the organizers raise.
    open_conf = make_conference(title="Open")
    full_conf = make_conference(title="Full", capacity=5)
    growing = make_conference(title="Growing", capacity=3)
    db.session.commit()
    day = open_conf.start_date
    # The day's first and last sessions stay put: moves never change the conference's span.
    make_talk(open_conf, title="Opening", day=day, start="08:00", end="08:30")
    make_talk(open_conf, title="Closing", day=day + timedelta(days=1), start="18:00", end="18:30")
    rooms = [make_room(open_conf, name=f"Room {n}") for n in range(8)]
    workshops = []
    for n in range(6):
        speaker = make_speaker(open_conf, name=f"Speaker {n}", email=f"speaker{n}@example.org")
        talk = make_talk(
            open_conf,
            title=f"Workshop {n}",
            kind="workshop",
            capacity=10,
            room=rooms[n],
            start="10:00",
            end="11:00",
        )
        talk.speakers = [speaker]
        workshops.append(talk)
    db.session.commit()
    moved, cancelled, joined = workshops[:3], workshops[3:5], workshops[5]

    organizer = make_user("organizer@example.org")
    staff = make_user("checkin@example.org")
    for conference in (open_conf, full_conf, growing):
        give_role(organizer, conference, "organizer")
    give_role(staff, open_conf, "checkin")
    _token, secret = api_tokens.issue(organizer, "concurrency test")

    # People already there: attendees of the open conference (some check in, some join a
    # workshop, some erase their data), a full conference with 5 seats and 10 waiting,
    # and a conference of 3 seats with 3 waiting.
    setup = [(open_conf, f"early{n}@example.org") for n in range(7)]
    setup += [(full_conf, f"full{n}@example.org") for n in range(15)]
    setup += [(growing, f"growing{n}@example.org") for n in range(6)]
    for conference, email in setup:
        assert register(served, conference.slug, email.split("@")[0], email) == 200
    wait_until(lambda: count(OutboxMessage, status="pending") == 0, "the set-up mail")
    links = {email: manage_link_of(email) for _conference, email in setup}
    ids = {email: registration_id(email) for _conference, email in setup}
    last_row_before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id)))
    received_before = len(smtp_server.messages)

    # Plain values only from here on: the clients' threads have no database session.
    open_slug, full_slug, growing_slug = open_conf.slug, full_conf.slug, growing.slug
    day_two = day + timedelta(days=1)
    target_room = rooms[6].id
    moves = [
        (talk.id, at(open_conf, day, f"{hour:02d}:00"))
        for talk, hour in zip(moved, (13, 14, 15), strict=True)
    ]
    new_starts = [at(open_conf, day_two, f"{12 + n:02d}:00") for n in range(2)]
    cancelled_ids = [talk.id for talk in cancelled]
    join_path = f"/sessions/{joined.id}/join"
    checkin_codes = [checkin.checkin_code(ids[f"early{n}@example.org"]) for n in range(3)]
    organizers = [Browser(served).log_in(organizer.email) for _ in range(8)]
    desk = Browser(served).log_in(staff.email)
    audit_before = count(AuditEntry)  # logins are audited too; count the actions only
    api = ApiClient(served, secret)
    attendee = {email: Browser(served) for email in links}

    def move(talk_id: int, start):
        payload = {
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=1)).isoformat(),
            "room_id": target_room,
        }
        return api.call("PATCH", f"/conferences/{open_slug}/sessions/{talk_id}", payload)

    def create(start):
        payload = {
            "title": f"Added at {start:%H:%M}",
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(minutes=30)).isoformat(),
        }
        return api.call("POST", f"/conferences/{open_slug}/sessions", payload)

    def cancel_session(talk_id: int):
        return api.call("POST", f"/conferences/{open_slug}/sessions/{talk_id}/cancel")

    def on_attendee(organizer_browser, registration: int, action: str, **fields):
        return organizer_browser.submit(
            f"/manage/c/{full_slug}/attendees",
            action=f"/attendees/{registration}/{action}",
            **fields,
        )

    def check_in(code: str):
        return desk.submit(f"/manage/c/{open_slug}/checkin", action="/checkin", code=code)

    def join(email: str):
        return attendee[email].send_form(attendee[email].get(links[email]), action=join_path)

    def erase(email: str):
        return attendee[email].submit(links[email] + "/erase")

    seated = [ids[f"full{n}@example.org"] for n in range(5)]
    last_waiting = [ids[f"full{n}@example.org"] for n in (13, 14)]
    actions: list[Callable[[], object]] = []
    actions += [
        lambda n=n: register(served, open_slug, f"New {n}", f"new{n}@example.org")
        for n in range(12)
    ]
    actions += [lambda m=m: move(*m) for m in moves]
    actions += [lambda s=s: create(s) for s in new_starts]
    actions += [lambda i=i: cancel_session(i) for i in cancelled_ids]
    actions += [
        lambda b=organizers[n], r=r: on_attendee(b, r, "cancel") for n, r in enumerate(seated[:3])
    ]
    actions += [
        lambda b=organizers[3 + n], r=r: on_attendee(b, r, "promote", add_seat="yes")
        for n, r in enumerate(last_waiting)
    ]
    actions += [
        lambda b=organizers[5 + n], r=r: on_attendee(b, r, "resend")
        for n, r in enumerate(seated[3:])
    ]
    actions.append(lambda: organizers[7].submit(f"/manage/c/{growing_slug}/edit", capacity=5))
    actions += [lambda c=c: check_in(c) for c in checkin_codes]
    actions += [lambda e=f"early{n}@example.org": join(e) for n in (3, 4)]
    actions += [lambda e=f"early{n}@example.org": erase(e) for n in (5, 6)]

    barrier = threading.Barrier(len(actions))

    def run(action):
        barrier.wait(WAIT_SECONDS)
        return action()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        results = list(pool.map(run, actions))

    statuses = [
        status
        for client in [*organizers, desk, api, *attendee.values()]
        for status in client.statuses
    ]
    errors = [entry for entry in statuses if entry[1] >= 400]
    assert not errors, errors
    assert all(
        (result if isinstance(result, int) else result.status_code) < 400 for result in results
    )

    # One audit entry per action, each written with its change.
    assert count(AuditEntry) - audit_before == len(actions)

    # One outbox row per message, each delivered exactly once.
    wait_until(
        lambda: (
            count(OutboxMessage, status="pending") + count(OutboxMessage, status="retrying") == 0
        ),
        "the mail thread to deliver everything",
    )
    assert count(OutboxMessage, status="failed") == 0
    fresh_reads()
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id > last_row_before)
    ).all()
    new_kinds = Counter(row.kind for row in rows)
    assert new_kinds["registration_confirmed"] == 12  # the new registrations
    assert new_kinds["session_updated"] == 3  # each moved workshop's speaker
    assert new_kinds["session_cancelled"] == 2  # each cancelled workshop's speaker
    assert new_kinds["registration_cancelled"] == 3  # the attendees the organizers cancelled
    # 3 seats freed by cancelling, 2 chosen by the organizers, 2 from the raised capacity.
    assert new_kinds["registration_promoted"] == 7
    assert new_kinds["management_link"] == 2
    assert new_kinds["session_confirmed"] == 2
    received = [message["Message-ID"] for message in smtp_server.messages[received_before:]]
    assert sorted(received) == sorted(row.message_id for row in rows)

    # The end state is what the actions add up to.
    fresh_reads()
    full_statuses = Counter(
        db.session.scalars(sa.select(Registration.status).filter_by(conference_id=full_conf.id))
    )
    assert full_statuses == Counter(confirmed=7, waiting=5, cancelled=3)
    growing_statuses = Counter(
        db.session.scalars(sa.select(Registration.status).filter_by(conference_id=growing.id))
    )
    assert growing_statuses == Counter(confirmed=5, waiting=1)
