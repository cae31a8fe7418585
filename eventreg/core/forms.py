"""The base of every HTML form: text fields never take control characters.

Names, titles and descriptions end up in e-mail headers, calendar files and other people's
mail (and PostgreSQL refuses NUL outright), so the rule is checked once, here, for every
text field of every form: single-line fields refuse any control character, line breaks
included; text areas allow tabs and line breaks. Passwords are left as typed.
"""

from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, TextAreaField, ValidationError
from wtforms.i18n import messages_path

from eventreg.core.text import has_forbidden_characters

SINGLE_LINE_MESSAGE = _l("Please use a single line without control characters.")
MULTILINE_MESSAGE = _l("Please remove the control characters from this text.")


def control_character_error(field: Field) -> Any | None:
    """The message for a text field whose value holds characters no honest form sends."""
    if not isinstance(field, StringField) or isinstance(field, PasswordField):
        return None
    if not isinstance(field.data, str) or not field.data:
        return None
    multiline = isinstance(field, TextAreaField)
    if has_forbidden_characters(field.data, multiline=multiline):
        return MULTILINE_MESSAGE if multiline else SINGLE_LINE_MESSAGE
    return None


@lru_cache(maxsize=32)
def _wtforms_translations(locale: str) -> NullTranslations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):  # type: ignore[misc]  # flask_wtf is untyped
    """``FlaskForm`` that also refuses control characters in every text field."""

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def get_translations(self, form: Any) -> NullTranslations | None:
            """WTForms' own messages in the reader's language, read from disk once per
            language and process (Flask-WTF reads the catalogue again for every request)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return _wtforms_translations(str(get_locale() or "en"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for field in self:
            message = control_character_error(field)
            if message is not None:
                if message not in field.errors:
                    field.errors = [*field.errors, message]
                valid = False
        return valid


class NormalisedEmail:
    """Check the address's form without any DNS lookup (there is no network to ask) and
    replace the field's data with the normalised address that is stored."""

    def __call__(self, form: Any, field: Field) -> None:
        if not field.data:
            return
        try:
            # Non-ASCII before the @ needs SMTPUTF8 all the way to the recipient, which
            # the outgoing mail does not use: refuse it here rather than fail to deliver.
            result = validate_email(field.data, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as error:
            raise ValidationError(
                _l("This is not a valid e-mail address: %(reason)s", reason=str(error))
            ) from None
        field.data = result.normalized
