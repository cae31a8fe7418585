"""The one error type domain services raise for what they refuse."""

from typing import Self


class Invalid(Exception):
    """Refused input: form field name → a message to show next to that field.

    The key ``""`` holds a message about the input as a whole. Forms show the messages next
    to their fields; the API answers 422 with the same fields and messages.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors

    @classmethod
    def about(cls, message: str, field: str = "") -> Self:
        """A refusal with a single message (about ``field``, or the input as a whole)."""
        return cls({field: str(message)})

    @property
    def message(self) -> str:
        """All messages as one sentence, for a flash message or a log line."""
        return " ".join(str(message) for message in self.errors.values())


class Conflict(Invalid):
    """Refused because of the state of other data rather than the input itself: a room
    already taken, a speaker elsewhere, no seat left. The API answers 409."""
