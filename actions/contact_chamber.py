"""This module contains ActionContactChamber, the chamber's contact details with its phone status."""

import logging
import os
from datetime import date, datetime
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.shared.french import format_reopening_fr, format_time_fr
from bot.shared.hours import (
    EXPECTED_CLOSED_DAYS_FORMAT,
    EXPECTED_FORMAT,
    PARIS,
    OpeningHours,
    OpeningHoursError,
    parse_closed_days,
)

logger = logging.getLogger(__name__)

PHONE_HOURS_VARIABLE = "CHAMBER_PHONE_HOURS"
CLOSED_DAYS_VARIABLE = "CHAMBER_CLOSED_DAYS"
DEFAULT_PHONE_HOURS = "mon-fri 09:00-12:00 14:00-17:00"


class PhoneHoursConfigError(ValueError):
    """A CHAMBER_PHONE_HOURS or CHAMBER_CLOSED_DAYS value that cannot be read; the message names which."""


def paris_now() -> datetime:
    """Return the current time in Europe/Paris."""
    return datetime.now(ZoneInfo(PARIS))


class ActionContactChamber(Action):
    """Give the chamber's contact details, saying whether its telephone reception is open right now.

    The opening hours are read from the environment the first time the action runs. A value that cannot
    be read is logged as an error and replaced by its default, so a typo in the configuration never
    breaks a conversation.
    """

    def __init__(
        self,
        now: Callable[[], datetime] = paris_now,
        environ: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._now = now
        self._environ = environ
        self._phone_hours: Optional[OpeningHours] = None

    def name(self) -> Text:
        return "action_contact_chamber"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        status = describe_phone_status(self.phone_hours, self._now())
        dispatcher.utter_message(response="utter_contact_chambre", phone_status=status)
        return []

    @property
    def phone_hours(self) -> OpeningHours:
        """The telephone reception's opening hours, read from the environment when first needed."""
        if self._phone_hours is None:
            environ = os.environ if self._environ is None else self._environ
            self._phone_hours = load_phone_hours(environ)
        return self._phone_hours


def load_phone_hours(environ: Mapping[str, str]) -> OpeningHours:
    """Read the phone hours from the environment; an invalid variable is logged and its default used."""
    try:
        closed_days = read_closed_days(environ)
    except PhoneHoursConfigError as exc:
        logger.error("%s Using no closed days.", exc)
        closed_days = frozenset()
    try:
        return read_phone_hours(environ, closed_days)
    except PhoneHoursConfigError as exc:
        logger.error("%s Using the default, %r.", exc, DEFAULT_PHONE_HOURS)
        return OpeningHours.parse(DEFAULT_PHONE_HOURS, closed_days)


def read_phone_hours(environ: Mapping[str, str], closed_days: Iterable[date] = ()) -> OpeningHours:
    """Read CHAMBER_PHONE_HOURS (or its default); raise PhoneHoursConfigError if it is invalid."""
    text = environ.get(PHONE_HOURS_VARIABLE) or DEFAULT_PHONE_HOURS
    try:
        return OpeningHours.parse(text, closed_days=closed_days)
    except OpeningHoursError as exc:
        raise PhoneHoursConfigError(
            f"{PHONE_HOURS_VARIABLE}={text!r} is invalid: {exc}. Expected {EXPECTED_FORMAT}."
        ) from exc


def read_closed_days(environ: Mapping[str, str]) -> FrozenSet[date]:
    """Read CHAMBER_CLOSED_DAYS (none if unset); raise PhoneHoursConfigError if it is invalid."""
    text = environ.get(CLOSED_DAYS_VARIABLE, "")
    try:
        return parse_closed_days(text)
    except OpeningHoursError as exc:
        raise PhoneHoursConfigError(
            f"{CLOSED_DAYS_VARIABLE}={text!r} is invalid: {exc}. Expected {EXPECTED_CLOSED_DAYS_FORMAT}."
        ) from exc


def describe_phone_status(hours: OpeningHours, at: datetime) -> str:
    """Say in French whether the telephone reception is open at ``at``, and until or from when."""
    closes = hours.closes_at(at)
    if closes is not None:
        return f"L'accueil téléphonique est ouvert en ce moment, jusqu'à {format_time_fr(closes)}."
    opening = hours.next_opening(at)
    if opening is None:
        return "L'accueil téléphonique est fermé jusqu'à nouvel ordre."
    return f"L'accueil téléphonique est fermé en ce moment ; il rouvre {format_reopening_fr(opening, at)}."
