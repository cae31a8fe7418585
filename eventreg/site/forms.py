"""The registration form, the details form and the resend form.

The conference's own questions become fields of a form class made once per set of
questions (and consent text) and kept: a request only fills an instance in. Text is Unicode-clean:
any script is welcome (Chinese, accented Italian), text is stored NFC-normalised, and what
no honest form sends is refused with a message: control characters, line breaks in
single-line fields, direction overrides (all three refused by every form, see
``eventreg.core.forms``) and over-long values.
"""

import threading
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import TypeVar

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventreg.conferences.models import Conference
from eventreg.core.forms import Form, NormalisedEmail
from eventreg.core.translations import reader_language, text_in
from eventreg.registration.models import Registration
from eventreg.registration.questions import QuestionDefinition
from eventreg.registration.services import Details, RegistrationData
from eventreg.site.countries import countries

NAME_MAX = 200
AFFILIATION_MAX = 200
EMAIL_MAX = 254
SHORT_ANSWER_MAX = 500
LONG_ANSWER_MAX = 5000


def clean_text(value):
    """Strip surrounding blanks and store one Unicode form (NFC), so that "Nicolò" typed
    with a combining accent and with a precomposed letter is the same name."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value.strip())


def _too_long(maximum: int) -> Length:
    return Length(max=maximum, message=_l("Please keep this to %(max)d characters or fewer."))


def country_choices() -> list[SelectChoice]:
    return list(_country_choices(str(get_locale())))


@cache
def _country_choices(locale: str) -> tuple[SelectChoice, ...]:
    # Made once per language: a form is filled in (and checked) with them at every request.
    return (
        SelectChoice("", _l("Prefer not to say")),
        *(SelectChoice(code, name) for code, name in countries(locale)),
    )


def country_name(code: str) -> str:
    return dict(countries(str(get_locale()))).get(code, code)


def _name_field() -> StringField:
    return StringField(
        _l("Full name"),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Please enter your name.")),
            _too_long(NAME_MAX),
        ],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )


def _affiliation_field() -> StringField:
    return StringField(
        _l("Organisation or affiliation"),
        filters=[clean_text],
        validators=[Optional(), _too_long(AFFILIATION_MAX)],
        render_kw={"autocomplete": "organization", "maxlength": AFFILIATION_MAX},
    )


class CountryField(SelectField):
    """The country list, with the choice checked against a set of the codes: the ~250
    choices are shown on the page, not walked again at every submission."""

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            return
        if self.data not in _country_codes(str(get_locale())):
            raise ValidationError(self.invalid_choice_message)


@cache
def _country_codes(locale: str) -> frozenset[str]:
    # Per language: the lists of the languages' data may differ by a territory or two.
    return frozenset(["", *(code for code, _ in countries(locale))])


def _country_field() -> SelectField:
    return CountryField(
        _l("Country"),
        choices=country_choices,
        default="",
        invalid_choice_message=_l("Please choose a country from the list."),
        render_kw={"autocomplete": "country"},
    )


def _email_field() -> StringField:
    # A text input, not type=email: browsers refuse valid international addresses.
    return StringField(
        _l("E-mail address"),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Please enter your e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("An e-mail address has at most 254 characters.")),
            NormalisedEmail(),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "maxlength": EMAIL_MAX},
    )


def question_field(question: QuestionDefinition) -> Field:
    """The form field for one of the organizer's questions."""
    label = question.label
    description = question.help_text or ""
    if question.kind == "checkbox":
        validators = (
            [DataRequired(message=_l("Please tick this box to continue."))]
            if question.required
            else []
        )
        return BooleanField(label, description=description, validators=validators)
    presence = (
        [InputRequired(message=_l("Please answer this question."))]
        if question.required
        else [Optional()]
    )
    # The value is the main-language choice, which is what is stored; the label is the
    # reader's language.
    choices = [
        SelectChoice(choice, label)
        for choice, label in zip(question.choices or (), question.labels, strict=True)
    ]
    if question.kind == "single_choice":
        return RadioField(
            label,
            description=description,
            choices=choices,
            validators=presence,
            invalid_choice_message=_l("Please choose one of the options."),
        )
    if question.kind == "multiple_choice":
        validators = (
            [DataRequired(message=_l("Please choose at least one option."))]
            if question.required
            else [Optional()]
        )
        return SelectMultipleField(
            label,
            description=description,
            choices=choices,
            validators=validators,
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            invalid_choice_message=_l("Please choose among the options."),
        )
    # Text answers are checked after the blanks are stripped: an answer of only spaces or
    # line breaks is no answer (InputRequired would accept it and store nothing).
    text_presence = (
        [DataRequired(message=_l("Please answer this question."))]
        if question.required
        else [Optional()]
    )
    if question.kind == "long_text":
        return TextAreaField(
            label,
            description=description,
            filters=[clean_text],
            validators=[*text_presence, _too_long(LONG_ANSWER_MAX)],
            render_kw={"maxlength": LONG_ANSWER_MAX, "rows": 4},
        )
    return StringField(
        label,
        description=description,
        filters=[clean_text],
        validators=[*text_presence, _too_long(SHORT_ANSWER_MAX)],
        render_kw={"maxlength": SHORT_ANSWER_MAX},
    )


class _AnswersMixin:
    """Reads the question fields back as the answers the services store."""

    questions: Sequence[QuestionDefinition] = ()

    def question_fields(self) -> list[Field]:
        return [self[question_field_name(question)] for question in self.questions]

    def answers(self) -> dict[int, object]:
        answers: dict[int, object] = {}
        for question in self.questions:
            value = self[question_field_name(question)].data
            if question.kind == "checkbox":
                answers[question.id] = bool(value)
            elif value:
                answers[question.id] = list(value) if question.kind == "multiple_choice" else value
        return answers


def question_field_name(question: QuestionDefinition) -> str:
    return f"question_{question.id}"


class RegistrationForm(_AnswersMixin, Form):
    full_name = _name_field()
    email = _email_field()
    affiliation = _affiliation_field()
    country = _country_field()

    consent_text = ""

    def to_data(self) -> RegistrationData:
        return RegistrationData(
            full_name=self.full_name.data,
            email=self.email.data,
            affiliation=self.affiliation.data or "",
            country=self.country.data or "",
            answers=self.answers(),
            consent_text=self.consent_text,
            locale=str(get_locale()),
        )


class DetailsForm(_AnswersMixin, Form):
    full_name = _name_field()
    affiliation = _affiliation_field()
    country = _country_field()

    def to_details(self) -> Details:
        return Details(
            full_name=self.full_name.data,
            affiliation=self.affiliation.data or "",
            country=self.country.data or "",
            answers=self.answers(),
        )


class ResendForm(Form):
    email = _email_field()


def consent_text_for(conference: Conference) -> str:
    """The privacy text the attendee agrees to, in their language (else the main one): the
    organizer's, or a plain default."""
    return (text_in(conference, "privacy_notice") or "").strip() or str(
        _l(
            "I agree that the organizers store the details I give here to manage my "
            "registration for this conference."
        )
    )


# Form classes by what they are made of. A few per conference and language at most; the
# bound keeps a long-running process with many past versions of forms from growing.
MAX_FORM_CLASSES = 256
_form_classes: dict[tuple[object, ...], type] = {}
_form_classes_lock = threading.Lock()

_F = TypeVar("_F", bound=Form)


def _form_class(base: type[_F], questions: Sequence[QuestionDefinition], **extra: str) -> type[_F]:
    """``base`` with a field per question (and ``extra`` attributes), made once and kept;
    WTForms then compiles its fields once too. Changed questions make another key."""
    key = (base, tuple(questions), tuple(sorted(extra.items(), key=lambda item: item[0])))
    form_class: type[_F] | None = _form_classes.get(key)
    if form_class is None:
        attributes: dict[str, object] = {
            question_field_name(q): question_field(q) for q in questions
        }
        attributes["questions"] = tuple(questions)
        if "consent_text" in extra:
            attributes["consent"] = BooleanField(
                extra["consent_text"],
                validators=[
                    DataRequired(message=_l("Please agree to the privacy notice to register."))
                ],
            )
        attributes.update(extra)
        form_class = type(f"Conference{base.__name__}", (base,), attributes)
        with _form_classes_lock:
            if len(_form_classes) >= MAX_FORM_CLASSES:
                _form_classes.clear()
            _form_classes[key] = form_class
    return form_class


def registration_form(
    conference: Conference, questions: Sequence[QuestionDefinition]
) -> RegistrationForm:
    """A registration form with the conference's questions and its consent checkbox, in
    the reader's language; the consent text kept with the registration is the one shown."""
    language = reader_language() or conference.main_language
    form_class = _form_class(
        RegistrationForm,
        [question.in_language(language) for question in questions],
        consent_text=consent_text_for(conference),
        language=language,
    )
    return form_class()


def details_form(
    registration: Registration, questions: Sequence[QuestionDefinition], *, prefill: bool
) -> DetailsForm:
    """The edit form; ``prefill`` fills it with what the attendee gave before (for a GET;
    a submitted form must be judged on what was sent, not topped up with stored values)."""
    language = reader_language()
    form_class = _form_class(
        DetailsForm, [question.in_language(language) for question in questions], language=language
    )
    if not prefill:
        return form_class()
    current = {answer.question_id: answer.value for answer in registration.answers}
    return form_class(
        data={
            "full_name": registration.full_name,
            "affiliation": registration.affiliation,
            "country": registration.country,
            **{question_field_name(q): current.get(q.id) for q in questions},
        }
    )
