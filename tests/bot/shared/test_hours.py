"""Tests of OpeningHours: reading the format, open or closed at a moment, and the French wording."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.shared.french import format_reopening_fr
from bot.shared.hours import (
    OpeningHours,
    OpeningHoursError,
    parse_closed_days,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
WEEKDAYS = "mon-fri 09:00-12:00 14:00-17:00"


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_default_hours_open_from_start_until_end_excluded():
    hours = OpeningHours.parse(WEEKDAYS)

    # Monday 6 April 2020.
    assert not hours.is_open(paris(2020, 4, 6, 8, 59))
    assert hours.is_open(paris(2020, 4, 6, 9, 0))
    assert hours.is_open(paris(2020, 4, 6, 11, 59))
    assert not hours.is_open(paris(2020, 4, 6, 12, 0))
    assert hours.is_open(paris(2020, 4, 6, 14, 0))
    assert not hours.is_open(paris(2020, 4, 6, 17, 0))
    # Saturday and Sunday.
    assert not hours.is_open(paris(2020, 4, 11, 10, 0))
    assert not hours.is_open(paris(2020, 4, 12, 10, 0))


def test_closes_at_is_the_end_of_the_current_period_and_none_when_closed():
    hours = OpeningHours.parse(WEEKDAYS)

    assert hours.closes_at(paris(2020, 4, 6, 10, 0)) == paris(2020, 4, 6, 12, 0)
    assert hours.closes_at(paris(2020, 4, 6, 15, 30)) == paris(2020, 4, 6, 17, 0)
    assert hours.closes_at(paris(2020, 4, 6, 12, 30)) is None


def test_next_opening_is_the_next_start_strictly_after():
    hours = OpeningHours.parse(WEEKDAYS)

    assert hours.next_opening(paris(2020, 4, 6, 7, 0)) == paris(2020, 4, 6, 9, 0)
    assert hours.next_opening(paris(2020, 4, 6, 9, 0)) == paris(2020, 4, 6, 14, 0)
    assert hours.next_opening(paris(2020, 4, 6, 12, 30)) == paris(2020, 4, 6, 14, 0)
    # Friday evening and Saturday: Monday morning.
    assert hours.next_opening(paris(2020, 4, 3, 18, 0)) == paris(2020, 4, 6, 9, 0)
    assert hours.next_opening(paris(2020, 4, 4, 10, 0)) == paris(2020, 4, 6, 9, 0)


def test_several_rules_give_each_day_its_own_hours():
    hours = OpeningHours.parse("mon-thu 09:00-12:00 14:00-17:00; fri 09:00-12:00")

    # Thursday 9 April 2020 afternoon: open; Friday 10 April afternoon: closed until Monday.
    assert hours.closes_at(paris(2020, 4, 9, 15, 0)) == paris(2020, 4, 9, 17, 0)
    assert not hours.is_open(paris(2020, 4, 10, 15, 0))
    assert hours.next_opening(paris(2020, 4, 10, 15, 0)) == paris(2020, 4, 13, 9, 0)


def test_days_as_a_list_and_as_a_list_of_ranges():
    listed = OpeningHours.parse("mon,wed,fri 09:00-12:00")
    mixed = OpeningHours.parse("mon-tue,thu 09:00-12:00")

    # Tuesday 7 April 2020.
    assert not listed.is_open(paris(2020, 4, 7, 10, 0))
    assert listed.next_opening(paris(2020, 4, 7, 10, 0)) == paris(2020, 4, 8, 9, 0)
    assert mixed.is_open(paris(2020, 4, 7, 10, 0))
    assert not mixed.is_open(paris(2020, 4, 8, 10, 0))
    assert mixed.is_open(paris(2020, 4, 9, 10, 0))


def test_case_spaces_and_a_trailing_separator_are_tolerated():
    hours = OpeningHours.parse("  MON-Fri   9:00-12:00 ;  ")

    assert hours.closes_at(paris(2020, 4, 6, 10, 0)) == paris(2020, 4, 6, 12, 0)


def test_touching_intervals_are_one_period():
    hours = OpeningHours.parse("mon 09:00-12:00 12:00-14:00")

    assert hours.closes_at(paris(2020, 4, 6, 10, 0)) == paris(2020, 4, 6, 14, 0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no opening hours given"),
        (" ; ", "no opening hours given"),
        (
            "lun-ven 09:00-12:00",
            "unknown day 'lun' in rule 'lun-ven 09:00-12:00': days are mon tue wed thu fri sat sun",
        ),
        ("mon-fri", "rule 'mon-fri' has days but no HH:MM-HH:MM interval"),
        (
            "09:00-12:00",
            "rule '09:00-12:00' starts with hours: name the days first, e.g. 'mon-fri'",
        ),
        (
            "mon-fri 9h-12h",
            "'9h-12h' in rule 'mon-fri 9h-12h' is not an interval: expected HH:MM-HH:MM, e.g. 09:00-12:00",
        ),
        (
            "mon-fri 09:00-25:00",
            "'09:00-25:00' in rule 'mon-fri 09:00-25:00' is not a time of day: hours go 00-23 (24:00 ends the day), minutes 00-59",
        ),
        (
            "mon-fri 12:00-09:00",
            "interval 12:00-09:00 in rule 'mon-fri 12:00-09:00' ends before it starts: "
            "an interval ends the same day",
        ),
        (
            "fri-mon 09:00-12:00",
            "day range 'fri-mon' in rule 'fri-mon 09:00-12:00' goes backwards: "
            "write it from Monday to Sunday, e.g. 'mon-fri'",
        ),
        (
            "mon 09:00-12:00 11:00-13:00",
            "interval 11:00-13:00 in rule 'mon 09:00-12:00 11:00-13:00' overlaps or comes before "
            "09:00-12:00: write intervals in order, without overlap",
        ),
        (
            "mon-fri 09:00-12:00; fri 14:00-17:00",
            "'fri' appears in more than one rule; give each day one rule",
        ),
    ],
)
def test_invalid_hours_say_what_is_wrong(text, message):
    with pytest.raises(OpeningHoursError) as raised:
        OpeningHours.parse(text)

    assert str(raised.value) == message


def test_closed_days_are_read_from_a_comma_list():
    assert parse_closed_days("2020-04-13, 2020-05-01,") == {date(2020, 4, 13), date(2020, 5, 1)}
    assert parse_closed_days("") == frozenset()


def test_an_invalid_closed_day_says_which():
    with pytest.raises(OpeningHoursError) as raised:
        parse_closed_days("2020-04-13,13/04/2020")

    assert str(raised.value) == "'13/04/2020' is not a date: write dates as YYYY-MM-DD"


def test_a_closed_day_is_closed_all_day_and_skipped():
    # Easter Monday, 13 April 2020.
    hours = OpeningHours.parse(WEEKDAYS, closed_days=[date(2020, 4, 13)])

    assert not hours.is_open(paris(2020, 4, 13, 10, 0))
    assert hours.closes_at(paris(2020, 4, 13, 10, 0)) is None
    assert hours.next_opening(paris(2020, 4, 10, 18, 0)) == paris(2020, 4, 14, 9, 0)


def test_weeks_of_closed_days_are_skipped():
    lockdown = [date(2020, 4, 6) + timedelta(days=n) for n in range(14)]
    hours = OpeningHours.parse(WEEKDAYS, closed_days=lockdown)

    assert hours.next_opening(paris(2020, 4, 3, 18, 0)) == paris(2020, 4, 20, 9, 0)


def test_hours_keep_the_wall_clock_when_summer_time_starts():
    # Clocks went forward on Sunday 29 March 2020: 9:00 in Paris is 8:00 UTC before, 7:00 UTC after.
    hours = OpeningHours.parse(WEEKDAYS)
    friday_evening = datetime(2020, 3, 27, 17, 0, tzinfo=UTC)

    assert not hours.is_open(datetime(2020, 3, 27, 7, 30, tzinfo=UTC))
    assert hours.is_open(datetime(2020, 3, 27, 8, 30, tzinfo=UTC))
    assert hours.is_open(datetime(2020, 3, 30, 7, 30, tzinfo=UTC))
    assert hours.next_opening(friday_evening) == datetime(2020, 3, 30, 7, 0, tzinfo=UTC)


def test_hours_keep_the_wall_clock_when_summer_time_ends():
    # Clocks went back on Sunday 25 October 2020: 9:00 in Paris is 7:00 UTC before, 8:00 UTC after.
    hours = OpeningHours.parse(WEEKDAYS)
    friday_evening = datetime(2020, 10, 23, 16, 0, tzinfo=UTC)

    assert hours.is_open(datetime(2020, 10, 23, 7, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2020, 10, 26, 7, 30, tzinfo=UTC))
    assert hours.next_opening(friday_evening) == datetime(2020, 10, 26, 8, 0, tzinfo=UTC)
    assert hours.closes_at(datetime(2020, 10, 26, 10, 0, tzinfo=UTC)) == datetime(
        2020, 10, 26, 11, 0, tzinfo=UTC
    )


def test_a_moment_without_timezone_is_refused():
    hours = OpeningHours.parse(WEEKDAYS)

    with pytest.raises(ValueError, match="timezone-aware"):
        hours.is_open(datetime(2020, 4, 6, 10, 0))


@pytest.mark.parametrize(
    "asked, due, words",
    [
        (paris(2020, 4, 6, 10, 0), paris(2020, 4, 7, 10, 0), "demain à 10h00"),  # Monday morning: Tuesday
        (paris(2020, 4, 10, 15, 0), paris(2020, 4, 13, 9, 0), "lundi à 9h00"),  # Friday afternoon: Monday
        (paris(2020, 4, 6, 12, 30), paris(2020, 4, 7, 14, 0), "demain à 14h00"),  # lunch break: reopening
        (paris(2020, 4, 11, 11, 0), paris(2020, 4, 13, 9, 0), "lundi à 9h00"),  # Saturday: Monday
    ],
)
def test_a_24_hour_promise_is_kept_on_opening_days(asked: datetime, due: datetime, words: str) -> None:
    hours = OpeningHours.parse(WEEKDAYS)
    deadline = hours.deadline(asked, timedelta(hours=24))
    assert deadline == due
    assert format_reopening_fr(deadline, asked) == words


def test_a_promise_skips_a_public_holiday() -> None:
    # Thursday 30 April 2020 at 10:00; Friday 1 May is closed: due Monday 4 May.
    hours = OpeningHours.parse(WEEKDAYS, closed_days=[date(2020, 5, 1)])
    assert hours.deadline(paris(2020, 4, 30, 10, 0), timedelta(hours=24)) == paris(2020, 5, 4, 9, 0)


def test_24_00_ends_the_day_so_hours_can_be_round_the_clock() -> None:
    hours = OpeningHours.parse("mon-sun 00:00-24:00")
    assert hours.is_open(datetime(2026, 11, 29, 23, 59, 59, tzinfo=PARIS))
    assert hours.is_open(datetime(2026, 11, 30, 0, 0, tzinfo=PARIS))
