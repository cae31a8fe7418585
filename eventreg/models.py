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
    AccessCode,
    Answer,
    Broadcast,
    BroadcastMessage,
    Invitation,
    Question,
    Registration,
    RegistrationCategory,
    SessionSignup,
)

__all__ = [
    "AccessCode",
    "Answer",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "BroadcastMessage",
    "CalendarCopy",
    "Conference",
    "ConferenceRole",
    "InboundMessage",
    "Invitation",
    "OutboxMessage",
    "Question",
    "Registration",
    "RegistrationCategory",
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
