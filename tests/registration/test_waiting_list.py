"""Capacity and the waiting list: first come, first served, promoted when a seat frees."""

import pytest

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.registration import services
from tests.factories import make_conference
from tests.registration.helpers import (
    latest_link_for,
    outbox,
    page_text,
    post_form,
    readable_text,
    register,
    registration_by_email,
)


def register_people(app, conference, names: list[str]) -> None:
    for name in names:
        response = register(
            app.test_client(), conference, full_name=name, email=f"{name}@example.org"
        )
        assert response.status_code == 303


def statuses(names: list[str]) -> list[str]:
    return [registration_by_email(f"{name}@example.org").status for name in names]


def cancel_through_the_link(app, address: str):
    client = app.test_client()
    return post_form(client, latest_link_for(address) + "/cancel")


def test_when_full_new_registrations_join_the_waiting_list_in_order(app):
    conference = make_conference(capacity=2)

    register_people(app, conference, ["ada", "bruno", "chen", "dario"])

    assert statuses(["ada", "bruno", "chen", "dario"]) == [
        "confirmed",
        "confirmed",
        "waiting",
        "waiting",
    ]
    positions = [
        services.waiting_position(registration_by_email(f"{name}@example.org"))
        for name in ("chen", "dario")
    ]
    assert positions == [1, 2]
    kinds = [message.kind for message in outbox()]
    assert kinds == ["registration_confirmed"] * 2 + ["registration_waiting"] * 2


def test_the_mail_and_the_management_page_show_the_position(app):
    conference = make_conference(capacity=1)
    register_people(app, conference, ["ada", "bruno"])
    client = app.test_client()

    response = register(client, conference, full_name="Chen Wei", email="chen@example.org")

    # The page after the form says the same for everyone ("check your e-mail"): it must not
    # tell whether an address was registered before. The mail gives the position.
    confirmation = page_text(client.get(response.headers["Location"]))
    assert "Check your e-mail" in confirmation and "waiting list" in confirmation
    message = outbox(kind="registration_waiting")[-1]
    assert "in position 2" in readable_text(message)
    manage = page_text(client.get(latest_link_for("chen@example.org")))
    assert "You are number 2 on the waiting list" in manage


def test_cancelling_gives_the_seat_to_the_first_in_line(app):
    conference = make_conference(capacity=1)
    register_people(app, conference, ["ada", "bruno", "chen"])

    response = cancel_through_the_link(app, "ada@example.org")

    assert response.status_code == 303
    assert statuses(["ada", "bruno", "chen"]) == ["cancelled", "confirmed", "waiting"]
    assert services.waiting_position(registration_by_email("chen@example.org")) == 1
    bruno = registration_by_email("bruno@example.org")
    assert bruno.confirmed_at is not None
    [promotion] = outbox(kind="registration_promoted")
    assert promotion.registration_id == bruno.id
    assert "bruno@example.org" in promotion.recipient
    [cancellation] = outbox(kind="registration_cancelled")
    assert cancellation.registration_id == registration_by_email("ada@example.org").id


def test_a_waiting_attendee_who_cancels_frees_their_place_in_line(app):
    conference = make_conference(capacity=1)
    register_people(app, conference, ["ada", "bruno", "chen"])

    cancel_through_the_link(app, "bruno@example.org")

    assert statuses(["ada", "bruno", "chen"]) == ["confirmed", "cancelled", "waiting"]
    assert services.waiting_position(registration_by_email("chen@example.org")) == 1
    assert outbox(kind="registration_promoted") == []


def test_raising_the_capacity_promotes_in_order(app):
    conference = make_conference(capacity=1)
    register_people(app, conference, ["ada", "bruno", "chen", "dario"])

    promoted = services.set_conference_capacity(audit.SYSTEM, conference, 3)

    assert [registration.email for registration in promoted] == [
        "bruno@example.org",
        "chen@example.org",
    ]
    assert statuses(["ada", "bruno", "chen", "dario"]) == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waiting",
    ]
    assert len(outbox(kind="registration_promoted")) == 2


def test_removing_the_limit_promotes_everyone(app):
    conference = make_conference(capacity=0)
    register_people(app, conference, ["ada", "bruno"])
    assert statuses(["ada", "bruno"]) == ["waiting", "waiting"]

    services.set_conference_capacity(audit.SYSTEM, conference, None)

    assert statuses(["ada", "bruno"]) == ["confirmed", "confirmed"]


def test_lowering_the_capacity_keeps_every_seat_already_given(app):
    conference = make_conference(capacity=3)
    register_people(app, conference, ["ada", "bruno", "chen"])

    services.set_conference_capacity(audit.SYSTEM, conference, 1)
    register_people(app, conference, ["dario"])
    cancel_through_the_link(app, "ada@example.org")

    assert statuses(["ada", "bruno", "chen", "dario"]) == [
        "cancelled",
        "confirmed",
        "confirmed",
        "waiting",
    ]


@pytest.mark.parametrize("capacity", [-1, 2.5, "10"])
def test_a_capacity_must_be_a_whole_number_of_seats(app, capacity):
    conference = make_conference(capacity=1)

    with pytest.raises(Invalid) as refused:
        services.set_conference_capacity(audit.SYSTEM, conference, capacity)

    assert set(refused.value.errors) == {"capacity"}
    db.session.rollback()
    assert db.session.get(Conference, conference.id).capacity == 1


def test_a_cancelled_attendee_who_registers_again_joins_the_end_of_the_queue(app):
    conference = make_conference(capacity=1)
    register_people(app, conference, ["ada", "bruno"])
    cancel_through_the_link(app, "ada@example.org")  # bruno takes the seat
    register_people(app, conference, ["chen"])

    response = register(
        app.test_client(), conference, full_name="Ada Again", email="ada@example.org"
    )

    assert response.status_code == 303
    ada = registration_by_email("ada@example.org")
    assert ada.status == "waiting"
    assert ada.cancelled_at is None
    assert ada.full_name == "Ada Again"
    assert services.waiting_position(ada) == 2
    assert services.seat_counts(conference.id) == {"confirmed": 1, "waiting": 2}
    assert outbox(kind="registration_waiting")[-1].registration_id == ada.id


def test_a_cancelled_attendee_who_registers_again_gets_a_free_seat(app):
    conference = make_conference(capacity=2)
    register_people(app, conference, ["ada"])
    cancel_through_the_link(app, "ada@example.org")
    old_link = latest_link_for("ada@example.org")

    register_people(app, conference, ["ada"])

    assert statuses(["ada"]) == ["confirmed"]
    assert app.test_client().get(old_link).status_code == 404
    assert latest_link_for("ada@example.org") != old_link


def test_without_a_capacity_everyone_has_a_seat(app):
    conference = make_conference(capacity=None)

    register_people(app, conference, ["ada", "bruno", "chen"])

    assert statuses(["ada", "bruno", "chen"]) == ["confirmed"] * 3
