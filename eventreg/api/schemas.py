"""The shapes of the API's requests and answers; spectree turns them into the spec."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from eventreg.core.ids import MAX_ID
from eventreg.core.timeutil import EARLIEST, LATEST, day_within_calendar, within_calendar

# A database id: positive and within PostgreSQL's integer column.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
# The same in a request body, where a JSON ``true`` must not pass for the id 1.
BodyRowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

CALENDAR_SPAN = f"between {EARLIEST.date()} and {LATEST.date()} (UTC)"


def _in_calendar(instant: datetime) -> datetime:
    if not within_calendar(instant):
        raise ValueError(f"must lie {CALENDAR_SPAN}")
    return instant


def _day_in_calendar(day: date) -> date:
    if not day_within_calendar(day):
        raise ValueError(f"must lie {CALENDAR_SPAN}")
    return day


# An instant with a UTC offset, within the years every conversion can handle.
Instant = Annotated[AwareDatetime, AfterValidator(_in_calendar)]
Day = Annotated[date, AfterValidator(_day_in_calendar)]


def _optional_filter(description: str):
    """An optional query filter. Its absent value (None) is not part of the schema, so the
    spec must not claim ``default: null`` for an integer, date or date-time parameter."""
    return Field(
        None,
        description=description,
        json_schema_extra=lambda schema: schema.pop("default", None),
    )


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    per_page: int = Field(50, ge=1, le=200, description="Items per page.")


# The site's languages (config.LANGUAGES); the schema is static, so they are named here.
ContentLanguage = Literal["en", "zh", "it"]


class ContentQuery(BaseModel):
    """The language of the texts: what organizers wrote (titles, abstracts, names, bios)
    comes in the reader's language when written in it, else in the conference's main
    language, never blank. The reader's language is ``lang``, else Accept-Language."""

    lang: ContentLanguage | SkipJsonSchema[None] = _optional_filter(
        "The language of the texts; without it, the best match of Accept-Language. "
        "The answer's Content-Language says which one was used."
    )
    translations: Literal["all"] | SkipJsonSchema[None] = _optional_filter(
        '"all": also give each item\'s texts in every language they are written in '
        "(``translations``), for apps that switch language themselves."
    )


class ContentPageQuery(PageQuery, ContentQuery):
    pass


class SyncQuery(PageQuery, ContentQuery):
    updated_since: Instant | SkipJsonSchema[None] = _optional_filter(
        f"Only items changed at or after this instant (with a UTC offset, {CALENDAR_SPAN})."
    )


class SessionQuery(SyncQuery):
    day: Day | SkipJsonSchema[None] = _optional_filter(
        f"Only sessions starting on this local day ({CALENDAR_SPAN})."
    )
    track: RowId | SkipJsonSchema[None] = _optional_filter("Only this track's sessions.")
    room: RowId | SkipJsonSchema[None] = _optional_filter("Only sessions in this room.")


class Error(BaseModel):
    """Every refusal: 404, 409 (a clash with other data), 422 (input the schema or the
    rules refuse), ..., with a message per field at fault ("" for the request as a whole)."""

    status: int
    error: str
    message: str
    errors: dict[str, str] = Field(
        default_factory=dict, description="A message per field at fault."
    )


# Descriptions, abstracts and bios are written in Markdown. The API gives each twice: as
# plain text (what an app shows as text, no Markdown syntax left) and as sanitised HTML.
def _plain_text(what: str):
    return Field(description=f"The {what} as plain text: no Markdown syntax left.")


def _html_text(what: str):
    return Field(
        description=f"The {what} as sanitised HTML (paragraphs, emphasis, lists, links, "
        'code, quotes, h3-h5); "" for none.'
    )


def _translations_field():
    return Field(
        None,
        description="With ``translations=all``: the texts by language code, each language "
        "with the fields written in it (the main language's from the item itself); a reader "
        "of a language takes its text, else the main language's. Absent otherwise.",
    )


class ConferenceTexts(BaseModel):
    title: str | None = None
    description: str | None = None
    description_html: str | None = None
    venue: str | None = None


class RoomTexts(BaseModel):
    name: str | None = None


class TrackTexts(BaseModel):
    name: str | None = None
    description: str | None = None
    description_html: str | None = None


class SessionTexts(BaseModel):
    title: str | None = None
    abstract: str | None = None
    abstract_html: str | None = None


class SpeakerTexts(BaseModel):
    title: str | None = None
    bio: str | None = None
    bio_html: str | None = None


class ConferenceOut(BaseModel):
    slug: str
    uuid: str
    main_language: str = Field(description="The language the conference is written in first.")
    title: str
    description: str = _plain_text("description")
    description_html: str = _html_text("description")
    venue: str
    address: str
    timezone: str
    start_date: date
    end_date: date
    url: str
    schedule_xml: str
    schedule_json: str
    logo_url: str | None = Field(
        description="PNG, at most 600x200 pixels; the address never changes content."
    )
    banner_url: str | None = Field(description="WebP, 1600x500 pixels or smaller at 16:5.")
    accent_color: str | None = Field(description='"#rrggbb", dark enough for white text.')
    updated_at: datetime
    translations: dict[str, ConferenceTexts] | None = _translations_field()


class RoomOut(BaseModel):
    id: int
    name: str
    description: str
    seats: int | None
    translations: dict[str, RoomTexts] | None = _translations_field()


class TrackOut(BaseModel):
    id: int
    name: str
    description: str = _plain_text("description")
    description_html: str = _html_text("description")
    color: str
    translations: dict[str, TrackTexts] | None = _translations_field()


class SpeakerRef(BaseModel):
    id: int
    name: str


class SessionOut(BaseModel):
    id: int
    uuid: str
    title: str
    abstract: str = _plain_text("abstract")
    abstract_html: str = _html_text("abstract")
    kind: str
    status: str = Field(description="scheduled or cancelled")
    start_at: datetime
    end_at: datetime
    day: date = Field(description="The local day in the conference's time zone.")
    room: RoomOut | None
    track: TrackOut | None
    speakers: list[SpeakerRef]
    languages: list[str] = Field(
        description="The languages it is given in (codes); [] when not said: then the "
        "conference's main language."
    )
    interpretation: bool = Field(
        description="Whether interpretation is offered, into each of the site's languages."
    )
    url: str
    updated_at: datetime
    translations: dict[str, SessionTexts] | None = _translations_field()


class SpeakerOut(BaseModel):
    id: int
    uuid: str
    name: str
    title: str
    affiliation: str
    bio: str = _plain_text("biography")
    bio_html: str = _html_text("biography")
    url: str
    photo_url: str | None = Field(description="JPEG, a square of at most 400 pixels.")
    updated_at: datetime
    translations: dict[str, SpeakerTexts] | None = _translations_field()


class Pagination(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int


class ConferenceList(Pagination):
    items: list[ConferenceOut]


class SessionList(Pagination):
    items: list[SessionOut]


class SpeakerList(Pagination):
    items: list[SpeakerOut]


class RoomList(Pagination):
    items: list[RoomOut]


class TrackList(Pagination):
    items: list[TrackOut]


# --- the organizer API ------------------------------------------------------------------

# The schema states types only; the rules (a title of at most 250 characters that is not
# blank, times that fit the conference, seats of 0 or more, ...) are the schedule's, which
# answers 422 (or 409 for a clash) with the field and the message, as the workspace does.
Title = Annotated[StrictStr, Field(description="At most 250 characters, not blank.")]
Abstract = Annotated[StrictStr, Field(description="At most 20000 characters.")]
Kind = Literal["talk", "keynote", "panel", "workshop", "break"]
# Within the integer column (a number beyond it could not be stored at all).
Seats = Annotated[StrictInt, Field(le=MAX_ID, description="0 or more.")]
SpeakerIds = Annotated[list[BodyRowId], Field(max_length=100)]
OnlineUrl = Annotated[
    StrictStr,
    Field(
        description="Where people holding a seat join online: an http(s) address of at most "
        '500 characters, without spaces; "" for none. Only they and the speakers see it.'
    ),
]

# Languages are checked by the schedule against the site's languages (422 naming them).
SessionTranslations = Annotated[
    dict[StrictStr, dict[Literal["title", "abstract"], StrictStr]],
    Field(
        description='The texts in the conference\'s other languages: {"zh": {"title": …, '
        '"abstract": …}}. The main language\'s are title and abstract; an empty text is '
        "dropped (readers then get the main language's)."
    ),
]
SpokenLanguages = Annotated[
    list[StrictStr],
    Field(max_length=10, description="Codes of the languages the session is given in."),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(_Strict):
    """A new session; without start_at and end_at it is not scheduled yet.

    The rules are answered with 422 and the field at fault: start_at and end_at come
    together and end_at is after start_at; rooms, tracks and speakers are this
    conference's. A time outside the conference, or a clash of room or speaker, is a 409."""

    title: Title
    abstract: Abstract = ""
    kind: Kind = "talk"
    track_id: BodyRowId | None = Field(None, description="A track of this conference, or null.")
    room_id: BodyRowId | None = Field(None, description="A room of this conference, or null.")
    start_at: Instant | None = Field(None, description=f"With a UTC offset, {CALENDAR_SPAN}.")
    end_at: Instant | None = Field(None, description=f"With a UTC offset, {CALENDAR_SPAN}.")
    capacity: Seats | None = Field(
        None, description="The session's own seats; null: only the conference's limit."
    )
    speaker_ids: SpeakerIds = Field(
        default_factory=list, description="Speakers of this conference."
    )
    online_url: OnlineUrl = ""
    translations: SessionTranslations = Field(default_factory=dict)
    languages: SpokenLanguages = Field(default_factory=list)
    interpretation: StrictBool = Field(False, description="Whether interpretation is offered.")


class SessionUpdate(_Strict):
    """Only the fields given change. Attendees and speakers are told of changes to the
    time, room, title, speakers or online link, as when the change is made in the workspace."""

    title: Title | SkipJsonSchema[None] = _optional_filter("The new title.")
    abstract: Abstract | SkipJsonSchema[None] = _optional_filter("The new abstract.")
    kind: Kind | SkipJsonSchema[None] = _optional_filter("The new kind.")
    track_id: BodyRowId | None = Field(None, description="A track of this conference, or null.")
    room_id: BodyRowId | None = Field(None, description="A room of this conference, or null.")
    start_at: Instant | SkipJsonSchema[None] = _optional_filter(
        "The new start, with a UTC offset (with end_at)."
    )
    end_at: Instant | SkipJsonSchema[None] = _optional_filter(
        "The new end, with a UTC offset (with start_at)."
    )
    capacity: Seats | None = Field(
        None, description="The session's own seats; null: only the conference's limit."
    )
    speaker_ids: SpeakerIds | SkipJsonSchema[None] = _optional_filter("The new speakers.")
    online_url: OnlineUrl | SkipJsonSchema[None] = _optional_filter(
        'The new online link ("" removes it).'
    )
    translations: SessionTranslations | SkipJsonSchema[None] = _optional_filter(
        "All the texts in other languages (replacing the earlier ones)."
    )
    languages: SpokenLanguages | SkipJsonSchema[None] = _optional_filter("The spoken languages.")
    interpretation: StrictBool | SkipJsonSchema[None] = _optional_filter(
        "Whether interpretation is offered."
    )

    @model_validator(mode="after")
    def _no_null_where_a_value_is_needed(self):
        needed = (
            "title",
            "abstract",
            "kind",
            "start_at",
            "end_at",
            "speaker_ids",
            "online_url",
            "translations",
            "languages",
            "interpretation",
        )
        nulls = [
            name for name in needed if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class ManagedSessionOut(BaseModel):
    """A session as its organizers see it: scheduled or not, cancelled or not."""

    id: int
    uuid: str
    title: str
    abstract: str
    kind: str
    status: str = Field(description="scheduled or cancelled")
    start_at: datetime | None = Field(description="null while not scheduled yet")
    end_at: datetime | None
    day: date | None = Field(description="The local day in the conference's time zone.")
    room: RoomOut | None
    track: TrackOut | None
    speakers: list[SpeakerRef]
    capacity: int | None
    online_url: str = Field(description='The join link; "" for none. Organizers only.')
    main_language: str = Field(description="The language of title and abstract.")
    translations: dict[str, dict[str, str]] = Field(
        description="The texts in the conference's other languages, as written."
    )
    languages: list[str] = Field(description="The spoken languages.")
    interpretation: bool
    revision: int = Field(description="Raised by every change calendars show.")
    url: str
    updated_at: datetime


class SessionChangeOut(ManagedSessionOut):
    notified: int = Field(description="How many people this change notified.")


class ManagedConferenceOut(BaseModel):
    slug: str
    uuid: str
    title: str
    published: bool
    timezone: str
    start_date: date
    end_date: date


class ManagedConferenceList(BaseModel):
    items: list[ManagedConferenceOut]


class RegistrationQuery(PageQuery):
    status: (
        Literal["confirmed", "waiting", "cancelled", "pending", "rejected"] | SkipJsonSchema[None]
    ) = _optional_filter("Only registrations with this status.")
    category: RowId | SkipJsonSchema[None] = _optional_filter(
        "Only registrations of the category with this id."
    )


class CategoryRef(BaseModel):
    id: int
    name: str = Field(description="In the conference's main language.")


class RegistrationOut(BaseModel):
    id: int
    full_name: str
    email: str | None = Field(description="null once the attendee's data has been erased.")
    affiliation: str
    country: str
    locale: str
    status: str = Field(description="confirmed, waiting, cancelled, pending (approval) or rejected")
    registered_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    category: CategoryRef | None = Field(description="null when in no category.")
    registered_by: int | None = Field(
        description="The id of the registration that registered this one along with itself "
        "(its group); null for one made by its own attendee."
    )


class RegistrationList(Pagination):
    items: list[RegistrationOut]
