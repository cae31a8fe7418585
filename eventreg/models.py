"""Every model in one import, for migrations, the shell and tests."""

from eventreg.conferences.models import Conference, Room, Track
from eventreg.mail.models import OutboxMessage
from eventreg.registration.models import Answer, Question, Registration, SessionSignup
from eventreg.schedule.models import Speaker, Talk, talk_speaker

__all__ = [
    "Answer",
    "Conference",
    "OutboxMessage",
    "Question",
    "Registration",
    "Room",
    "SessionSignup",
    "Speaker",
    "Talk",
    "Track",
    "talk_speaker",
]
