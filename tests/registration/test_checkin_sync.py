"""The offline desk's sync: a batch of check-ins made against the signed list of codes is
checked in in one transaction, counting each attendee once and keeping the earliest time."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.registration import checkin
from eventreg.registration.checkin import BadBatch, SyncItem, checkin_code, desk_list, sync
from eventreg.registration.models import Registration
from tests.factories import make_conference
from tests.mail.builders import make_registration


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", published=True)


@pytest.fixture
def issued_list(conference):
    """The desk's list, downloaded an hour ago."""
    with freeze_time(utcnow() - timedelta(hours=1)):
        return desk_list(conference)


def item(person, minutes_ago: float, item_id: str = "a1") -> SyncItem:
    return SyncItem(item_id, checkin_code(person.id), utcnow() - timedelta(minutes=minutes_ago))


def arrival(person):
    db.session.rollback()
    return db.session.get(Registration, person.id).checked_in_at


def audit_count() -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .filter_by(action="registration.checked_in")
    )


def payload_of(signed: str) -> dict:
    return json.loads(signed[: signed.rindex(".")])


def test_the_list_names_the_conference_codes_and_people(conference):
    person = make_registration(conference, full_name="Li Na", affiliation="Sun Yat-sen")
    waiting = make_registration(conference, full_name="Wang Wei", status="waiting")
    make_registration(make_conference(slug="other"), full_name="Stranger")

    payload = payload_of(desk_list(conference))

    assert payload["conference"] == conference.id
    assert payload["people"] == [
        [checkin_code(person.id), "Li Na", "Sun Yat-sen", "confirmed", None],
        [checkin_code(waiting.id), "Wang Wei", "", "waiting", None],
    ]


def test_a_batch_checks_people_in_at_the_desks_time(conference, issued_list):
    person = make_registration(conference, full_name="Li Na")
    queued = item(person, minutes_ago=10)

    [answer] = sync(None, conference, issued_list, [queued])

    assert (answer.id, answer.result, answer.name) == ("a1", "checked_in", "Li Na")
    assert arrival(person) == queued.checked_in_at
    assert answer.checked_in_at == queued.checked_in_at
    assert audit_count() == 1
    assert checkin.counts(conference) == (1, 1)


def test_the_same_batch_synced_twice_counts_once(conference, issued_list):
    person = make_registration(conference)
    batch = [item(person, minutes_ago=10)]

    first = sync(None, conference, issued_list, batch)
    arrived = arrival(person)
    second = sync(None, conference, issued_list, batch)

    assert [a.result for a in first] == [a.result for a in second] == ["checked_in"]
    assert arrival(person) == arrived
    assert audit_count() == 1


def test_the_same_person_in_one_batch_twice_counts_once(conference, issued_list):
    person = make_registration(conference)

    answers = sync(None, conference, issued_list, [item(person, 10, "a1"), item(person, 5, "a2")])

    assert [a.result for a in answers] == ["checked_in", "already"]
    assert audit_count() == 1


def test_two_desks_count_once_and_the_earliest_time_wins(conference, issued_list):
    person = make_registration(conference)
    later, earlier = item(person, 5, "desk-a"), item(person, 20, "desk-b")

    [first] = sync(None, conference, issued_list, [later])
    [second] = sync(None, conference, issued_list, [earlier])
    [third] = sync(None, conference, issued_list, [item(person, 1, "desk-c")])

    assert first.result == "checked_in"
    assert second.result == "already"  # counted already, by the other desk
    assert third.result == "already"
    assert arrival(person) == earlier.checked_in_at
    assert third.checked_in_at == earlier.checked_in_at
    assert audit_count() == 1
    assert checkin.counts(conference) == (1, 1)


def test_a_desk_check_in_after_one_at_the_counter_keeps_the_first(conference, issued_list):
    person = make_registration(conference)
    checkin.check_in(None, conference, person.id)
    at_counter = arrival(person)

    [answer] = sync(None, conference, issued_list, [item(person, 0.5)])

    assert answer.result == "already"
    assert arrival(person) == min(at_counter, answer.checked_in_at)
    assert audit_count() == 1


def test_codes_of_another_conference_are_unknown_here(conference, issued_list):
    stranger = make_registration(make_conference(slug="other"))

    [answer] = sync(None, conference, issued_list, [item(stranger, 5)])

    assert (answer.result, answer.name) == ("unknown", "")
    assert arrival(stranger) is None
    assert audit_count() == 0


def test_made_up_codes_and_bad_times_are_answered_per_item(conference, issued_list):
    person = make_registration(conference, full_name="Li Na")
    waiting = make_registration(conference, status="waiting")

    answers = sync(
        None,
        conference,
        issued_list,
        [
            SyncItem("x", "not-a-code", utcnow()),
            SyncItem("t", checkin_code(person.id), None),
            item(waiting, 5, "w"),
            item(person, 5, "ok"),
        ],
    )

    assert [(a.id, a.result) for a in answers] == [
        ("x", "unknown"),
        ("t", "invalid"),
        ("w", "refused"),
        ("ok", "checked_in"),
    ]
    assert arrival(waiting) is None
    assert audit_count() == 1


def test_a_wrong_clock_is_brought_within_the_lists_time_and_now(conference, issued_list):
    early, late = make_registration(conference), make_registration(conference)
    issued = checkin._issued_at(conference, issued_list)

    sync(
        None,
        conference,
        issued_list,
        [item(early, minutes_ago=60 * 24 * 365), item(late, minutes_ago=-60 * 24, item_id="b")],
    )

    assert arrival(early) == issued
    assert issued < arrival(late) <= utcnow()


def test_a_tampered_list_is_refused_and_nothing_is_checked_in(conference, issued_list):
    person = make_registration(conference)
    text, signature = issued_list.rsplit(".", 1)
    forged = text.replace('"people":[', '"people":[["forged","Forged","","confirmed",null],')

    with pytest.raises(BadBatch):
        sync(None, conference, forged + "." + signature, [item(person, 5)])
    with pytest.raises(BadBatch):
        sync(None, conference, text + "." + signature[::-1], [item(person, 5)])

    assert arrival(person) is None
    assert audit_count() == 0


def test_the_list_of_another_conference_is_refused(conference):
    other = make_conference(slug="other")
    person = make_registration(conference)

    with pytest.raises(BadBatch):
        sync(None, conference, desk_list(other), [item(person, 0)])

    assert arrival(person) is None


def test_a_batch_of_the_wrong_shape_is_refused():
    for raw in (None, "items", [1], [{"id": "a"}], [{"id": "", "code": "c"}]):
        with pytest.raises(BadBatch):
            checkin.parse_items(raw)
    with pytest.raises(BadBatch):
        checkin.parse_items([{"id": str(n), "code": "c"} for n in range(checkin.SYNC_LIMIT + 1)])

    [parsed] = checkin.parse_items([{"id": "a", "code": " c ", "checked_in_at": "yesterday"}])
    assert parsed == SyncItem("a", "c", None)
    [parsed] = checkin.parse_items(
        [{"id": "a", "code": "c", "checked_in_at": "2026-05-04T08:30:00.250Z"}]
    )
    assert parsed.checked_in_at.isoformat() == "2026-05-04T08:30:00.250000+00:00"
