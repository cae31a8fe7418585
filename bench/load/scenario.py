"""What the load test's simulated people send, without Locust: the plan, the registration form
a person fills in, and the validators a calendar app keeps between polls.

The runner (``bench/load_test.py``) writes the plan after loading the conference; the
locustfile reads it. Nothing here imports Locust (its import patches the standard library with
gevent), so the registration payload can be checked against the real form in the test suite.
"""

import json
import random
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

CSRF_FIELD = 'name="csrf_token" type="hidden" value="'

# The kinds of request, as the table lists them; the prefix is the kind of user sending it.
CONFERENCE_PAGE = "browse: conference page"
SCHEDULE_PAGE = "browse: schedule page"
SESSION_PAGE = "browse: session page"
API_SESSIONS = "browse: API sessions"
API_SESSION = "browse: API one session"
SCHEDULE_ICS = "feed: schedule.ics"
AGENDA_ICS = "feed: agenda .ics"
FRAB_XML = "feed: frab xml"
FRAB_JSON = "feed: frab json"
REGISTER_FORM = "register: GET form"
REGISTER_SUBMIT = "register: POST"
FLOOR = "floor: one INSERT"
FLOOR_PATH = "/bench/load-floor"
FEED_KINDS = (SCHEDULE_ICS, AGENDA_ICS, FRAB_XML, FRAB_JSON)


@dataclass
class Question:
    """One of the conference's questions as the form names it (``question_<id>``)."""

    field: str
    kind: str
    required: bool
    choices: list[str] = field(default_factory=list)
    # Asked of this registration category only (None: of everyone).
    category_id: int | None = None


@dataclass
class Plan:
    """Everything the simulated people need to know about the loaded conference."""

    slug: str
    session_ids: list[int]
    agenda_tokens: list[str]
    questions: list[Question]
    # The public categories that take people at once (the form requires one when it offers
    # any); a reviewed category would only make registrations wait for an organizer.
    category_ids: list[int] = field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> "Plan":
        data = json.loads(path.read_text())
        data["questions"] = [Question(**question) for question in data["questions"]]
        return cls(**data)


def csrf_token(page: str) -> str:
    """The CSRF token of the form on ``page`` (raises ValueError when there is no form)."""
    start = page.index(CSRF_FIELD) + len(CSRF_FIELD)
    return page[start : page.index('"', start)]


def answer(question: Question, rng: random.Random) -> str | list[str] | None:
    """What a person answers: always the required questions, the others now and then."""
    if not question.required and rng.random() < 0.5:
        return None
    if question.kind == "single_choice":
        return rng.choice(question.choices)
    if question.kind == "multiple_choice":
        return rng.sample(question.choices, k=rng.randint(1, len(question.choices)))
    if question.kind == "checkbox":
        return "y"
    return "No preference"


def registration_form(plan: Plan, token: str, rng: random.Random) -> dict[str, str | list[str]]:
    """The fields a person submits: name, a fresh address, country, answers and consent."""
    number = secrets.token_hex(6)
    data: dict[str, str | list[str]] = {
        "csrf_token": token,
        "full_name": f"Load Attendee {number}",
        "email": f"load-{number}@example.org",
        "country": rng.choice(["IT", "CN", "DE", "FR"]),
        "consent": "y",
    }
    category_id = rng.choice(plan.category_ids) if plan.category_ids else None
    if category_id is not None:
        data["category_id"] = str(category_id)
    for question in plan.questions:
        if question.category_id not in (None, category_id):
            continue
        value = answer(question, rng)
        if value is not None:
            data[question.field] = value
    return data


def encode_form(data: dict[str, str | list[str]]) -> str:
    """The body a browser sends: a field with several values (multiple choice) repeated."""
    return urlencode(data, doseq=True)


class Validators:
    """The ETag and Last-Modified a calendar app keeps per feed and sends back next time."""

    def __init__(self) -> None:
        self._by_url: dict[str, dict[str, str]] = {}

    def headers_for(self, url: str) -> dict[str, str]:
        return dict(self._by_url.get(url, {}))

    def remember(self, url: str, response_headers) -> None:
        """Keep the validators of a 200 (a 304 keeps the ones the client already has)."""
        kept = {}
        if etag := response_headers.get("ETag"):
            kept["If-None-Match"] = etag
        if last_modified := response_headers.get("Last-Modified"):
            kept["If-Modified-Since"] = last_modified
        if kept:
            self._by_url[url] = kept
