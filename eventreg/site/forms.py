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
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from eventreg.conferences.models import Conference
from eventreg.core.forms import Form, NormalisedEmail
from eventreg.core.translations import reader_language, text_in
from eventreg.registration import access
from eventreg.registration.models import Registration, RegistrationCategory
from eventreg.registration.questions import QuestionDefinition
from eventreg.registration.services import Colleague, Details, RegistrationData
from eventreg.site.countries import countries

NAME_MAX = 200
AFFILIATION_MAX = 200
EMAIL_MAX = 254
CODE_MAX = 40
# Empty colleague rows on the form without JavaScript (which adds rows up to the maximum).
COLLEAGUE_ROWS = 3
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


class _InFilledRow:
    """A colleague row's check: an empty row is skipped entirely; in a row begun, the
    field is required when ``message`` is given."""

    def __init__(self, message: object = None):
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if form.is_blank():
            raise StopValidation()
        if self.message is None:
            if not field.data:
                raise StopValidation()
        elif not field.data:
            raise StopValidation(self.message)


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


def question_category_id(question: QuestionDefinition) -> int | None:
    """The category the question is asked of (None: of everyone)."""
    category_id: int | None = getattr(question, "category_id", None)
    return category_id


class AskedOfCategory:
    """First in a category question's validators: for a form whose chosen category is
    another one, the question is not asked, so nothing about it is checked."""

    def __init__(self, category_id: int):
        self.category_id = category_id

    def __call__(self, form: Any, field: Field) -> None:
        if form.asks_category(self.category_id):
            return
        field.errors[:] = []  # the choice fields' own checks ran before this one
        raise StopValidation()


def question_field(question: QuestionDefinition) -> Field:
    """The form field for one of the organizer's questions."""
    label = question.label
    description = question.help_text or ""
    category_id = question_category_id(question)
    only_for: list[Any] = [AskedOfCategory(category_id)] if category_id is not None else []
    if question.kind == "checkbox":
        validators = (
            [DataRequired(message=_l("Please tick this box to continue."))]
            if question.required
            else []
        )
        return BooleanField(label, description=description, validators=[*only_for, *validators])
    presence = [
        *only_for,
        *(
            [InputRequired(message=_l("Please answer this question."))]
            if question.required
            else [Optional()]
        ),
    ]
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
        validators = [
            *only_for,
            *(
                [DataRequired(message=_l("Please choose at least one option."))]
                if question.required
                else [Optional()]
            ),
        ]
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
    text_presence = [
        *only_for,
        *(
            [DataRequired(message=_l("Please answer this question."))]
            if question.required
            else [Optional()]
        ),
    ]
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

    def asks_category(self, category_id: int | None) -> bool:
        """Whether the questions of ``category_id`` are asked (None: everyone's are)."""
        return True

    def question_fields(self) -> list[Field]:
        return [self[question_field_name(question)] for question in self.questions]

    def answers(self) -> dict[int, object]:
        answers: dict[int, object] = {}
        for question in self.questions:
            if not self.asks_category(question_category_id(question)):
                continue  # another category's question: what was sent for it is not kept
            value = self[question_field_name(question)].data
            if question.kind == "checkbox":
                answers[question.id] = bool(value)
            elif value:
                answers[question.id] = list(value) if question.kind == "multiple_choice" else value
        return answers


def question_field_name(question: QuestionDefinition) -> str:
    return f"question_{question.id}"


class ColleagueForm(Form):
    """One row of "register colleagues too": a row left empty is no colleague; a row
    begun needs a name and a valid address."""

    class Meta:
        csrf = False  # a row of the registration form, whose CSRF token covers it

    # Labels of their own, not the registrant's "Full name" and "E-mail address": finding a
    # field by its label (assistive technology, tests) then finds one field of the page.
    full_name = StringField(
        _lp("person", "Name"),
        filters=[clean_text],
        validators=[_InFilledRow(_l("Please enter your colleague's name.")), _too_long(NAME_MAX)],
        render_kw={"autocomplete": "off", "maxlength": NAME_MAX},
    )
    email = StringField(
        _l("E-mail"),
        filters=[clean_text],
        validators=[
            _InFilledRow(_l("Please enter your colleague's e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("An e-mail address has at most 254 characters.")),
            NormalisedEmail(),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email", "maxlength": EMAIL_MAX},
    )
    affiliation = StringField(
        _l("Organisation"),
        filters=[clean_text],
        validators=[_InFilledRow(), _too_long(AFFILIATION_MAX)],
        render_kw={"autocomplete": "off", "maxlength": AFFILIATION_MAX},
    )

    def is_blank(self) -> bool:
        return not any(field.data for field in self)

    def to_colleague(self) -> Colleague:
        return Colleague(
            full_name=self.full_name.data,
            email=self.email.data,
            affiliation=self.affiliation.data or "",
        )


def _colleagues_field(max_colleagues: int) -> FieldList:
    # No min_entries: WTForms would fill the rows it adds from the rows sent (by index,
    # after renumbering those sent), so the empty rows are added by ``registration_form``.
    return FieldList(FormField(ColleagueForm), max_entries=max_colleagues)


@dataclass(frozen=True)
class CategoryChoice:
    """A registration category as the form shows it: plain values, kept between requests
    (``text_in`` reads its texts in the reader's language, as for the row)."""

    id: int
    name: str
    description: str = ""
    translations: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, category: RegistrationCategory) -> "CategoryChoice":
        return cls(
            id=category.id,
            name=category.name,
            description=category.description or "",
            translations=dict(category.translations or {}),
        )


# The public categories by (conference id, the conference's updated_at), per process: every
# change of a category moves the conference's updated_at (see ``registration.categories``),
# so the form costs no query for them while the conference stays as it is.
MAX_CACHED_CATEGORY_SETS = 256
_public_categories: dict[tuple[int, datetime], tuple[CategoryChoice, ...]] = {}
_public_categories_lock = threading.Lock()


def public_category_choices(conference: Conference) -> tuple[CategoryChoice, ...]:
    """The categories the form offers everyone, in the organizers' order."""
    key = (conference.id, conference.updated_at)
    cached = _public_categories.get(key)
    if cached is None:
        cached = tuple(CategoryChoice.of(c) for c in access.public_categories(conference.id))
        with _public_categories_lock:
            if len(_public_categories) >= MAX_CACHED_CATEGORY_SETS:
                _public_categories.clear()
            _public_categories[key] = cached
    return cached


def _optional_int(value: object) -> int | None:
    """A category's id as sent; anything else is no choice (the form then says so)."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class RegistrationForm(_AnswersMixin, Form):
    full_name = _name_field()
    email = _email_field()
    affiliation = _affiliation_field()
    country = _country_field()
    # Offered when the conference has public categories; checked by ``validate_category_id``
    # against those offered to this reader (see ``offer_categories``).
    category_id = RadioField(
        _l("You are registering as"), choices=[], coerce=_optional_int, validate_choice=False
    )
    access_code = StringField(
        _l("Access code"),
        filters=[clean_text],
        validators=[Optional(), _too_long(CODE_MAX)],
        render_kw={
            "maxlength": CODE_MAX,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )
    # The secret of the invitation link the form was opened with, carried to the POST.
    invitation_token = HiddenField(validators=[Optional(), Length(max=200)])

    consent_text = ""
    max_colleagues = 0
    colleagues: FieldList  # made with the class (see ``_form_class``): its size is configured

    # Set per request by ``offer_categories``.
    categories: Sequence[CategoryChoice] = ()
    fixed_category: CategoryChoice | None = None

    def offer_categories(
        self, offered: Sequence[CategoryChoice], fixed: CategoryChoice | None
    ) -> None:
        """The choice this reader has: one of ``offered`` (the public categories), or none
        at all when a code or an invitation ``fixed`` the category."""
        self.categories = () if fixed is not None else tuple(offered)
        self.fixed_category = fixed
        self.category_id.choices = [
            SelectChoice(category.id, text_in(category, "name")) for category in self.categories
        ]

    def chosen_category_id(self) -> int | None:
        if self.fixed_category is not None:
            return self.fixed_category.id
        chosen = self.category_id.data
        return chosen if any(category.id == chosen for category in self.categories) else None

    def asks_category(self, category_id: int | None) -> bool:
        return category_id is None or category_id == self.chosen_category_id()

    def validate_category_id(self, field: Field) -> None:
        if self.categories and self.chosen_category_id() is None:
            raise ValidationError(_l("Please choose how you are registering."))

    def shown_questions(self) -> list[tuple[Field, CategoryChoice | None]]:
        """The question fields the page shows, each with the category it is for (None:
        everyone): another category's questions only for a category this reader may
        choose, so that a hidden category's name never shows."""
        categories = {category.id: category for category in self.categories}
        if self.fixed_category is not None:
            categories = {self.fixed_category.id: self.fixed_category}
        shown = []
        for question in self.questions:
            category_id = question_category_id(question)
            if category_id is None or category_id in categories:
                category = categories.get(category_id) if category_id is not None else None
                shown.append((self[question_field_name(question)], category))
        return shown

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        # The same person twice on one form is a typing slip, said as such: this tells
        # nothing about who registered before.
        seen = {(self.email.data or "").lower()}
        for row in self.colleague_rows():
            address = (row.form.email.data or "").lower()
            if not address or row.form.email.errors:
                continue
            if address in seen:
                row.form.email.errors.append(_l("This address is already on the form."))
                valid = False
            seen.add(address)
        return valid

    def colleague_rows(self) -> list[FormField]:
        return list(self.colleagues) if "colleagues" in self else []

    def filled_colleagues(self) -> list[ColleagueForm]:
        return [row.form for row in self.colleague_rows() if not row.form.is_blank()]

    def to_data(self) -> RegistrationData:
        return RegistrationData(
            full_name=self.full_name.data,
            email=self.email.data,
            affiliation=self.affiliation.data or "",
            country=self.country.data or "",
            answers=self.answers(),
            consent_text=self.consent_text,
            locale=str(get_locale()),
            category_id=self.chosen_category_id(),
            access_code=self.access_code.data or "",
            invitation_token=self.invitation_token.data or "",
            colleagues=tuple(row.to_colleague() for row in self.filled_colleagues()),
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


def _form_class(
    base: type[_F], questions: Sequence[QuestionDefinition], **extra: object
) -> type[_F]:
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
                str(extra["consent_text"]),
                validators=[
                    DataRequired(message=_l("Please agree to the privacy notice to register."))
                ],
            )
        if extra.get("max_colleagues"):  # 0: the conference's form has no colleague rows
            attributes["colleagues"] = _colleagues_field(int(str(extra["max_colleagues"])))
        attributes.update(extra)
        form_class = type(f"Conference{base.__name__}", (base,), attributes)
        with _form_classes_lock:
            if len(_form_classes) >= MAX_FORM_CLASSES:
                _form_classes.clear()
            _form_classes[key] = form_class
    return form_class


def registration_form(
    conference: Conference,
    questions: Sequence[QuestionDefinition],
    *,
    max_colleagues: int | None = None,
    data: dict[str, object] | None = None,
) -> RegistrationForm:
    """A registration form with the conference's questions, its consent checkbox and up
    to ``max_colleagues`` colleague rows (default: the ``MAX_COLLEAGUES`` setting), in the
    reader's language; the consent text kept with the registration is the one shown.
    ``data`` pre-fills a form not submitted (an invitation's name and address, a code from
    the link)."""
    language = reader_language() or conference.main_language
    if max_colleagues is None:
        max_colleagues = int(current_app.config["MAX_COLLEAGUES"])
    form_class = _form_class(
        RegistrationForm,
        [question.in_language(language) for question in questions],
        consent_text=consent_text_for(conference),
        language=language,
        max_colleagues=max_colleagues,
    )
    form = form_class(data=data) if data else form_class()
    if "colleagues" in form:
        while len(form.colleagues) < min(COLLEAGUE_ROWS, max_colleagues):
            form.colleagues.append_entry()
    return form


def details_form(
    registration: Registration, questions: Sequence[QuestionDefinition], *, prefill: bool
) -> DetailsForm:
    """The edit form; ``prefill`` fills it with what the attendee gave before (for a GET;
    a submitted form must be judged on what was sent, not topped up with stored values)."""
    language = reader_language()
    # Only the questions asked of the attendee's category (and of everyone).
    asked = [
        question.in_language(language)
        for question in questions
        if question_category_id(question) in (None, registration.category_id)
    ]
    form_class = _form_class(DetailsForm, asked, language=language)
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
