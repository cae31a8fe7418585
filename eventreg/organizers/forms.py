"""Forms of the organizers' workspace: accounts first, then the conference editors."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    ColorField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eventreg.accounts.services import MAX_PASSWORD_LENGTH
from eventreg.core.forms import Form, NormalisedEmail
from eventreg.organizers.durations import DurationListField
from eventreg.schedule.changes import KIND_LABELS

# Under the fields whose text is shown as Markdown (eventreg.core.richtext).
MARKDOWN_HINT = _l("Markdown: **bold**, *italic*, lists, [links](https://…)")

QUESTION_KIND_LABELS = {
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "single_choice": _l("One of several choices"),
    "multiple_choice": _l("Several choices"),
    "checkbox": _l("A checkbox (yes or no)"),
}


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two entries differ."))],
    )


class PasswordChangeForm(NewPasswordMixin, Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class SetPasswordForm(NewPasswordMixin, Form):
    pass


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class NewUserForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    name = StringField(lazy_pgettext("person", "Name"), validators=[Length(max=200)])
    is_admin = BooleanField(_l("Administrator (may do everything, including managing accounts)"))
    may_create_conferences = BooleanField(_l("May create conferences"))


class EditUserForm(Form):
    name = StringField(lazy_pgettext("person", "Name"), validators=[Length(max=200)])
    is_admin = BooleanField(_l("Administrator (may do everything, including managing accounts)"))
    may_create_conferences = BooleanField(_l("May create conferences"))
    active = BooleanField(_l("Account active (may log in)"))


class GrantRoleForm(Form):
    conference_id = SelectField(_l("Conference"), coerce=int, validators=[InputRequired()])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("organizer", _l("Organizer")),
            SelectChoice("checkin", _l("Check-in staff")),
        ],
        validators=[InputRequired()],
    )


class ConferenceForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    # The choices are the configured languages, set by the view.
    main_language = SelectField(
        _l("Main language"),
        validators=[Optional()],
        validate_choice=False,  # the service checks it (absent: the conference's stays)
        description=_l(
            "The language of the texts in the first tab; readers of a language without its "
            "own text get this one. Changing it swaps the texts: those written in the new "
            "main language move to the first tab, the old ones to their own."
        ),
    )
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            "The conference's address is /c/<this>/. Lower-case letters, digits and hyphens; "
            "left empty, it is made from the title."
        ),
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20000)], description=MARKDOWN_HINT
    )
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("An IANA time zone name, such as Asia/Shanghai or Europe/Rome."),
        render_kw={"list": "zones", "autocomplete": "off"},
    )
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(_l("Last day"), validators=[InputRequired()])
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l(
            "Leave empty for no limit. When full, new registrations join a waiting list."
        ),
    )
    requires_approval = BooleanField(
        _l("Registrations need approval"),
        description=_l(
            "Each registration waits as pending until an organizer approves it (a seat or a "
            "waiting-list place, by the usual rules) or rejects it."
        ),
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("In the conference's time zone. Empty: open as soon as it is published."),
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("In the conference's time zone. Empty: open until the conference ends."),
    )
    organizer_name = StringField(_l("Organizer"), validators=[Length(max=200)])
    organizer_email = EmailField(
        _l("Organizer's e-mail address"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("Invites are sent in this address's name; attendees can reply to it."),
    )
    privacy_notice = TextAreaField(
        _l("Privacy notice"),
        validators=[Length(max=20000)],
        description=_l("Attendees agree to this text when they register."),
    )
    # New conferences remind a day ahead and an hour before each session; the model's
    # default stays "none", so conferences made before reminders existed mail nobody new.
    conference_reminder_minutes = DurationListField(
        _l("Reminder before the conference"),
        default=[24 * 60],
        description=_l(
            "E-mailed to attendees and speakers this long before the first session, e.g. "
            "“1 day” or “1 week, 1 day”. Empty: no reminder."
        ),
    )
    session_reminder_minutes = DurationListField(
        _l("Reminders before each session"),
        default=[60],
        description=_l(
            "E-mailed to those who hold a seat in a session, and its speakers, e.g. "
            "“1 hour” or “1 day, 15 minutes”. Empty: no reminder."
        ),
    )
    invite_alarm_minutes = DurationListField(
        _l("Alarm in invites"),
        single=True,
        description=_l(
            "Calendar invites ring this long before the event, e.g. “15 minutes”; "
            "“0 minutes” rings at the start. Empty: no alarm."
        ),
    )


class DuplicateForm(Form):
    title = StringField(
        _l("Title of the new conference"), validators=[DataRequired(), Length(max=200)]
    )
    slug = StringField(_l("Web address"), validators=[Optional(), Length(max=80)])
    start_date = DateField(_l("First day of the new conference"), validators=[InputRequired()])


class RoomForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = StringField(_l("Description"), validators=[Length(max=300)])
    seats = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(min=0)])
    position = IntegerField(
        _l("Position"),
        validators=[Optional()],
        description=_l("Rooms are shown in the schedule in this order, lowest first."),
    )


class TrackForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=20000)], description=MARKDOWN_HINT
    )
    color = ColorField(_l("Colour"), default="#5a6b7b", validators=[DataRequired()])


class SpeakerForm(Form):
    name = StringField(
        lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=120)]
    )
    title = StringField(
        _l("Title or role"),
        validators=[Length(max=200)],
        description=_l("e.g. Chief Representative, Professor of Oncology"),
    )
    affiliation = StringField(_l("Affiliation"), validators=[Length(max=200)])
    bio = TextAreaField(_l("Biography"), validators=[Length(max=20000)], description=MARKDOWN_HINT)
    email = EmailField(
        _l("E-mail address"),
        validators=[Optional(), Length(max=254)],
        description=_l("Not shown publicly; speakers get invites for their sessions here."),
    )


def optional_id(value: object) -> int | None:
    """A select's value as an id; the empty choice is None."""
    if value is None or value == "":
        return None
    return int(value)  # type: ignore[call-overload]  # a posted string or a stored id


class QuestionForm(Form):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    help_text = StringField(_l("Help text"), validators=[Length(max=500)])
    kind = SelectField(
        _l("Kind of answer"),
        choices=[SelectChoice(kind, label) for kind, label in QUESTION_KIND_LABELS.items()],
    )
    required = BooleanField(_l("An answer is required"))
    choices = TextAreaField(
        _l("Choices"),
        description=_l("For the choice kinds: one choice per line."),
    )
    position = IntegerField(_l("Position"), validators=[Optional()])
    # The choices ("everyone", then the conference's categories) are set by the view.
    category_id = SelectField(_l("Asked of"), coerce=optional_id)


SESSION_KIND_LABELS = KIND_LABELS


class SessionForm(Form):
    """A session's details and place in the schedule; the choices of the select fields
    (tracks, speakers, days, rooms) are the conference's own, set by the view.

    The rules (a title, times that fit, seats) are the schedule's: the form only parses
    what was typed, and shows the schedule's refusals next to their fields."""

    title = StringField(_l("Title"))
    abstract = TextAreaField(_l("Abstract"), description=MARKDOWN_HINT)
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind, label) for kind, label in SESSION_KIND_LABELS.items()],
    )
    track_id = SelectField(_l("Track"), coerce=int)
    speaker_ids = SelectMultipleField(
        _l("Speakers"),
        coerce=int,
        description=_l("Hold Ctrl (or ⌘) to choose several."),
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional()],
        description=_l(
            "Leave empty when only the conference's seats count. Raising it gives the new "
            "seats to the session's waiting list."
        ),
    )
    day = SelectField(
        _l("Day"), description=_l("Leave as “not scheduled yet” to plan the session later.")
    )
    start = TimeField(_l("Starts at"), validators=[Optional()])
    end = TimeField(_l("Ends at"), validators=[Optional()])
    # On the night the clocks go back a time happens twice: the organizer says which. The
    # view offers the two (with their offsets) only then; the schedule checks the answer.
    start_occurrence = RadioField(
        _l("Which start time?"), choices=[], validators=[Optional()], validate_choice=False
    )
    end_occurrence = RadioField(
        _l("Which end time?"), choices=[], validators=[Optional()], validate_choice=False
    )
    room_id = SelectField(_l("Room"), coerce=int)
    # The choices are the configured languages, set by the view.
    languages = SelectMultipleField(
        _l("Spoken languages"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("The languages the session is given in."),
    )
    interpretation = BooleanField(_l("Interpretation offered"))
    # Checked by the schedule (a web address, http or https); typed as text so that the
    # schedule's message, not the browser's, explains a refusal.
    online_url = StringField(
        _l("Online link"),
        description=_l(
            "Where people holding a seat join online (a video call). Only they and the "
            "speakers see it, in their invitations and agenda. With a room as well, the "
            "session is hybrid."
        ),
        render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )


class BroadcastForm(Form):
    # "all", "waiting", …, or "session:<id>" for a session's seat holders.
    audience = SelectField(_l("To"), validators=[DataRequired()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l(
            "Plain text. Each attendee receives their own copy, addressed to them by name; "
            "replies go to the conference's organizer address."
        ),
        render_kw={"rows": 12},
    )
    send_at = DateTimeLocalField(
        _l("Send at"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("In the conference's time zone. Empty: send as soon as you confirm."),
    )
    # The recipient whose copy the preview shows and the test send imitates ("r12", "s3").
    recipient = StringField(_l("Show the message as received by"), validators=[Optional()])


# --- the look: logo, banner, accent colour, speaker photo -------------------------------------
# Each image has its own small form (upload, or remove with the second button); the file is
# checked by eventreg.core.images, which says why one is refused.

IMAGE_TYPES = "image/png,image/jpeg,image/webp"


class LogoForm(Form):
    logo = FileField(
        _l("Logo file"),
        description=_l(
            "Made to fit within 600 × 200 pixels. It heads the conference's pages and every "
            "e-mail; a transparent background suits both."
        ),
        render_kw={"accept": IMAGE_TYPES},
    )


class BannerForm(Form):
    banner = FileField(
        _l("Banner file"),
        description=_l(
            "A wide picture across the top of the conference page and the schedule, cut to "
            "1600 × 500 pixels (16:5)."
        ),
        render_kw={"accept": IMAGE_TYPES},
    )


class AccentForm(Form):
    accent_color = StringField(
        _l("Accent colour"),
        validators=[Length(max=20)],  # the service strips and checks it
        description=_l(
            "As #rrggbb; empty for the site's own blue. Headers and buttons carry white text "
            "on it and links use it on the light pages, so it must be dark enough for a "
            "contrast of 4.5:1; in dark mode links take a lighter tint of it."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 7},
    )


class PhotoForm(Form):
    photo = FileField(
        _l("Photo file"),
        description=_l(
            "Cut to a square of 400 pixels and stripped of its metadata (camera, place, date)."
        ),
        render_kw={"accept": IMAGE_TYPES},
    )


# Limits of the registration's columns (see registration.models).
NAME_MAX, AFFILIATION_MAX, EMAIL_MAX = 200, 200, 254


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class AttendeeForm(Form):
    full_name = StringField(
        _l("Full name"),
        filters=[_stripped],
        validators=[
            DataRequired(message=_l("Please enter a name.")),
            Length(max=NAME_MAX, message=_l("Please keep this to %(max)d characters or fewer.")),
        ],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )
    email = StringField(
        _l("E-mail address"),
        filters=[_stripped],
        validators=[
            DataRequired(message=_l("Please enter an e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("An e-mail address has at most 254 characters.")),
            NormalisedEmail(),
        ],
        render_kw={"maxlength": EMAIL_MAX, "inputmode": "email", "autocomplete": "off"},
    )
    affiliation = StringField(
        _l("Organisation or affiliation"),
        filters=[_stripped],
        validators=[
            Optional(),
            Length(
                max=AFFILIATION_MAX,
                message=_l("Please keep this to %(max)d characters or fewer."),
            ),
        ],
        render_kw={"maxlength": AFFILIATION_MAX},
    )
    country = SelectField(_l("Country"), default="")
    locale = SelectField(_l("Language of their e-mails"), default="en")
    # A category id of the conference as text, "" for none; the choices come from the view.
    category = SelectField(_l("Category"), default="")


class NewAttendeeForm(AttendeeForm):
    send_mail = BooleanField(
        _l("E-mail them the confirmation with their private link and invite"), default=True
    )
