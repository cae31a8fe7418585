"""The organizers' own questions on the registration form."""

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventreg.accounts.models import User
from eventreg.conferences.models import Conference
from eventreg.conferences.services import check_lengths, delete_audited, save_audited, strip_fields
from eventreg.core.db import write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.registration.models import QUESTION_KINDS, Answer, Question

QUESTION_FIELDS = ("label", "help_text", "kind", "required", "choices", "position")
CHOICE_KINDS = ("single_choice", "multiple_choice")
MAX_CHOICE_LENGTH = 200


def save_question(
    actor: User, conference: Conference, question: Question | None = None, **values: Any
) -> Question:
    errors: dict[str, str] = {}
    values = strip_fields(values, QUESTION_FIELDS)
    check_lengths(values, errors)
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
    values["required"] = bool(values.get("required"))
    values["position"] = values.get("position") or 0
    if errors:
        raise Invalid(errors)
    return save_audited(
        actor, conference, Question, question, values, QUESTION_FIELDS, values["label"]
    )


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
        delete_audited(actor, conference, question, QUESTION_FIELDS, question.label)
