"""A report's period: this week by default, any range of Paris dates, refused in French when unreadable."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.reports.period import BadPeriod, Period

WEDNESDAY = date(2020, 4, 8)


def test_this_week_by_default() -> None:
    period = Period.parse(None, "", WEDNESDAY)
    assert period == Period.week_of(WEDNESDAY) == Period(date(2020, 4, 6), date(2020, 4, 12))
    assert period.label == "du lundi 6 avril au dimanche 12 avril 2020"
    assert period.days()[0] == date(2020, 4, 6) and len(period.days()) == 7


def test_any_range() -> None:
    period = Period.parse("2020-03-30", "2020-04-12", WEDNESDAY)
    assert period.previous() == Period(date(2020, 3, 16), date(2020, 3, 29))
    assert Period.parse("2020-04-01", None, WEDNESDAY) == Period(date(2020, 4, 1), date(2020, 4, 5))
    assert Period.parse(None, "2020-04-01", WEDNESDAY) == Period(date(2020, 3, 30), date(2020, 4, 1))
    assert Period(date(2020, 4, 1), date(2020, 4, 1)).label == "le mercredi 1er avril 2020"
    assert Period(date(2019, 12, 30), date(2020, 1, 5)).label == "du lundi 30 décembre 2019 au dimanche 5 janvier 2020"


def test_the_bounds_are_paris_midnights_in_utc() -> None:
    # Summer time starts on Sunday 29 March 2020: the week's start is UTC+1, its end UTC+2.
    begin, end = Period(date(2020, 3, 23), date(2020, 3, 29)).utc_bounds()
    assert begin == datetime(2020, 3, 22, 23, 0, tzinfo=UTC)
    assert end == datetime(2020, 3, 29, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2020-04-12", "2020-04-06", "La date de fin est avant la date de début."),
        ("2019-01-01", "2020-04-06", "La période dépasse 366 jours : choisissez des dates plus proches."),
        ("06/04/2020", None, "Date de début illisible : « 06/04/2020 » (attendu : AAAA-MM-JJ)."),
        (None, "2020-02-30", "Date de fin illisible : « 2020-02-30 » (attendu : AAAA-MM-JJ)."),
    ],
)
def test_unreadable_periods_are_refused_in_french(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(BadPeriod) as refused:
        Period.parse(start, end, WEDNESDAY)
    assert refused.value.message == message


def test_a_leap_year_fits() -> None:
    assert Period.parse("2020-01-01", "2020-12-31", WEDNESDAY).length == 366
