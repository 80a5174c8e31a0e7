"""This module contains OpeningHours, weekly opening hours with closed days (their French wording: bot.shared.french).

Shared by the gateway and the action server: it must stay pure standard library and run on Python 3.10
(the action server imports it as `bot.shared.hours`, with the repository on its PYTHONPATH).

Opening hours are written as one or more rules separated by ``;``. A rule is a set of days, then one or
more intervals of local wall-clock time::

    mon-thu 09:00-12:00 14:00-17:00; fri 09:00-12:00
    mon,wed,fri 09:00-12:00

Days are ``mon tue wed thu fri sat sun``, as a range (``mon-fri``), a comma list (``mon,wed``) or both
(``mon-wed,fri``). Each day appears in one rule only. Intervals are ``HH:MM-HH:MM``, in order and not
overlapping; an interval ends the same day it starts. Closed days (public holidays) are whole dates.

Times are wall-clock times in one time zone (Europe/Paris unless told otherwise), so "09:00" stays 9 a.m.
across daylight saving changes. Everything here is pure: the caller passes the moment to judge.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import FrozenSet, Iterable, List, Optional, Tuple
from zoneinfo import ZoneInfo

__all__ = [
    "EXPECTED_CLOSED_DAYS_FORMAT",
    "EXPECTED_FORMAT",
    "Interval",
    "OpeningHours",
    "OpeningHoursError",
    "PARIS",
    "parse_closed_days",
]

# The name of the chamber's time zone (bot.shared.french.PARIS is the zone itself).
PARIS = "Europe/Paris"

EXPECTED_FORMAT = (
    "days then HH:MM-HH:MM intervals, rules separated by ';', "
    "e.g. 'mon-thu 09:00-12:00 14:00-17:00; fri 09:00-12:00' "
    "(days: mon tue wed thu fri sat sun, as a range 'mon-fri' or a list 'mon,wed')"
)
EXPECTED_CLOSED_DAYS_FORMAT = "ISO dates separated by commas, e.g. '2020-05-01,2020-05-08'"

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

class OpeningHoursError(ValueError):
    """Opening hours or closed days not in the expected format; the message says what and where."""


@dataclass(frozen=True)
class Interval:
    """One opening period within a day, from ``start`` (included) to ``end`` (excluded)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours (``weekly[0]`` is Monday) and whole closed dates, in one time zone."""

    weekly: Tuple[Tuple[Interval, ...], ...]
    closed_days: FrozenSet[date]
    timezone: tzinfo

    @classmethod
    def parse(
        cls,
        text: str,
        closed_days: Iterable[date] = (),
        timezone: Optional[tzinfo] = None,
    ) -> "OpeningHours":
        """Read hours such as ``"mon-fri 09:00-12:00 14:00-17:00"``; raise OpeningHoursError if invalid."""
        weekly: List[Optional[Tuple[Interval, ...]]] = [None] * 7
        rules = [rule.strip() for rule in text.split(";")]
        if not any(rules):
            raise OpeningHoursError("no opening hours given")
        for rule in rules:
            if not rule:
                continue
            days_token, *interval_tokens = rule.split()
            if _INTERVAL.match(days_token):
                raise OpeningHoursError(
                    f"rule '{rule}' starts with hours: name the days first, e.g. 'mon-fri'"
                )
            days = _parse_days(days_token, rule)
            if not interval_tokens:
                raise OpeningHoursError(f"rule '{rule}' has days but no HH:MM-HH:MM interval")
            intervals = _parse_intervals(interval_tokens, rule)
            for day in days:
                if weekly[day] is not None:
                    raise OpeningHoursError(
                        f"'{DAY_NAMES[day]}' appears in more than one rule; give each day one rule"
                    )
                weekly[day] = intervals
        return cls(
            weekly=tuple(intervals or () for intervals in weekly),
            closed_days=frozenset(closed_days),
            timezone=timezone if timezone is not None else ZoneInfo(PARIS),
        )

    def is_open(self, at: datetime) -> bool:
        """Tell whether ``at`` (timezone-aware) falls in an opening period."""
        return self._current_interval(at) is not None

    def closes_at(self, at: datetime) -> Optional[datetime]:
        """Return when the current opening period ends, or None if closed at ``at``."""
        interval = self._current_interval(at)
        if interval is None:
            return None
        return self._at(self._local(at).date(), interval.end)

    def next_opening(self, at: datetime) -> Optional[datetime]:
        """Return the first opening strictly after ``at``, or None if it never opens again."""
        local = self._local(at)
        # A closed day removes at most one opening day, so k closed days delay the next opening by at
        # most k weeks; after that horizon nothing new can come.
        horizon = 7 * (len(self.closed_days) + 1) + 1
        for offset in range(horizon):
            day = local.date() + timedelta(days=offset)
            for start in self._starts(day):
                if start > at:
                    return start
        return None

    def deadline(self, at: datetime, within: timedelta) -> Optional[datetime]:
        """Return the promise "within ``within``, counted on opening days": ``at + within`` when open then,
        else the next opening after it (a callback asked on Friday afternoon is due on Monday morning)."""
        target = at + within
        if self.is_open(target):
            return target
        return self.next_opening(target)

    def _starts(self, day: date) -> Iterable[datetime]:
        if day in self.closed_days:
            return ()
        return (self._at(day, interval.start) for interval in self.weekly[day.weekday()])

    def _current_interval(self, at: datetime) -> Optional[Interval]:
        local = self._local(at)
        if local.date() in self.closed_days:
            return None
        now = local.time()
        for interval in self.weekly[local.weekday()]:
            if interval.start <= now < interval.end:
                return interval
        return None

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"opening hours need a timezone-aware datetime, got {at!r}")
        return at.astimezone(self.timezone)

    def _at(self, day: date, wall_clock: time) -> datetime:
        return datetime.combine(day, wall_clock, tzinfo=self.timezone)


def parse_closed_days(text: str) -> FrozenSet[date]:
    """Read a comma list of ISO dates such as ``"2020-05-01,2020-05-08"``; an empty text means none."""
    days = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            days.add(date.fromisoformat(item))
        except ValueError as exc:
            raise OpeningHoursError(
                f"'{item}' is not a date: write dates as YYYY-MM-DD"
            ) from exc
    return frozenset(days)


def _parse_days(token: str, rule: str) -> Tuple[int, ...]:
    days = []
    for item in token.lower().split(","):
        first, dash, last = item.partition("-")
        start = _day_index(first, rule)
        end = _day_index(last, rule) if dash else start
        if end < start:
            raise OpeningHoursError(
                f"day range '{item}' in rule '{rule}' goes backwards: write it from Monday to Sunday, "
                "e.g. 'mon-fri'"
            )
        days.extend(range(start, end + 1))
    return tuple(days)


def _day_index(name: str, rule: str) -> int:
    try:
        return DAY_NAMES.index(name)
    except ValueError:
        raise OpeningHoursError(
            f"unknown day '{name}' in rule '{rule}': days are {' '.join(DAY_NAMES)}"
        ) from None


def _parse_intervals(tokens: Iterable[str], rule: str) -> Tuple[Interval, ...]:
    intervals: List[Interval] = []
    for token in tokens:
        interval = _parse_interval(token, rule)
        if intervals and interval.start < intervals[-1].end:
            raise OpeningHoursError(
                f"interval {token} in rule '{rule}' overlaps or comes before {intervals[-1]}: "
                "write intervals in order, without overlap"
            )
        if intervals and interval.start == intervals[-1].end:
            # 09:00-12:00 12:00-14:00 is one period: the desk does not close at noon.
            intervals[-1] = Interval(intervals[-1].start, interval.end)
        else:
            intervals.append(interval)
    return tuple(intervals)


def _parse_interval(token: str, rule: str) -> Interval:
    match = _INTERVAL.match(token)
    if match is None:
        raise OpeningHoursError(
            f"'{token}' in rule '{rule}' is not an interval: expected HH:MM-HH:MM, e.g. 09:00-12:00"
        )
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    try:
        start = time(start_hour, start_minute)
        # 24:00 is the end of the day: "00:00-24:00" is open all day.
        end = time.max if (end_hour, end_minute) == (24, 0) else time(end_hour, end_minute)
    except ValueError:
        raise OpeningHoursError(
            f"'{token}' in rule '{rule}' is not a time of day: hours go 00-23 (24:00 ends the day), minutes 00-59"
        ) from None
    if end <= start:
        raise OpeningHoursError(
            f"interval {token} in rule '{rule}' ends before it starts: an interval ends the same day"
        )
    return Interval(start, end)
