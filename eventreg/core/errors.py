"""The one error type domain services raise for input they refuse."""


class Invalid(Exception):
    """Refused input: form field name → a message to show next to that field.

    The key ``""`` holds a message about the input as a whole.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors
