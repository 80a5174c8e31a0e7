"""This module contains Period: the days a report covers (Europe/Paris dates, both ends included), read from the
report page's dates, with its French label and its bounds in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.errors import CrisisbotError
from bot.shared.french import MONTHS, PARIS, WEEKDAYS, french_date

__all__ = ["MAX_DAYS", "BadPeriod", "Period"]

MAX_DAYS = 366


class BadPeriod(CrisisbotError):
    """Dates a report cannot cover; `message` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both included, in the chamber's time (Europe/Paris)."""

    start: date
    end: date

    @classmethod
    def week_of(cls, day: date) -> "Period":
        """The week (Monday to Sunday) of `day`."""
        monday = day - timedelta(days=day.weekday())
        return cls(monday, monday + timedelta(days=6))

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> "Period":
        """Read the page's `from` and `to` (YYYY-MM-DD): a missing start is this week's Monday, a missing end
        this week's Sunday (or the start's, when only the start is given). Raises BadPeriod."""
        start_day = _read(start, "de début")
        end_day = _read(end, "de fin")
        if start_day is None and end_day is None:
            return cls.week_of(today)
        if start_day is None:
            start_day = cls.week_of(end_day).start
        if end_day is None:
            end_day = cls.week_of(start_day).end
        if end_day < start_day:
            raise BadPeriod("La date de fin est avant la date de début.")
        if (end_day - start_day).days + 1 > MAX_DAYS:
            raise BadPeriod(f"La période dépasse {MAX_DAYS} jours : choisissez des dates plus proches.")
        return cls(start_day, end_day)

    @property
    def length(self) -> int:
        """How many days it covers."""
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before, for the trends."""
        return Period(self.start - timedelta(days=self.length), self.start - timedelta(days=1))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.length)]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[the start's midnight, the day after the end's midnight) in Paris, as UTC times."""
        begin = datetime.combine(self.start, time(0), PARIS).astimezone(UTC)
        finish = datetime.combine(self.end + timedelta(days=1), time(0), PARIS).astimezone(UTC)
        return begin, finish

    @property
    def label(self) -> str:
        """"du lundi 6 avril au dimanche 12 avril 2020"; "le lundi 6 avril 2020" for one day."""
        if self.start == self.end:
            return f"le {WEEKDAYS[self.start.weekday()]} {french_date(self.start)}"
        first = f"{WEEKDAYS[self.start.weekday()]} {'1er' if self.start.day == 1 else self.start.day}"
        first += f" {MONTHS[self.start.month - 1]}"
        if self.start.year != self.end.year:
            first += f" {self.start.year}"
        return f"du {first} au {WEEKDAYS[self.end.weekday()]} {french_date(self.end)}"


def _read(text: str | None, which: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(f"Date {which} illisible : « {text[:40]} » (attendu : AAAA-MM-JJ).") from None
