"""Locust users for ``bench/load_test.py``: people browsing, calendar apps polling, people
registering, and a floor endpoint, all at once against one conference.

The runner passes the plan (``scenario.Plan`` as JSON) in ``EVENTREG_LOAD_PLAN`` and collects
the figures from ``EVENTREG_LOAD_RESULTS``, written when Locust stops. It names the user
classes of each phase: ``Alone`` first, then ``Browser CalendarApp Registrant Floor``.
"""

import json
import os
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from locust import between, constant, events
from locust.contrib.fasthttp import FastHttpUser

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenario  # noqa: E402

PLAN = scenario.Plan.load(Path(os.environ["EVENTREG_LOAD_PLAN"]))
LANGUAGES = ["en", "zh-CN,zh;q=0.9", "it-IT,it;q=0.9,en;q=0.5"]

# Status codes seen per kind of request: Locust's own statistics count only failures.
statuses: defaultdict[str, Counter] = defaultdict(Counter)


@events.request.add_listener
def count_status(name, response, **_):
    # 0: no response at all (connection refused or reset, timeout).
    statuses[name][getattr(response, "status_code", None) or 0] += 1


class Person(FastHttpUser):
    """Someone with a browser language of their own (and, if it is a calendar app, the
    validators of the feeds it fetched and the agenda it is subscribed to)."""

    abstract = True

    def on_start(self) -> None:
        self.language = random.choice(LANGUAGES)
        self.validators = scenario.Validators()
        self.agenda = f"/feeds/agenda/{random.choice(PLAN.agenda_tokens)}.ics"

    def get(self, path: str, name: str, headers: dict | None = None, expect=(200,)):
        with self.client.get(
            path,
            name=name,
            headers={"Accept-Language": self.language, **(headers or {})},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                response.failure(f"status {response.status_code}")
            return response

    def poll(self, path: str, name: str) -> None:
        """A calendar app's fetch: revalidating with what the last 200 gave it."""
        response = self.get(path, name, self.validators.headers_for(path), expect=(200, 304))
        if response.status_code == 200:
            self.validators.remember(path, response.headers)


# --- what people do (each a Locust task: a function of the user) ---------------------------


def conference_page(user: Person) -> None:
    user.get(f"/c/{PLAN.slug}/", scenario.CONFERENCE_PAGE)


def schedule_page(user: Person) -> None:
    user.get(f"/c/{PLAN.slug}/schedule", scenario.SCHEDULE_PAGE)


def session_page(user: Person) -> None:
    user.get(f"/c/{PLAN.slug}/sessions/{random.choice(PLAN.session_ids)}", scenario.SESSION_PAGE)


def api_sessions(user: Person) -> None:
    user.get(f"/api/v1/conferences/{PLAN.slug}/sessions", scenario.API_SESSIONS)


def api_session(user: Person) -> None:
    talk = random.choice(PLAN.session_ids)
    user.get(f"/api/v1/conferences/{PLAN.slug}/sessions/{talk}", scenario.API_SESSION)


def schedule_ics(user: Person) -> None:
    user.poll(f"/c/{PLAN.slug}/schedule.ics", scenario.SCHEDULE_ICS)


def agenda_ics(user: Person) -> None:
    user.poll(user.agenda, scenario.AGENDA_ICS)


def frab_xml(user: Person) -> None:
    user.poll(f"/c/{PLAN.slug}/schedule.xml", scenario.FRAB_XML)


def frab_json(user: Person) -> None:
    user.poll(f"/c/{PLAN.slug}/schedule.json", scenario.FRAB_JSON)


def register(user: Person) -> None:
    """Open the form as a new visitor (no cookies yet), fill it in, submit it."""
    user.client.cookiejar.clear()
    form = user.get(f"/c/{PLAN.slug}/register", scenario.REGISTER_FORM)
    if form.status_code != 200:
        return
    data = scenario.registration_form(PLAN, scenario.csrf_token(form.text), random)
    with user.client.post(
        f"/c/{PLAN.slug}/register",
        name=scenario.REGISTER_SUBMIT,
        data=scenario.encode_form(data),
        headers={
            "Accept-Language": user.language,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        allow_redirects=False,
        catch_response=True,
    ) as response:
        # 303 to the confirmation page, with a seat or on the waiting list.
        if response.status_code == 303:
            response.success()
        else:
            response.failure(f"status {response.status_code}")


def insert_floor_row(user: FastHttpUser) -> None:
    user.client.post(scenario.FLOOR_PATH, name=scenario.FLOOR, data={"payload": "load"})


# --- who does it ---------------------------------------------------------------------------


class Browser(Person):
    """Looks at the conference, its programme and sessions, or reads the public API."""

    weight = 6
    wait_time = between(1, 4)  # reading a page
    tasks = {conference_page: 2, schedule_page: 2, session_page: 4, api_sessions: 1, api_session: 1}


class CalendarApp(Person):
    """A calendar subscribed to the schedule, one attendee's agenda and a frab export; after
    the first fetch it revalidates with the ETag and Last-Modified it was given. Real
    calendars poll every few minutes to hours: each of these stands for many of them."""

    weight = 3
    wait_time = between(1, 4)
    tasks = {schedule_ics: 3, agenda_ics: 3, frab_xml: 1, frab_json: 1}


class Registrant(Person):
    """Registers, then comes back as somebody else."""

    weight = 1
    wait_time = between(2, 5)
    tasks = [register]


class Floor(FastHttpUser):
    """The least a writing request costs in the same stack, under the same load: a probe of
    two clients in every run, whatever the number of people."""

    fixed_count = 2
    wait_time = between(0.5, 1)
    tasks = [insert_floor_row]


EVERY_KIND = (
    conference_page,
    schedule_page,
    session_page,
    api_sessions,
    api_session,
    schedule_ics,
    agenda_ics,
    frab_xml,
    frab_json,
    register,
    insert_floor_row,
)


def each_kind_once(user: Person) -> None:
    for send in EVERY_KIND:
        send(user)


class Alone(Person):
    """One client sending every kind of request in turn with nothing else going on: what each
    costs by itself, next to the floor (the runner's first phase)."""

    wait_time = constant(0)
    tasks = [each_kind_once]


@events.quitting.add_listener
def write_results(environment, **_) -> None:
    path = os.environ.get("EVENTREG_LOAD_RESULTS")
    if not path:
        return
    stats = environment.stats
    results = {
        "seconds": stats.last_request_timestamp - stats.start_time,
        "kinds": {
            name: {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p99_ms": entry.get_response_time_percentile(0.99),
                "statuses": {str(code): n for code, n in sorted(statuses[name].items())},
                "errors": {
                    str(error.error): error.occurrences
                    for error in stats.errors.values()
                    if error.name == name
                },
            }
            for (name, _method), entry in sorted(stats.entries.items())
        },
    }
    Path(path).write_text(json.dumps(results, indent=2))
