"""Wall clocks and zone names: what every page and message shows of an instant."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, request
from flask_babel import Babel, refresh

from eventreg.core.timeutil import (
    exists_on_clock,
    format_clock,
    format_clock_range,
    format_clock_with_offset,
    format_clock_with_zone,
    format_date_range,
    format_day,
    format_day_short,
    instants_on_clock,
    is_valid_timezone,
    local_day,
    local_instant,
    skipped_clocks,
    zone_label,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def locale():
    """A request in the given language (the formatting functions read Flask-Babel's locale)."""
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(["en", "zh", "it"]))

    def use(language: str):
        context = app.test_request_context(headers={"Accept-Language": language})
        context.push()
        contexts.append(context)
        refresh()  # forget the language cached for the previous request

    contexts = []
    use("en")
    yield use
    for context in reversed(contexts):
        context.pop()


def test_clock_with_zone_names_the_abbreviation_and_the_zone(locale):
    instant = datetime(2031, 5, 6, 1, 30, tzinfo=UTC)

    assert format_clock(instant, SHANGHAI) == "09:30"
    assert format_clock_with_zone(instant, SHANGHAI) == "09:30 CST (Asia/Shanghai)"
    assert zone_label(instant, SHANGHAI) == "CST (Asia/Shanghai)"


def test_rome_is_named_for_the_season(locale):
    winter = datetime(2031, 1, 15, 8, 30, tzinfo=UTC)
    summer = datetime(2031, 7, 15, 7, 30, tzinfo=UTC)

    assert format_clock_with_zone(winter, ROME) == "09:30 CET (Europe/Rome)"
    assert format_clock_with_zone(summer, ROME) == "09:30 CEST (Europe/Rome)"


def test_a_range_names_the_zone_once_or_both_ends_across_a_dst_change(locale):
    day = date(2031, 3, 30)  # Rome moves its clocks forward at 02:00
    morning = local_instant(day, time(9, 30), ROME)
    night_start = local_instant(day, time(1, 30), ROME)
    night_end = local_instant(day, time(3, 30), ROME)

    assert format_clock_range(morning, morning.replace(hour=10, minute=15), ROME) == (
        "09:30–10:15 CEST (Europe/Rome)"
    )
    assert format_clock_range(night_start, night_end, ROME) == (
        "01:30 CET – 03:30 CEST (Europe/Rome)"
    )
    # One real hour apart (aware datetimes in the same zone subtract as wall clocks: use UTC).
    assert (night_end.astimezone(UTC) - night_start.astimezone(UTC)).total_seconds() == 3600


def test_clock_is_24_hour_in_every_language(locale):
    instant = datetime(2031, 5, 6, 6, 5, tzinfo=UTC)
    for language in ("en", "zh", "it"):
        locale(language)
        assert format_clock(instant, SHANGHAI) == "14:05"


def test_days_and_spans_follow_the_language(locale):
    assert format_day(date(2031, 5, 6)) == "Tuesday, May 6, 2031"
    assert format_day_short(date(2031, 5, 6)) == "Tue, May 6"
    assert (
        format_date_range(date(2031, 5, 6), date(2031, 5, 7)) == "May 6\u2009–\u20097, 2031"
    )  # CLDR puts thin spaces round the dash
    assert format_date_range(date(2031, 5, 6), date(2031, 5, 6)) == "May 6, 2031"
    locale("it")
    assert format_day(date(2031, 5, 6)) == "martedì 6 maggio 2031"
    locale("zh")
    assert format_date_range(date(2031, 5, 6), date(2031, 5, 7)) == "2031年5月6日至7日"


def test_an_instant_is_shown_on_its_local_day(locale):
    # 17:30 UTC on the 6th is already 01:30 on the 7th in Shanghai.
    instant = datetime(2031, 5, 6, 17, 30, tzinfo=UTC)

    assert local_day(instant, SHANGHAI) == date(2031, 5, 7)
    assert format_day(instant, SHANGHAI) == "Wednesday, May 7, 2031"


def test_local_instant_takes_the_first_of_two_autumn_half_past_twos():
    day = date(2031, 10, 26)  # Rome turns its clocks back from 03:00 to 02:00
    instant = local_instant(day, time(2, 30), ROME)

    assert instant.astimezone(UTC) == datetime(2031, 10, 26, 0, 30, tzinfo=UTC)  # still CEST


def test_known_zone_names_only():
    assert is_valid_timezone("Asia/Shanghai")
    assert is_valid_timezone("Europe/Rome")
    assert not is_valid_timezone("Mars/Olympus_Mons")
    assert not is_valid_timezone("")


def _in_utc(instants):
    return [instant.astimezone(UTC) for instant in instants]


def test_a_clock_the_spring_night_skips_has_no_instant():
    day = date(2027, 3, 28)  # Rome: 02:00 CET is followed by 03:00 CEST

    assert instants_on_clock(day, time(2, 30), ROME) == ()
    assert instants_on_clock(day, time(2, 0), ROME) == ()
    assert _in_utc(instants_on_clock(day, time(1, 59), ROME)) == [
        datetime(2027, 3, 28, 0, 59, tzinfo=UTC)
    ]
    assert _in_utc(instants_on_clock(day, time(3, 0), ROME)) == [
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    ]
    assert skipped_clocks(day, time(2, 30), ROME) == (
        datetime(2027, 3, 28, 2, 0),
        datetime(2027, 3, 28, 3, 0),
    )


def test_a_clock_the_autumn_night_repeats_has_two_instants_summer_time_first():
    day = date(2027, 10, 31)  # Rome: 03:00 CEST is followed by 02:00 CET

    first, second = instants_on_clock(day, time(2, 30), ROME)

    assert _in_utc([first, second]) == [
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    ]
    assert format_clock_with_offset(first, ROME) == "02:30 CEST (+02:00)"
    assert format_clock_with_offset(second, ROME) == "02:30 CET (+01:00)"
    assert len(instants_on_clock(day, time(3, 0), ROME)) == 1
    assert len(instants_on_clock(day, time(1, 59), ROME)) == 1


def test_shanghai_shows_every_clock_once():
    for day in (date(2027, 3, 28), date(2027, 10, 31)):
        for clock in (time(0, 0), time(2, 0), time(2, 30), time(3, 0), time(23, 59)):
            assert len(instants_on_clock(day, clock, SHANGHAI)) == 1


def test_a_jump_at_midnight_and_a_skipped_day_are_found_as_well():
    # Havana springs forward at midnight; Samoa skipped 30 December 2011 altogether.
    havana, apia = ZoneInfo("America/Havana"), ZoneInfo("Pacific/Apia")

    assert skipped_clocks(date(2027, 3, 14), time(0, 30), havana) == (
        datetime(2027, 3, 14, 0, 0),
        datetime(2027, 3, 14, 1, 0),
    )
    assert instants_on_clock(date(2011, 12, 30), time(12, 0), apia) == ()
    assert skipped_clocks(date(2011, 12, 30), time(12, 0), apia) == (
        datetime(2011, 12, 30, 0, 0),
        datetime(2011, 12, 31, 0, 0),
    )


def test_offsets_are_written_with_their_sign_and_minutes():
    instant = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)

    assert format_clock_with_offset(instant, ZoneInfo("America/St_Johns")) == ("08:30 NST (-03:30)")
    assert format_clock_with_offset(instant, ZoneInfo("Asia/Kolkata")) == "17:30 IST (+05:30)"
    assert format_clock_with_offset(instant, SHANGHAI) == "20:00 CST (+08:00)"


def test_a_datetime_built_at_a_skipped_clock_does_not_exist():
    assert not exists_on_clock(datetime(2027, 3, 28, 2, 30, tzinfo=ROME))
    assert exists_on_clock(datetime(2027, 3, 28, 3, 30, tzinfo=ROME))
    assert exists_on_clock(datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=ROME))
    assert exists_on_clock(datetime(2027, 3, 28, 2, 30, tzinfo=UTC))
