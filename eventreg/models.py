"""Every model in one import, for migrations, the shell and tests."""

from eventreg.api.models import ApiToken
from eventreg.conferences.models import Conference, Room, Track
from eventreg.invites.models import FeedVersion
from eventreg.mail.models import OutboxMessage
from eventreg.organizers.models import (
    AuditEntry,
    Broadcast,
    BroadcastMessage,
    ConferenceRole,
    User,
)
from eventreg.registration.models import Answer, Question, Registration, SessionSignup
from eventreg.schedule.models import Speaker, Talk, talk_speaker

__all__ = [
    "Answer",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "BroadcastMessage",
    "Conference",
    "ConferenceRole",
    "FeedVersion",
    "OutboxMessage",
    "Question",
    "Registration",
    "Room",
    "SessionSignup",
    "Speaker",
    "Talk",
    "Track",
    "User",
    "talk_speaker",
]
