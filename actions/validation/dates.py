"""This module contains the parser of the end date an artisan gives in French: "30 juin", "fin mai",
"dans 2 semaines", "31/05/2026", "le 3 juillet 2026", "demain".

``parse_end_date(text, today, max_days_ahead)`` returns a DateResult: ``value`` (a datetime.date) when the
answer names one day that is neither past nor too far ahead, otherwise the French sentence to say.
A day and month without a year is the next such day (today included): "30 juin" in December is next June.
"""

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

__all__ = ["DateResult", "MONTHS", "format_date", "parse_end_date"]

MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6}
_UNIT_DAYS = {"jour": 1, "jours": 1, "semaine": 7, "semaines": 7}

_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}|1er)(?:er)? ({_MONTH})\b(?: (\d{{4}}))?")
_END_OF = re.compile(rf"\bfin (?:du mois )?(?:du |de |d )?({_MONTH}|mois)\b(?: (\d{{4}}))?")
_IN = re.compile(r"\bdans (\d{1,3}|un|une|deux|trois|quatre|cinq|six) (jours?|semaines?|mois)\b")
_EXAMPLE = "par exemple « 30 juin », « fin mai », « dans 2 semaines » ou « 31/05/2026 »"


@dataclass(frozen=True)
class DateResult:
    """A parsed end date: ``value`` when usable, else ``message`` (French) says why not."""

    value: Optional[date] = None
    message: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def _words(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9/.\-]+", " ", folded).split())


def _next(day: int, month: int, today: date) -> Optional[date]:
    """The next ``day``/``month`` from today on (this year or the next)."""
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None


def _month_end(month: int, year: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(today: date, months: int) -> date:
    month0 = today.month - 1 + months
    year, month = today.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _read(words: str, today: date) -> Optional[date]:
    """The day the words name, or None; may be past or far ahead (the caller checks)."""
    if re.search(r"\baujourd ?hui\b|\bce soir\b", words):
        return today
    if re.search(r"\bapres demain\b", words):
        return today + timedelta(days=2)
    if re.search(r"\bdemain\b", words):
        return today + timedelta(days=1)
    found = _IN.search(words)
    if found:
        number = int(found.group(1)) if found.group(1).isdigit() else _NUMBERS[found.group(1)]
        if found.group(2) == "mois":
            return _add_months(today, number)
        return today + timedelta(days=number * _UNIT_DAYS[found.group(2)])
    found = _NUMERIC.search(words)
    if found:
        day, month = int(found.group(1)), int(found.group(2))
        year = found.group(3)
        if year is None:
            return _next(day, month, today)
        full_year = int(year) + 2000 if len(year) == 2 else int(year)
        try:
            return date(full_year, month, day)
        except ValueError:
            return None
    found = _DAY_MONTH.search(words)
    if found:
        day = 1 if found.group(1) == "1er" else int(found.group(1))
        month = MONTHS[found.group(2)]
        if found.group(3):
            try:
                return date(int(found.group(3)), month, day)
            except ValueError:
                return None
        return _next(day, month, today)
    found = _END_OF.search(words)
    if found:
        if found.group(1) == "mois":
            return _month_end(today.month, today.year)
        month = MONTHS[found.group(1)]
        year = int(found.group(2)) if found.group(2) else today.year
        end = _month_end(month, year)
        return end if end >= today or found.group(2) else _month_end(month, year + 1)
    return None


def parse_end_date(text: str, today: date, max_days_ahead: int) -> DateResult:
    """Read the last day of an initiative; it must be between today and ``max_days_ahead`` days from now."""
    found = _read(_words(text), today)
    if found is None:
        return DateResult(message=f"Je n’ai pas compris cette date : écrivez-la, {_EXAMPLE}.")
    if found < today:
        return DateResult(message="Cette date est déjà passée : jusqu’à quand votre initiative dure-t-elle ?")
    limit = today + timedelta(days=max_days_ahead)
    if found > limit:
        return DateResult(
            message=f"C’est trop loin : une initiative est publiée au plus jusqu’au {format_date(limit)}. "
            "Donnez une date plus proche (vous pourrez la prolonger ensuite)."
        )
    return DateResult(value=found)


_MONTH_NAMES = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                "novembre", "décembre"]


def format_date(day: date) -> str:
    """ "30 juin 2026", "1er juillet 2026"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTH_NAMES[day.month - 1]} {day.year}"
