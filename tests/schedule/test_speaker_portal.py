"""The speaker's self-service domain: the private link, answers per session, the profile,
availability, and the scheduler refusing a session outside a speaker's stated times."""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Speaker, SpeakerAvailability, talk_speaker
from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.schedule import speaker_portal as portal
from eventreg.schedule.changes import SessionFields, covers
from eventreg.schedule.services import create_session, invite_speakers, update_session
from tests.factories import at, make_conference, make_speaker, make_talk
from tests.registration.helpers import outbox, parse, readable_text

LINK = re.compile(r"https?://[^\s\"'<>]+/c/[^/\s]+/speaker/([A-Za-z0-9_\-]+)/")


@pytest.fixture
def conference(app):
    return make_conference(main_language="en")


@pytest.fixture
def speaker(conference):
    return make_speaker(conference, name="Ada Lovelace", email="ada@example.org")


def _link_token(message) -> str:
    match = LINK.search(readable_text(message))
    assert match, "no speaker link in the message"
    return match.group(1)


def _response(talk, speaker) -> str:
    db.session.commit()
    return db.session.scalar(
        sa.select(talk_speaker.c.response).where(
            talk_speaker.c.talk_id == talk.id, talk_speaker.c.speaker_id == speaker.id
        )
    )


# --- the link ---------------------------------------------------------------------------


def test_the_mailed_link_opens_the_speaker_and_only_its_digest_is_stored(conference, speaker):
    portal.send_link(None, speaker)
    [message] = outbox(kind="speaker_link")
    token = _link_token(message)
    db.session.refresh(speaker)
    assert speaker.token_hash and token not in speaker.token_hash
    assert portal.speaker_for_token(conference, token).id == speaker.id
    assert portal.speaker_for_token(conference, token + "x") is None
    assert portal.speaker_for_token(make_conference(), token) is None


def test_a_new_link_ends_the_old_one(conference, speaker):
    portal.send_link(None, speaker)
    portal.send_link(None, speaker)
    first, second = (_link_token(m) for m in outbox(kind="speaker_link"))
    assert portal.speaker_for_token(conference, first) is None
    assert portal.speaker_for_token(conference, second) is not None


def test_a_speaker_without_an_address_gets_no_link(conference):
    nobody = make_speaker(conference, name="No Mail")
    with pytest.raises(Invalid) as refused:
        portal.send_link(None, nobody)
    assert "email" in refused.value.errors
    assert outbox(kind="speaker_link") == []


def test_sending_all_links_mails_each_speaker_with_an_address(conference, speaker):
    make_speaker(conference, name="Grace Hopper", email="grace@example.org")
    make_speaker(conference, name="No Mail")
    assert portal.send_links(None, conference) == 2
    assert sorted(m.recipient for m in outbox(kind="speaker_link")) == [
        "ada@example.org",
        "grace@example.org",
    ]


def test_invite_speakers_includes_a_working_link(conference, speaker):
    make_talk(conference, speakers=[speaker])
    invite_speakers(conference)
    [invite] = outbox(kind="speaker_invite")
    assert portal.speaker_for_token(conference, _link_token(invite)) is not None


def test_speaker_mail_is_in_the_speakers_language_with_translated_content(conference, speaker):
    speaker.language = "zh"
    talk = make_talk(conference, title="Opening", translations={"zh": {"title": "开幕"}})
    talk.speakers.append(speaker)
    db.session.commit()
    invite_speakers(conference)
    [invite] = outbox(kind="speaker_invite")
    assert "开幕" in str(parse(invite)["Subject"])
    text = readable_text(invite)
    assert "开幕" in text and "Thank you for speaking" not in text


def test_speaker_mail_defaults_to_the_conferences_main_language(app):
    conference = make_conference(main_language="it")
    speaker = make_speaker(conference, email="ada@example.org")
    portal.send_link(None, speaker)
    [message] = outbox(kind="speaker_link")
    text = readable_text(message)
    assert text.startswith("Gentile ") and "Dear " not in text


# --- answers ----------------------------------------------------------------------------


def test_confirming_records_the_answer_and_audits_it(conference, speaker):
    talk = make_talk(conference, speakers=[speaker])
    assert _response(talk, speaker) == "pending"
    portal.respond(speaker, talk.id, "confirmed")
    assert _response(talk, speaker) == "confirmed"
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="speaker.confirmed"))
    assert entry.actor == "speaker" and entry.after["talk_id"] == talk.id
    assert outbox(kind="speaker_declined") == []


def test_declining_tells_the_organizers(conference, speaker):
    talk = make_talk(conference, title="Keynote", speakers=[speaker])
    portal.respond(speaker, talk.id, "declined")
    assert _response(talk, speaker) == "declined"
    [notice] = outbox(kind="speaker_declined")
    assert notice.recipient == conference.organizer_email
    assert "Ada Lovelace" in readable_text(notice) and "Keynote" in readable_text(notice)
    assert "ada@example.org" in str(parse(notice)["Reply-To"])
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="speaker.declined"))


def test_answering_a_session_of_someone_else_is_refused(conference, speaker):
    other = make_talk(conference)
    with pytest.raises(Conflict):
        portal.respond(speaker, other.id, "confirmed")
    with pytest.raises(Invalid):
        portal.respond(speaker, other.id, "maybe")


def test_the_organizers_see_every_answer(conference, speaker):
    talk = make_talk(conference, speakers=[speaker])
    portal.respond(speaker, talk.id, "confirmed")
    assert portal.responses(conference) == {(talk.id, speaker.id): "confirmed"}


# --- the profile --------------------------------------------------------------------------


def test_the_profile_keeps_each_language_links_and_the_chosen_language(conference, speaker):
    portal.update_profile(
        speaker,
        texts={
            "en": {"title": "Engineer", "bio": "Wrote the first program."},
            "zh": {"title": "工程师", "bio": "写了第一个程序。"},
            "it": {"title": "", "bio": ""},
        },
        links=[{"label": "Site", "url": "https://example.org/ada"}, {"label": "", "url": ""}],
        language="zh",
    )
    db.session.commit()
    speaker = db.session.get(Speaker, speaker.id)
    assert (speaker.title, speaker.bio) == ("Engineer", "Wrote the first program.")
    assert speaker.translations == {"zh": {"title": "工程师", "bio": "写了第一个程序。"}}
    assert speaker.links == [{"label": "Site", "url": "https://example.org/ada"}]
    assert speaker.language == "zh"
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="speaker.updated"))


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org", "example.org", "https://", "data:x"]
)
def test_only_http_links_are_taken(conference, speaker, url):
    with pytest.raises(Invalid) as refused:
        portal.update_profile(speaker, texts={}, links=[{"label": "x", "url": url}], language=None)
    assert "links.0" in refused.value.errors
    db.session.rollback()
    assert db.session.get(Speaker, speaker.id).links == []


def test_an_unknown_language_or_an_overlong_title_is_refused(conference, speaker):
    with pytest.raises(Invalid) as refused:
        portal.update_profile(speaker, texts={"en": {"title": "x" * 201}}, links=[], language="fr")
    assert set(refused.value.errors) == {"texts.en.title", "language"}


# --- availability -------------------------------------------------------------------------


def test_availability_is_entered_on_the_conference_clock_and_stored_in_utc(conference, speaker):
    day = conference.start_date
    portal.set_availability(speaker, [portal.DaySpan(day, time(9), time(12))])
    db.session.commit()
    [span] = db.session.scalars(sa.select(SpeakerAvailability)).all()
    assert span.start_at == at(conference, day, "09:00")  # 01:00 UTC in Shanghai
    assert span.start_at.utcoffset() == timedelta(0)
    assert portal.day_spans(db.session.get(Speaker, speaker.id)) == [
        portal.DaySpan(day, time(9), time(12))
    ]


def test_availability_outside_the_conference_or_backwards_is_refused(conference, speaker):
    day = conference.start_date
    with pytest.raises(Invalid) as refused:
        portal.set_availability(
            speaker,
            [
                portal.DaySpan(day - timedelta(days=1), time(9), time(12)),
                portal.DaySpan(day, time(12), time(9)),
            ],
        )
    assert set(refused.value.errors) == {"availability.0", "availability.1"}


def test_covers_joins_adjacent_spans(conference):
    a = at(conference, conference.start_date, "09:00")
    hour = timedelta(hours=1)
    assert covers([(a, a + hour), (a + hour, a + 2 * hour)], a, a + 2 * hour)
    assert not covers([(a, a + hour), (a + 2 * hour, a + 3 * hour)], a, a + 3 * hour)
    assert not covers([], a, a + hour)


def test_a_session_outside_a_speakers_availability_is_refused(conference, speaker):
    day = conference.start_date
    portal.set_availability(speaker, [portal.DaySpan(day, time(9), time(12))])
    outside = SessionFields(
        title="Late talk",
        start_at=at(conference, day, "14:00"),
        end_at=at(conference, day, "14:45"),
        speaker_ids=[speaker.id],
    )
    with pytest.raises(Conflict) as refused:
        create_session(None, conference, outside)
    assert "not available" in refused.value.errors["speaker_ids"]
    inside = SessionFields(
        title="Morning talk",
        start_at=at(conference, day, "10:00"),
        end_at=at(conference, day, "10:45"),
        speaker_ids=[speaker.id],
    )
    saved = create_session(None, conference, inside)
    with pytest.raises(Conflict):
        update_session(
            None,
            saved.talk,
            SessionFields(
                start_at=at(conference, day, "11:30"), end_at=at(conference, day, "12:30")
            ),
        )


def test_a_speaker_who_stated_nothing_is_available_always(conference, speaker):
    day = conference.start_date
    proposal = SessionFields(
        title="Any time",
        start_at=at(conference, day, "21:00"),
        end_at=at(conference, day, "21:45"),
        speaker_ids=[speaker.id],
    )
    assert create_session(None, conference, proposal).talk.id
