"""E-mail addresses as people type them: checked without DNS (there may be none) and
normalised, so that one address is stored one way."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from eventreg.core.errors import Invalid


def normalise_email(raw: str, field: str = "email") -> str:
    """The normalised address; ``Invalid`` (on ``field``) when it is not one."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        message = _("This is not a valid e-mail address: %(why)s", why=error)
        raise Invalid({field: message}) from None
