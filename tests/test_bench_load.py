"""The load test's simulated people send what the app accepts: a registration the form takes,
agenda feed tokens that open a feed, and validators that earn a 304 (bench/load/)."""

import random
import sys
from pathlib import Path

import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path[:0] = [str(BENCH), str(BENCH / "load")]

import load_test  # noqa: E402
import scenario  # noqa: E402

from eventreg.core.extensions import db  # noqa: E402
from eventreg.demo import load_demo  # noqa: E402
from eventreg.registration.models import Registration  # noqa: E402


def register(client, plan: scenario.Plan, rng: random.Random):
    page = client.get(f"/c/{plan.slug}/register")
    data = scenario.registration_form(plan, scenario.csrf_token(page.text), rng)
    body = scenario.encode_form(data)  # as the locustfile sends it
    return data, client.post(
        f"/c/{plan.slug}/register", data=body, content_type="application/x-www-form-urlencoded"
    )


def test_the_registration_a_simulated_person_submits_is_accepted_with_its_answers(app, client):
    conference = load_demo()
    plan = load_test.plan_for(conference, agenda_owners=[])
    required = [q for q in plan.questions if q.required]
    assert required, "the demo asks a required question, so the answers are exercised"

    several_choices = next(q.field for q in plan.questions if q.kind == "multiple_choice")
    rng = random.Random(12)
    sent = []
    for _ in range(8):  # enough draws for every optional question to be answered and skipped
        data, response = register(client, plan, rng)
        sent.append(data)
        assert response.status_code == 303, response.text
        registration = db.session.scalar(sa.select(Registration).filter_by(email=data["email"]))
        assert registration.status == "confirmed"
        stored = {f"question_{a.question_id}": a.value for a in registration.answers}
        for question in plan.questions:
            if question.field in data and question.kind != "checkbox":
                assert stored[question.field] == data[question.field]
    assert any(len(data.get(several_choices, [])) > 1 for data in sent)


def test_agenda_tokens_open_feeds_that_answer_a_revalidating_calendar_with_304(app, client):
    conference = load_demo()
    plan = load_test.plan_for(conference, agenda_owners=[])
    data, _ = register(client, plan, random.Random(1))
    owner = db.session.scalar(sa.select(Registration.id).filter_by(email=data["email"]))
    plan = load_test.plan_for(conference, agenda_owners=[owner])

    url = f"/feeds/agenda/{plan.agenda_tokens[0]}.ics"
    validators = scenario.Validators()
    first = client.get(url)
    assert first.status_code == 200
    validators.remember(url, first.headers)
    assert client.get(url, headers=validators.headers_for(url)).status_code == 304
