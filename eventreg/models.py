"""Every model in one import, for migrations, the shell and tests."""

from eventreg.accounts.models import ApiToken, User
from eventreg.conferences.models import (
    Conference,
    ConferenceRole,
    Room,
    Speaker,
    SpeakerAvailability,
    Talk,
    TalkDraft,
    Track,
    talk_speaker,
)
from eventreg.core.audit import AuditEntry
from eventreg.invites.models import CalendarCopy
from eventreg.mail.models import InboundMessage, OutboxMessage
from eventreg.registration.models import (
    Answer,
    Broadcast,
    BroadcastMessage,
    Question,
    Registration,
    SessionSignup,
)

__all__ = [
    "Answer",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "BroadcastMessage",
    "CalendarCopy",
    "Conference",
    "ConferenceRole",
    "InboundMessage",
    "OutboxMessage",
    "Question",
    "Registration",
    "Room",
    "SessionSignup",
    "Speaker",
    "SpeakerAvailability",
    "Talk",
    "TalkDraft",
    "Track",
    "User",
    "talk_speaker",
]
