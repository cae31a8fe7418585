"""The organizers' forms in several languages: the main-language fields, and beside them
the same fields once per other configured language (shown as tabs, see
``templates/organizers/_translations.html``).

A form class gets its translation fields once per (form, main language, languages); each
copies its main field's kind (a line or a text area) and length limit, and is optional.
The service checks the texts again (it is the one rule, for the API as well)."""

import threading
from dataclasses import dataclass
from typing import Any

from babel import Locale
from flask_babel import LazyString, get_locale
from flask_babel import gettext as _
from wtforms import Field
from wtforms.validators import Length, Optional

from eventreg.conferences.rules import content_languages
from eventreg.core.forms import Form

# Form fields of a question hold its choices one per line; the translations too.
LIST_FIELDS = frozenset({"choices"})

_classes: dict[tuple[Any, ...], type] = {}
_classes_lock = threading.Lock()


def field_name(language: str, field: str) -> str:
    return f"tr_{language}_{field}"


def other_languages(main_language: str) -> list[str]:
    return [language for language in content_languages() if language != main_language]


def with_languages(form_class: type[Form], fields: tuple[str, ...], main_language: str) -> type:
    """``form_class`` with a copy of each of ``fields`` per language other than the main."""
    languages = tuple(other_languages(main_language))
    key = (form_class, fields, languages)
    found = _classes.get(key)
    if found is not None:
        return found
    attributes: dict[str, Any] = {}
    for language in languages:
        for field in fields:
            main = getattr(form_class, field)  # an UnboundField
            limits = [v for v in main.kwargs.get("validators", ()) if isinstance(v, Length)]
            label = LazyString(_label_in, main.args[0] if main.args else field, language)
            attributes[field_name(language, field)] = main.field_class(
                label,
                validators=[Optional(), *limits],
                description=main.kwargs.get("description", ""),
                render_kw={**(main.kwargs.get("render_kw") or {}), "lang": language},
            )
    made = type(f"{form_class.__name__}InLanguages", (form_class,), attributes)
    with _classes_lock:
        _classes[key] = made
    return made


def _label_in(label: object, language: str) -> str:
    """A translation field's label names its language too ("Title (Chinese)"): screen
    readers announce it outside its tab, and each label on the page stays distinct."""
    return _("%(field)s (%(language)s)", field=str(label), language=language_name(language))


def initial_texts(obj: Any, fields: tuple[str, ...], main_language: str) -> dict[str, str]:
    """The translation fields' values from a row, as keyword arguments of the form."""
    translations = (obj.translations or {}) if obj is not None else {}
    values = {}
    for language in other_languages(main_language):
        for field in fields:
            text = translations.get(language, {}).get(field)
            if field in LIST_FIELDS:
                text = "\n".join(text or [])
            values[field_name(language, field)] = text or ""
    return values


def submitted_texts(form: Form, fields: tuple[str, ...], main_language: str) -> dict[str, Any]:
    """The translations typed into ``form``, shaped as the services take them."""
    result: dict[str, dict[str, Any]] = {}
    for language in other_languages(main_language):
        texts: dict[str, Any] = {}
        for field in fields:
            value = form[field_name(language, field)].data or ""
            if field in LIST_FIELDS:
                lines = [line.strip() for line in value.splitlines()]
                texts[field] = [line for line in lines if line]
            else:
                texts[field] = value
        result[language] = texts
    return result


def error_field(key: str) -> str:
    """The form field of a service's refusal: ``translations.zh.title`` → ``tr_zh_title``."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "translations":
        return field_name(parts[1], parts[2])
    return key


def language_name(language: str) -> str:
    """The language's name in the reader's language ("Chinese", "中文", "Cinese")."""
    reader = get_locale() or Locale("en")
    name = Locale.parse(language).get_language_name(reader) or language
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class LanguagePanel:
    language: str
    name: str
    main: bool
    fields: list[Field]
    missing: int  # texts the main language has and this one lacks


def language_panels(form: Form, fields: tuple[str, ...], main_language: str) -> list[LanguagePanel]:
    """The main language first, then each other language, with what it still lacks."""
    panels = [
        LanguagePanel(
            main_language, language_name(main_language), True, [form[f] for f in fields], 0
        )
    ]
    for language in other_languages(main_language):
        own = [form[field_name(language, field)] for field in fields]
        missing = sum(
            1
            for field, translated in zip(fields, own, strict=True)
            if _present(form[field].data) and not _present(translated.data)
        )
        panels.append(LanguagePanel(language, language_name(language), False, own, missing))
    return panels


def _present(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def single_panel(form: Form, fields: tuple[str, ...], main_language: str) -> LanguagePanel:
    """The main language's fields alone (a form without the other languages yet)."""
    return LanguagePanel(
        main_language, language_name(main_language), True, [form[f] for f in fields], 0
    )


def text_label(kind: str, field: str) -> str:
    """How the form of a ``kind`` of row (see ``conferences.completeness``) labels ``field``."""
    from eventreg.organizers import forms  # the forms module imports nothing of this one

    form_class = {
        "conference": forms.ConferenceForm,
        "room": forms.RoomForm,
        "track": forms.TrackForm,
        "speaker": forms.SpeakerForm,
        "session": forms.SessionForm,
        "question": forms.QuestionForm,
        "broadcast": forms.BroadcastForm,
    }[kind]
    return str(getattr(form_class, field).args[0])
