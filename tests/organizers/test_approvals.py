"""The organizers' approvals page: pending registrations with their answers, decided one
by one or ticked together, and the conference setting that asks for approval."""

from collections import Counter

import lxml.html
import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.registration.models import Question, Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.organizers.conftest import give_role, log_in, make_user, post_form
from tests.registration.helpers import outbox, page_text, register, registration_by_email


@pytest.fixture
def conference(app, client):
    conference = make_conference(
        slug="sz", title="Shenzhen Days", capacity=1, requires_approval=True
    )
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    log_in(client, organizer)
    return conference


def arrive(app, conference, name: str, **fields) -> int:
    address = f"{name.lower()}@example.org"
    response = register(app.test_client(), conference, full_name=name, email=address, **fields)
    assert response.status_code == 303
    return registration_by_email(address).id


def approvals_page(client, conference):
    response = client.get(f"/manage/c/{conference.slug}/approvals")
    assert response.status_code == 200
    return response


def statuses() -> dict[str, str]:
    db.session.commit()
    return dict(db.session.execute(sa.select(Registration.full_name, Registration.status)).all())


def test_the_list_shows_pending_people_with_their_answers_in_order_of_arrival(
    app, client, conference
):
    diet = Question(conference=conference, label="Dietary needs", kind="short_text")
    db.session.add(diet)
    db.session.commit()
    arrive(app, conference, "Ada", **{f"question_{diet.id}": "Vegetarian"})
    arrive(app, conference, "Bruno")
    confirmed = make_conference()  # someone else's conference: not listed here
    arrive(app, confirmed, "Zed")

    response = approvals_page(client, conference)

    text = page_text(response)
    assert text.index("Ada") < text.index("Bruno")
    assert "Zed" not in text
    assert "Dietary needs" in text and "Vegetarian" in text
    assert "2 registrations waiting" in text and "1 seat left" in text
    document = lxml.html.fromstring(response.get_data(as_text=True))
    reject_forms = [f for f in document.forms if f.get("action", "").endswith("/reject")]
    assert len(reject_forms) == 2 and all(f.get("data-confirm") for f in reject_forms)
    assert document.get_element_by_id("approvals-bulk").get("data-confirm")
    boxes = document.xpath("//input[@name='registration']")
    assert [box.get("form") for box in boxes] == ["approvals-bulk"] * 2


def test_approving_one_gives_the_seat_and_the_next_one_a_waiting_place(app, client, conference):
    ada, bruno = arrive(app, conference, "Ada"), arrive(app, conference, "Bruno")
    base = f"/manage/c/{conference.slug}/approvals"

    first = post_form(client, f"{base}/{ada}/approve", {}, form_page=base)
    second = post_form(client, f"{base}/{bruno}/approve", {}, form_page=base)

    assert first.status_code == second.status_code == 303
    assert statuses() == {"Ada": "confirmed", "Bruno": "waiting"}
    page = page_text(client.get(base))
    assert "Nobody is waiting for a decision." in page
    kinds = Counter(message.kind for message in outbox())
    assert kinds == Counter(
        registration_pending=2, registration_confirmed=1, registration_waiting=1
    )
    actor = db.session.scalars(
        sa.select(AuditEntry.actor).filter_by(action="registration.approved", object_id=ada)
    ).one()
    assert actor == "organizer@example.org"


def test_the_ticked_registrations_are_decided_together(app, client, conference):
    ids = [arrive(app, conference, name) for name in ("Ada", "Bruno", "Chen")]
    base = f"/manage/c/{conference.slug}/approvals"

    response = post_form(
        client,
        f"{base}/decide",
        {"decision": "reject", "registration": [str(ids[0]), str(ids[2])]},
        form_page=base,
    )

    assert response.status_code == 303
    assert statuses() == {"Ada": "rejected", "Bruno": "pending", "Chen": "rejected"}
    page = page_text(client.get(base))
    assert "2 registrations rejected; each person has been told." in page
    assert "Approve after all" in page
    assert len(outbox(kind="registration_rejected")) == 2

    response = post_form(
        client,
        f"{base}/decide",
        {"decision": "approve", "registration": [str(ids[1])]},
        form_page=base,
    )
    assert "1 registration approved: 1 with a seat." in page_text(client.get(base))
    assert statuses()["Bruno"] == "confirmed"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"decision": "approve"}, "Tick at least one registration."),
        ({"registration": "1"}, "Choose whether to approve or to reject them."),
        ({"decision": "delete", "registration": "1"}, "Choose whether to approve or to reject"),
    ],
)
def test_an_incomplete_batch_is_refused_with_a_message_and_changes_nothing(
    app, client, conference, fields, message
):
    arrive(app, conference, "Ada")
    base = f"/manage/c/{conference.slug}/approvals"

    response = post_form(client, f"{base}/decide", fields, form_page=base)

    assert response.status_code == 400
    assert message in page_text(response)
    assert statuses() == {"Ada": "pending"}


def test_nonsense_ids_and_decided_registrations_are_left_as_they_are(app, client, conference):
    ada = arrive(app, conference, "Ada")
    base = f"/manage/c/{conference.slug}/approvals"
    post_form(client, f"{base}/{ada}/approve", {}, form_page=base)

    response = post_form(
        client,
        f"{base}/decide",
        {"decision": "reject", "registration": [str(ada), "x", "99999999999"]},
        form_page=base,
    )

    assert response.status_code == 303
    assert "1 registration was no longer waiting" in page_text(client.get(base))
    assert statuses() == {"Ada": "confirmed"}


def test_a_decision_without_its_csrf_token_is_refused(app, client, conference):
    ada = arrive(app, conference, "Ada")

    response = client.post(f"/manage/c/{conference.slug}/approvals/{ada}/reject")

    assert response.status_code == 400
    assert statuses() == {"Ada": "pending"}


def test_a_registration_of_another_conference_cannot_be_decided_here(app, client, conference):
    other = make_conference(requires_approval=True)
    zed = arrive(app, other, "Zed")
    base = f"/manage/c/{conference.slug}/approvals"

    post_form(client, f"{base}/{zed}/approve", {}, form_page=base)

    assert statuses() == {"Zed": "pending"}


def test_check_in_staff_may_not_decide(app, conference):
    ada = arrive(app, conference, "Ada")
    staff = make_user("desk@example.org")
    give_role(staff, conference, "checkin")
    client = app.test_client()
    log_in(client, staff)
    token = csrf_token_from(client.get("/manage/password").get_data(as_text=True))

    response = client.post(
        f"/manage/c/{conference.slug}/approvals/{ada}/approve", data={"csrf_token": token}
    )

    assert response.status_code == 403
    assert statuses() == {"Ada": "pending"}


def test_the_details_form_switches_approval_on_and_off_and_audits_it(app, client, conference):
    path = f"/manage/c/{conference.slug}/edit"
    page = client.get(path)
    document = lxml.html.fromstring(page.get_data(as_text=True))
    [form] = [f for f in document.forms if f.get("action") == path]
    values = dict(form.form_values())
    assert values.get("requires_approval") == "y"  # shown as it is

    values.pop("requires_approval")
    response = client.post(path, data=values)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).requires_approval is False
    entry = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="conference.updated").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.before["requires_approval"] is True and entry.after["requires_approval"] is False
    # Registrations now take seats at once; the form no longer says they are reviewed.
    arrive(app, conference, "Ada")
    assert statuses() == {"Ada": "confirmed"}

    values["requires_approval"] = "y"
    client.post(path, data=values)
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).requires_approval is True
