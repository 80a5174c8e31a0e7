"""This module contains the French wording of dates and times that the gateway and the action server share.

Pure standard library (see bot/shared/__init__.py). Times are shown in Europe/Paris, the chamber's time.
"""

from datetime import date, datetime
from typing import List, Tuple
from zoneinfo import ZoneInfo

from bot.shared.hours import OpeningHours

__all__ = [
    "MONTHS",
    "PARIS",
    "WEEKDAYS",
    "describe_hours_fr",
    "french_date",
    "format_reopening_fr",
    "format_time_fr",
]

# The chamber's time zone: every time is stored in UTC and shown in it.
PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def french_date(day: date) -> str:
    """`3 décembre 2020`, `1er mars 2021`."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def format_time_fr(moment: datetime) -> str:
    """Write a wall-clock time the French way: ``9h00``, ``14h30``."""
    return f"{moment.hour}h{moment.minute:02d}"


def format_reopening_fr(opening: datetime, at: datetime) -> str:
    """Say in French when ``opening`` comes, seen from ``at``: "cet après-midi à 14h00", "lundi à 9h00"."""
    at = at.astimezone(opening.tzinfo)
    days_ahead = (opening.date() - at.date()).days
    if days_ahead == 0:
        if opening.hour < 12:
            when = "ce matin"
        elif opening.hour < 18:
            when = "cet après-midi"
        else:
            when = "ce soir"
    elif days_ahead == 1:
        when = "demain"
    elif days_ahead < 7:
        when = WEEKDAYS[opening.weekday()]
    else:
        day_number = "1er" if opening.day == 1 else str(opening.day)
        when = f"le {WEEKDAYS[opening.weekday()]} {day_number} {MONTHS[opening.month - 1]}"
    return f"{when} à {format_time_fr(opening)}"


def describe_hours_fr(hours: OpeningHours) -> str:
    """Weekly hours in French: "du lundi au vendredi de 9h à 12h et de 14h à 17h"."""
    groups: List[Tuple[List[int], tuple]] = []
    for day, intervals in enumerate(hours.weekly):
        if not intervals:
            continue
        if groups and groups[-1][1] == intervals and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))

    def clock(moment: datetime) -> str:
        return f"{moment.hour}h" + (f"{moment.minute:02d}" if moment.minute else "")

    parts = []
    for days, intervals in groups:
        when = f"le {WEEKDAYS[days[0]]}" if len(days) == 1 else f"du {WEEKDAYS[days[0]]} au {WEEKDAYS[days[-1]]}"
        spans = " et ".join(f"de {clock(i.start)} à {clock(i.end)}" for i in intervals)
        parts.append(f"{when} {spans}")
    return " ; ".join(parts) or "aux heures d'ouverture de la Chambre"
