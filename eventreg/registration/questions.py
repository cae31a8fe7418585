"""The organizers' own questions on the registration form."""

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventreg.accounts.models import User
from eventreg.conferences.models import Conference
from eventreg.conferences.services import (
    check_lengths,
    clean_row_translations,
    delete_audited,
    save_audited,
    strip_fields,
)
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.registration.models import QUESTION_KINDS, Answer, Question, RegistrationCategory

QUESTION_FIELDS = ("label", "help_text", "kind", "required", "choices", "position", "translations")
# What the form and the audit log hold besides: the category asked (not in QUESTION_FIELDS,
# which a duplicated conference copies, as its categories are not the source's).
QUESTION_FORM_FIELDS = (*QUESTION_FIELDS, "category_id")
CHOICE_KINDS = ("single_choice", "multiple_choice")
MAX_CHOICE_LENGTH = 200


@dataclass(frozen=True)
class QuestionDefinition:
    """A question as the form asks it and the services check answers against: plain
    values, hashable, so a form built from them can be kept and used again."""

    id: int
    label: str
    help_text: str
    kind: str
    required: bool
    choices: tuple[str, ...]
    # What the reader is shown for each choice; the answer stored stays the main-language
    # choice (so that counts stay one per choice whatever language people read).
    choice_labels: tuple[str, ...] = ()
    # The other languages' texts: (language, label, help text, choices) each.
    texts: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()
    # Asked of the registrations of this category only (None: of everyone).
    category_id: int | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return self.choice_labels or self.choices

    def in_language(self, language: str | None) -> "QuestionDefinition":
        """The question as a reader of ``language`` reads it: each text in that language
        where it is written, else in the main language."""
        for lang, label, help_text, choices in self.texts:
            if lang == language:
                return replace(
                    self,
                    label=label or self.label,
                    help_text=help_text or self.help_text,
                    choice_labels=choices if len(choices) == len(self.choices) else (),
                    texts=(),
                )
        return replace(self, texts=())


# Definitions by (conference id, the conference's updated_at), per process. Every change of
# a conference's questions moves its updated_at in the same transaction (see
# :func:`questions_changed`), so a request that read the conference row knows whether the
# definitions it has are current, without asking the database for them.
MAX_CACHED_CONFERENCES = 256
_cache: dict[tuple[int, datetime], tuple[QuestionDefinition, ...]] = {}
_cache_lock = threading.Lock()


def definitions(conference: Conference) -> tuple[QuestionDefinition, ...]:
    """The conference's questions in the form's order: read once per version of the
    conference (no query while it stays as it is)."""
    key = (conference.id, conference.updated_at)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = db.session.execute(
        sa.select(
            Question.id,
            Question.label,
            Question.help_text,
            Question.kind,
            Question.required,
            Question.choices,
            Question.translations,
            Question.category_id,
        )
        .filter_by(conference_id=conference.id)
        .order_by(Question.position, Question.id)
    )
    found = tuple(
        QuestionDefinition(
            id=row.id,
            label=row.label,
            help_text=row.help_text or "",
            kind=row.kind,
            required=bool(row.required),
            choices=tuple(row.choices or ()),
            texts=tuple(
                (
                    language,
                    texts.get("label") or "",
                    texts.get("help_text") or "",
                    tuple(texts.get("choices") or ()),
                )
                for language, texts in sorted((row.translations or {}).items())
            ),
            category_id=row.category_id,
        )
        for row in rows
    )
    with _cache_lock:
        if len(_cache) >= MAX_CACHED_CONFERENCES:
            _cache.clear()
        _cache[key] = found
    return found


def questions_changed(conference: Conference) -> None:
    """Called in the transaction of every change of the questions (and of the categories
    they are asked of): readers of the new ``updated_at`` read the questions again.
    (``updated_at`` reaches no public feed, so this revises none.)"""
    conference.updated_at = utcnow()


def save_question(
    actor: User, conference: Conference, question: Question | None = None, **values: Any
) -> Question:
    errors: dict[str, str] = {}
    # Asked of one category: given, or kept as it is (a new question is asked of everyone).
    category_id = values.pop("category_id", question.category_id if question is not None else None)
    given, values = values, strip_fields(values, QUESTION_FIELDS)
    check_lengths(values, errors)
    values["category_id"] = _category_of(conference, category_id, errors)
    if not values["label"]:
        errors["label"] = _("Write the question.")
    if values["kind"] not in QUESTION_KINDS:
        errors["kind"] = _("Choose one of the kinds of question.")
    choices = [str(choice).strip() for choice in values.get("choices") or []]
    choices = [choice for choice in choices if choice]
    if values["kind"] in CHOICE_KINDS:
        if len(choices) < 2:
            errors["choices"] = _("Give at least two choices, one per line.")
        elif len(set(choices)) != len(choices):
            errors["choices"] = _("Each choice can appear only once.")
        elif any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
            errors["choices"] = _(
                "Each choice can have at most %(n)d characters.", n=MAX_CHOICE_LENGTH
            )
    else:
        choices = []
    values["choices"] = choices
    if values["kind"] not in CHOICE_KINDS and isinstance(given.get("translations"), dict):
        # Choices belong to the choice kinds only, in every language.
        given = {**given, "translations": _without_choices(given["translations"])}
    clean_row_translations(
        Question,
        conference,
        question,
        given,
        values,
        errors,
        limits={"choices": MAX_CHOICE_LENGTH},
        list_lengths={"choices": len(choices)},
    )
    values["required"] = bool(values.get("required"))
    values["position"] = values.get("position") or 0
    if errors:
        raise Invalid(errors)
    with write_transaction():
        questions_changed(conference)
        return save_audited(
            actor, conference, Question, question, values, QUESTION_FORM_FIELDS, values["label"]
        )


def _category_of(conference: Conference, category_id: object, errors: dict[str, str]) -> int | None:
    """The id of one of the conference's categories, or None for everyone."""
    if category_id is None or category_id == "":
        return None
    found = (
        db.session.get(RegistrationCategory, category_id)
        if isinstance(category_id, int) and not isinstance(category_id, bool)
        else None
    )
    if found is None or found.conference_id != conference.id:
        errors["category_id"] = _("Choose one of the conference's categories, or everyone.")
        return None
    return found.id


def _without_choices(translations: dict[str, Any]) -> dict[str, Any]:
    return {
        language: {field: text for field, text in texts.items() if field != "choices"}
        if isinstance(texts, dict)
        else texts
        for language, texts in translations.items()
    }


def delete_question(actor: User, conference: Conference, question: Question) -> None:
    """Delete a question nobody has answered yet (answers are attendees' data)."""
    with write_transaction():
        answered = db.session.scalar(
            sa.select(Answer.id).filter_by(question_id=question.id).limit(1)
        )
        if answered is not None:
            raise Conflict.about(
                _(
                    "Attendees have answered “%(label)s”; it can no longer be deleted.",
                    label=question.label,
                )
            )
        questions_changed(conference)
        delete_audited(actor, conference, question, QUESTION_FORM_FIELDS, question.label)


# The name the categories' first drafts used; kept for callers written against it.
_questions_changed = questions_changed
