"""The French wording of times, dates and opening hours (bot/shared/french.py)."""

from datetime import date, datetime, timezone

import pytest

from bot.shared.french import PARIS, describe_hours_fr, format_reopening_fr, format_time_fr, french_date
from bot.shared.hours import OpeningHours

UTC = timezone.utc


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_times_are_written_the_french_way():
    assert format_time_fr(paris(2020, 4, 6, 9, 0)) == "9h00"
    assert format_time_fr(paris(2020, 4, 6, 14, 30)) == "14h30"


@pytest.mark.parametrize(
    "opening, at, wording",
    [
        (paris(2020, 4, 6, 9, 0), paris(2020, 4, 6, 7, 0), "ce matin à 9h00"),
        (paris(2020, 4, 6, 14, 0), paris(2020, 4, 6, 12, 30), "cet après-midi à 14h00"),
        (paris(2020, 4, 6, 18, 30), paris(2020, 4, 6, 17, 0), "ce soir à 18h30"),
        (paris(2020, 4, 7, 9, 0), paris(2020, 4, 6, 18, 0), "demain à 9h00"),
        (paris(2020, 4, 6, 9, 0), paris(2020, 4, 3, 18, 0), "lundi à 9h00"),
        (paris(2020, 5, 1, 9, 0), paris(2020, 4, 20, 18, 0), "le vendredi 1er mai à 9h00"),
        (paris(2020, 4, 20, 9, 0), paris(2020, 4, 3, 18, 0), "le lundi 20 avril à 9h00"),
        # Late at night in UTC is already tomorrow in Paris.
        (paris(2020, 4, 7, 9, 0), datetime(2020, 4, 6, 22, 30, tzinfo=UTC), "ce matin à 9h00"),
    ],
)
def test_reopening_is_said_relative_to_now(opening, at, wording):
    assert format_reopening_fr(opening, at) == wording


def test_weekly_hours_are_described_in_french() -> None:
    hours = OpeningHours.parse("mon-fri 09:00-12:00 14:00-17:00; sat 09:00-12:00")
    assert describe_hours_fr(hours) == "du lundi au vendredi de 9h à 12h et de 14h à 17h ; le samedi de 9h à 12h"


def test_dates_are_written_the_french_way() -> None:
    assert french_date(date(2020, 12, 3)) == "3 décembre 2020"
    assert french_date(date(2021, 2, 1)) == "1er février 2021"
