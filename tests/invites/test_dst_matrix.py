"""Every message kind and every feed, on both Europe/Rome DST nights of 2027, for a
conference in Asia/Shanghai and one in Europe/Rome, with Chinese titles: icalendar, vobject
and ical.js agree on the UTC instants written below, and one attendee's walk (invite →
session update → leave → re-join → cancel) gets a strictly higher SEQUENCE on every message
of each UID.

The clocks change at 01:00Z both nights: 2027-03-28 02:00 CET → 03:00 CEST (02:00–03:00 does
not exist), 2027-10-31 03:00 CEST → 02:00 CET (02:00–03:00 happens twice). Shanghai keeps
UTC+8 all year. A message kind is a step in :data:`STEPS`: how to produce it and which
messages (recipient, METHOD, UID) it sends; add a kind by adding a step.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference, Talk
from eventreg.core.extensions import db
from eventreg.invites.replies import reply_address
from eventreg.mail.delivery import deliver_due
from eventreg.mail.models import OutboxMessage
from eventreg.registration import services as registration_services
from eventreg.registration.models import Registration
from eventreg.registration.reminders import KINDS as reminder_kinds
from eventreg.registration.replies import handle_reply
from eventreg.registration.tokens import feed_token_for
from eventreg.schedule.changes import FIRST, SECOND, SessionFields, session_times
from eventreg.schedule.services import cancel_session, create_session, update_session
from tests.factories import make_conference, make_room, make_speaker
from tests.invites.parsers import ParsedEvent, parse_agreed
from tests.invites.test_conversation import invite_in
from tests.mail.mailbox import deliver
from tests.registration import reply_messages
from tests.registration.reply_messages import Answer

TITLE = "合成生物学：从实验室到产业, 第一部分; 讨论"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Slot:
    """A session of the night: its UTC instants (what every parser must read) and, for the
    Rome conference, how an organizer types it (clocks, and which 02:30 when it is shown
    twice)."""

    key: str
    title: str
    start: datetime
    end: datetime
    rome: tuple[time, time, str | None, str | None]


@dataclass(frozen=True)
class Night:
    day: date
    slots: tuple[Slot, ...]
    conference_span: tuple[datetime, datetime]  # from the first session to the last
    walked: str  # the session the attendee updates, leaves and joins again
    cancelled: str  # the session the organizers cancel (inside the span: it stays put)


NIGHTS = {
    "spring": Night(
        day=date(2027, 3, 28),
        slots=(
            # 01:30 CET – 03:30 CEST in Rome; 08:30–09:30 in Shanghai.
            Slot(
                "across",
                f"{TITLE}（跨越时钟变化）",
                utc("2027-03-28T00:30"),
                utc("2027-03-28T01:30"),
                (time(1, 30), time(3, 30), None, None),
            ),
            # 03:00–04:00 CEST, right after the skipped hour.
            Slot(
                "after the gap",
                f"{TITLE}（时钟跳过之后）",
                utc("2027-03-28T01:00"),
                utc("2027-03-28T02:00"),
                (time(3, 0), time(4, 0), None, None),
            ),
            Slot(
                "cancelled",
                f"{TITLE}（取消）",
                utc("2027-03-28T01:15"),
                utc("2027-03-28T01:45"),
                (time(3, 15), time(3, 45), None, None),
            ),
        ),
        conference_span=(utc("2027-03-28T00:30"), utc("2027-03-28T02:00")),
        walked="after the gap",
        cancelled="cancelled",
    ),
    "autumn": Night(
        day=date(2027, 10, 31),
        slots=(
            # 01:30 CEST – 03:30 CET: three hours of elapsed time.
            Slot(
                "across",
                f"{TITLE}（跨越时钟变化）",
                utc("2027-10-30T23:30"),
                utc("2027-10-31T02:30"),
                (time(1, 30), time(3, 30), None, None),
            ),
            # 02:30–02:50 the first time (CEST) ...
            Slot(
                "first 02:30",
                f"{TITLE}（第一次 02:30）",
                utc("2027-10-31T00:30"),
                utc("2027-10-31T00:50"),
                (time(2, 30), time(2, 50), FIRST, FIRST),
            ),
            # ... and the second time (CET).
            Slot(
                "second 02:30",
                f"{TITLE}（第二次 02:30）",
                utc("2027-10-31T01:30"),
                utc("2027-10-31T01:50"),
                (time(2, 30), time(2, 50), SECOND, SECOND),
            ),
        ),
        conference_span=(utc("2027-10-30T23:30"), utc("2027-10-31T02:30")),
        walked="first 02:30",
        cancelled="second 02:30",
    ),
}
ZONES = ("Asia/Shanghai", "Europe/Rome")
ATTENDEE = "xiaoming@example.org"


class World:
    """One conference on one night: a room and a speaker per session (they overlap), one
    attendee registered in Chinese, and every message delivered so far."""

    def __init__(self, zone: str, night: Night, smtp_server):
        self.night = night
        self.smtp_server = smtp_server
        self.conference: Conference = make_conference(
            timezone=zone,
            start_date=night.day,
            end_date=night.day + timedelta(days=1),
            conference_reminder_minutes=[24 * 60],
            session_reminder_minutes=[60],
        )
        self.registration: Registration | None = None  # registers once the programme is out
        self.talks: dict[str, Talk] = {}
        self.speaker_emails: dict[str, str] = {}
        self.delivered = 0

    def slot(self, key: str) -> Slot:
        return next(slot for slot in self.night.slots if slot.key == key)

    def uid(self, key: str) -> str:
        return f"{self.talks[key].uuid}@eventreg"

    @property
    def conference_uid(self) -> str:
        return f"{self.conference.uuid}@eventreg"

    def expected_instants(self) -> dict[str, tuple[datetime, datetime]]:
        instants = {self.uid(s.key): (s.start, s.end) for s in self.night.slots}
        instants[self.conference_uid] = self.night.conference_span
        return instants

    def new_messages(self):
        messages = deliver(self.smtp_server)
        new, self.delivered = messages[self.delivered :], len(messages)
        return new


# --- the message kinds --------------------------------------------------------------------

Sent = list[tuple[str, str, str]]  # (recipient, METHOD, UID) of each message a step sends


def create_sessions(world: World) -> Sent:
    """Speaker invites: each session created through the schedule's write path."""
    tz = world.conference.tz
    for slot in world.night.slots:
        speaker = make_speaker(world.conference, name=f"张{slot.key}", email=_email(slot))
        start, end = slot.start, slot.end
        if tz.key == "Europe/Rome":  # typed on the venue's clock, as the form does
            start, end = session_times(tz, world.night.day, *slot.rome)
            assert (start, end) == (slot.start, slot.end), slot.key
        proposal = SessionFields(
            title=slot.title,
            start_at=start,
            end_at=end,
            room_id=make_room(world.conference, name=f"会议室 {slot.key}").id,
            speaker_ids=[speaker.id],
        )
        world.talks[slot.key] = create_session(None, world.conference, proposal).talk
        world.speaker_emails[slot.key] = speaker.email
    return [(_email(slot), "REQUEST", world.uid(slot.key)) for slot in world.night.slots]


def conference_invite(world: World) -> Sent:
    """Registering through the one write path: the seat, its invite and its reminders."""
    data = registration_services.RegistrationData(
        full_name="王小明", email=ATTENDEE, locale="zh", consent_text="同意"
    )
    world.registration, _secret, _outcome = registration_services.register(
        None, world.conference, data
    )
    return [(ATTENDEE, "REQUEST", world.conference_uid)]


def session_invites(world: World) -> Sent:
    for talk in world.talks.values():
        registration_services.join_session(None, world.registration, talk)
    return [(ATTENDEE, "REQUEST", world.uid(slot.key)) for slot in world.night.slots]


def session_update(world: World) -> Sent:
    key = world.night.walked
    update_session(None, world.talks[key], SessionFields(title=world.slot(key).title + "（更新）"))
    return _holder_and_speaker(world, key, "REQUEST")


def session_cancel(world: World) -> Sent:
    key = world.night.cancelled
    cancel_session(None, world.talks[key])
    return _holder_and_speaker(world, key, "CANCEL")


def session_leave(world: World) -> Sent:
    key = world.night.walked
    registration_services.leave_session(None, world.registration, world.talks[key])
    return [(ATTENDEE, "CANCEL", world.uid(key))]


def session_rejoin(world: World) -> Sent:
    key = world.night.walked
    registration_services.join_session(None, world.registration, world.talks[key])
    return [(ATTENDEE, "REQUEST", world.uid(key))]


def conference_cancel(world: World) -> Sent:
    """Cancelling the registration: the conference and each session still held (not the
    one the organizers cancelled)."""
    registration_services.cancel_registration(None, world.registration)
    held = [s.key for s in world.night.slots if s.key != world.night.cancelled]
    return [(ATTENDEE, "CANCEL", world.conference_uid)] + [
        (ATTENDEE, "CANCEL", world.uid(key)) for key in held
    ]


def reminders(world: World) -> Sent:
    """Every reminder, delivered as time passes: at each due time, what is due then. Each
    carries its event (METHOD:PUBLISH) at the instants of the table."""
    dues = db.session.scalars(
        sa.select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.kind.in_(reminder_kinds), OutboxMessage.status == "pending")
        .distinct()
        .order_by(OutboxMessage.next_attempt_at)
    ).all()
    for due in dues:
        deliver_due(now=due)
    sent = [(ATTENDEE, "PUBLISH", world.conference_uid)]
    sent += [(ATTENDEE, "PUBLISH", world.uid(slot.key)) for slot in world.night.slots]
    for slot in world.night.slots:
        speaker = world.speaker_emails[slot.key]
        sent += [
            (speaker, "PUBLISH", world.conference_uid),
            (speaker, "PUBLISH", world.uid(slot.key)),
        ]
    return sent


def _answer_from_calendar(world: World, key: str, partstat: str, client) -> None:
    """The attendee presses a button on a session's invite: the REPLY reaches the handler
    the receivers feed, shaped as that client sends it."""
    address = reply_address(world.registration.id)
    answer = Answer(
        organizer=address,
        uid=world.uid(key),
        attendee=ATTENDEE,
        partstat=partstat,
        name="王小明",
        comment="抱歉，我来不了；谢谢" if partstat == "DECLINED" else None,
        summary=world.slot(key).title,
    )
    assert handle_reply(client(answer), [address]).outcome in ("left", "joined")


def calendar_decline(world: World) -> Sent:
    """Declined in Outlook: the attendee leaves the session, and the CANCEL confirms it."""
    key = _untouched(world)
    _answer_from_calendar(world, key, "DECLINED", reply_messages.outlook)
    return [(ATTENDEE, "CANCEL", world.uid(key))]


def calendar_accept(world: World) -> Sent:
    """Accepted again in Apple Calendar: back in the session, with a new invite."""
    key = _untouched(world)
    _answer_from_calendar(world, key, "ACCEPTED", reply_messages.apple)
    return [(ATTENDEE, "REQUEST", world.uid(key))]


def _untouched(world: World) -> str:
    """A session neither walked nor cancelled by the organizers: the one answered from the
    calendar."""
    night = world.night
    return next(s.key for s in night.slots if s.key not in (night.walked, night.cancelled))


def _email(slot: Slot) -> str:
    return f"speaker-{slot.key.replace(' ', '-').replace(':', '')}@example.org"


def _holder_and_speaker(world: World, key: str, method: str) -> Sent:
    return [(ATTENDEE, method, world.uid(key)), (world.speaker_emails[key], method, world.uid(key))]


@dataclass(frozen=True)
class Step:
    kind: str
    produce: Callable[[World], Sent]


# In the order they happen; the attendee's walk is invite → update → leave → re-join → cancel.
STEPS = (
    Step("speaker invite", create_sessions),
    Step("conference invite", conference_invite),
    Step("session invite", session_invites),
    Step("reminders", reminders),
    Step("session update", session_update),
    Step("session cancel", session_cancel),
    Step("session leave", session_leave),
    Step("session re-join", session_rejoin),
    Step("calendar decline (reply confirmation)", calendar_decline),
    Step("calendar accept (reply confirmation)", calendar_accept),
    Step("conference cancel", conference_cancel),
)


# --- the feeds ------------------------------------------------------------------------------


def feeds(client, world: World) -> dict[str, bytes]:
    slug = world.conference.slug
    paths = [
        f"/c/{slug}/schedule.ics",
        f"/feeds/agenda/{feed_token_for(world.registration.id)}.ics",
    ]
    paths += [f"/c/{slug}/sessions/{talk.id}.ics" for talk in world.talks.values()]
    responses = {path: client.get(path) for path in paths}
    assert {p: r.status_code for p, r in responses.items()} == dict.fromkeys(paths, 200)
    return {path: response.data for path, response in responses.items()}


def check_instants(events: dict[str, ParsedEvent], world: World, where: str) -> None:
    expected = world.expected_instants()
    for uid, event in events.items():
        assert (event.start, event.end) == expected[uid], f"{where}: {event.summary}"
        if uid != world.conference_uid:
            assert TITLE in event.summary, where


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("night_name", list(NIGHTS))
def test_every_message_and_feed_reads_the_same_instants_and_sequence_grows(
    client, smtp_server, zone, night_name
):
    world = World(zone, NIGHTS[night_name], smtp_server)
    # Per (recipient, UID): the SEQUENCE of each message, in order.
    sequences: dict[tuple[str, str], list[int]] = defaultdict(list)
    kinds_seen = []

    for step in STEPS:
        expected = step.produce(world)
        got = []
        for message in world.new_messages():
            method, event, _message = invite_in(message)  # all three parsers agree
            recipient = message["To"].addresses[0].addr_spec
            got.append((recipient, method, event.uid))
            check_instants({event.uid: event}, world, step.kind)
            if method == "PUBLISH":
                # A reminder's copy carries the SEQUENCE the recipient has: not an update.
                # (Speakers get no invite of the conference itself, only its reminder.)
                had = sequences[recipient, event.uid] or [event.sequence]
                assert recipient in world.speaker_emails.values() or sequences[recipient, event.uid]
                assert event.sequence == had[-1], step.kind
            else:
                sequences[recipient, event.uid].append(event.sequence)
        assert sorted(got) == sorted(expected), step.kind
        kinds_seen.append(step.kind)
        if step.kind == "session invite":  # everything held: every feed, every event
            for path, data in feeds(client, world).items():
                check_instants(parse_agreed(data)[1], world, path)

    # Once cancelled, the agenda keeps what it held, cancelled, at the same instants.
    withdrawn = feeds(client, world)
    for path, data in withdrawn.items():
        check_instants(parse_agreed(data)[1], world, path)
    agenda = parse_agreed(withdrawn[f"/feeds/agenda/{feed_token_for(world.registration.id)}.ics"])
    assert {event.status for event in agenda[1].values()} == {"CANCELLED"}

    assert kinds_seen == [step.kind for step in STEPS]
    for (recipient, uid), seen in sequences.items():
        assert seen == sorted(set(seen)), f"{recipient} {uid}: SEQUENCE {seen}"
    walked = sequences[ATTENDEE, world.uid(world.night.walked)]
    assert len(walked) == 5  # invite, update, leave, re-join, cancel


def test_the_rome_clocks_of_the_table_are_the_ones_an_organizer_sees():
    """The literal instants above, read back on the venue's clock (a check of the table)."""
    rome = ZoneInfo("Europe/Rome")
    autumn = {slot.key: slot for slot in NIGHTS["autumn"].slots}
    first, second = autumn["first 02:30"].start.astimezone(rome), autumn["second 02:30"].start
    assert (first.strftime("%H:%M %Z"), first.fold) == ("02:30 CEST", 0)
    assert second.astimezone(rome).strftime("%H:%M %Z") == "02:30 CET"
    across = NIGHTS["spring"].slots[0]
    assert across.start.astimezone(rome).strftime("%H:%M %Z") == "01:30 CET"
    assert across.end.astimezone(rome).strftime("%H:%M %Z") == "03:30 CEST"
