"""Tests of ActionContactChamber: the telephone reception's status at different moments."""

import asyncio
import logging
from datetime import datetime
from typing import Any, Dict, Mapping, Optional
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from actions import ActionContactChamber

PARIS = ZoneInfo("Europe/Paris")

DOMAIN = {
    "intents": ["contact_chambre"],
    "responses": {
        "utter_contact_chambre": [
            {"text": "Vous pouvez joindre la chambre au 03 85 00 00 00. {phone_status}"}
        ],
    },
    "actions": ["action_contact_chamber"],
}

OPEN_UNTIL_NOON = "L'accueil téléphonique est ouvert en ce moment, jusqu'à 12h00."
REOPENS_THIS_AFTERNOON = "L'accueil téléphonique est fermé en ce moment ; il rouvre cet après-midi à 14h00."
REOPENS_MONDAY = "L'accueil téléphonique est fermé en ce moment ; il rouvre lundi à 9h00."


def tracker() -> Tracker:
    parse_data = {
        "intent": {"name": "contact_chambre", "confidence": 0.97},
        "entities": [],
        "text": "num de la cma",
    }
    return Tracker(
        "conversation-1",
        {},
        parse_data,
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("num de la cma", parse_data=parse_data),
        ],
        False,
        None,
        {},
        "action_listen",
    )


def run_contact_chamber(at: datetime, environ: Optional[Mapping[str, str]] = None):
    action = ActionContactChamber(now=lambda: at, environ={} if environ is None else environ)
    dispatcher = CollectingDispatcher()
    returned = asyncio.run(action.run(dispatcher, tracker(), DOMAIN))
    return returned, dispatcher.messages


def contact_details(phone_status: str) -> Dict[str, Any]:
    """The message CollectingDispatcher holds for the contact details with this phone status."""
    return {
        "text": None,
        "buttons": [],
        "elements": [],
        "custom": {},
        "template": "utter_contact_chambre",
        "response": "utter_contact_chambre",
        "image": None,
        "attachment": None,
        "phone_status": phone_status,
    }


def test_monday_morning_the_phone_is_open_until_noon():
    returned, messages = run_contact_chamber(datetime(2020, 4, 6, 10, 0, tzinfo=PARIS))

    assert returned == []
    assert messages == [contact_details(OPEN_UNTIL_NOON)]


def test_monday_lunchtime_the_phone_reopens_this_afternoon():
    returned, messages = run_contact_chamber(datetime(2020, 4, 6, 12, 30, tzinfo=PARIS))

    assert returned == []
    assert messages == [contact_details(REOPENS_THIS_AFTERNOON)]


def test_friday_evening_the_phone_reopens_monday():
    returned, messages = run_contact_chamber(datetime(2020, 4, 3, 18, 0, tzinfo=PARIS))

    assert returned == []
    assert messages == [contact_details(REOPENS_MONDAY)]


def test_saturday_the_phone_reopens_monday():
    returned, messages = run_contact_chamber(datetime(2020, 4, 4, 10, 0, tzinfo=PARIS))

    assert returned == []
    assert messages == [contact_details(REOPENS_MONDAY)]


def test_sunday_the_phone_reopens_tomorrow():
    returned, messages = run_contact_chamber(datetime(2020, 4, 5, 20, 0, tzinfo=PARIS))

    assert returned == []
    assert messages == [
        contact_details("L'accueil téléphonique est fermé en ce moment ; il rouvre demain à 9h00.")
    ]


def test_on_a_public_holiday_the_phone_is_closed_until_the_next_working_day():
    # Easter Monday, 13 April 2020.
    environ = {"CHAMBER_CLOSED_DAYS": "2020-04-13,2020-05-01"}

    returned, messages = run_contact_chamber(datetime(2020, 4, 13, 10, 0, tzinfo=PARIS), environ)

    assert returned == []
    assert messages == [
        contact_details("L'accueil téléphonique est fermé en ce moment ; il rouvre demain à 9h00.")
    ]


def test_before_a_public_holiday_weekend_the_phone_reopens_tuesday():
    environ = {"CHAMBER_CLOSED_DAYS": "2020-04-13"}

    returned, messages = run_contact_chamber(datetime(2020, 4, 10, 18, 0, tzinfo=PARIS), environ)

    assert returned == []
    assert messages == [
        contact_details("L'accueil téléphonique est fermé en ce moment ; il rouvre mardi à 9h00.")
    ]


def test_hours_from_the_environment_replace_the_default():
    environ = {"CHAMBER_PHONE_HOURS": "mon-thu 09:00-12:00 14:00-17:00; fri 09:00-11:30"}

    returned, messages = run_contact_chamber(datetime(2020, 4, 10, 10, 0, tzinfo=PARIS), environ)

    assert returned == []
    assert messages == [
        contact_details("L'accueil téléphonique est ouvert en ce moment, jusqu'à 11h30.")
    ]


def test_invalid_hours_are_logged_and_the_default_hours_answer(caplog):
    environ = {"CHAMBER_PHONE_HOURS": "lun-ven 9h-12h"}

    with caplog.at_level(logging.ERROR, logger="actions.contact_chamber"):
        returned, messages = run_contact_chamber(datetime(2020, 4, 6, 10, 0, tzinfo=PARIS), environ)

    assert returned == []
    assert messages == [contact_details(OPEN_UNTIL_NOON)]
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith(
        "CHAMBER_PHONE_HOURS='lun-ven 9h-12h' is invalid: unknown day 'lun' in rule 'lun-ven 9h-12h'"
    )
    assert "e.g. 'mon-thu 09:00-12:00 14:00-17:00; fri 09:00-12:00'" in record.getMessage()


def test_with_invalid_hours_the_closed_days_still_apply():
    environ = {"CHAMBER_PHONE_HOURS": "lun-ven 9h-12h", "CHAMBER_CLOSED_DAYS": "2020-04-13"}

    returned, messages = run_contact_chamber(datetime(2020, 4, 13, 10, 0, tzinfo=PARIS), environ)

    assert returned == []
    assert messages == [
        contact_details("L'accueil téléphonique est fermé en ce moment ; il rouvre demain à 9h00.")
    ]


def test_invalid_closed_days_are_logged_and_the_hours_still_apply(caplog):
    environ = {"CHAMBER_PHONE_HOURS": "mon-fri 09:00-11:00", "CHAMBER_CLOSED_DAYS": "13/04/2020"}

    with caplog.at_level(logging.ERROR, logger="actions.contact_chamber"):
        returned, messages = run_contact_chamber(datetime(2020, 4, 13, 10, 0, tzinfo=PARIS), environ)

    assert returned == []
    assert messages == [
        contact_details("L'accueil téléphonique est ouvert en ce moment, jusqu'à 11h00.")
    ]
    [record] = caplog.records
    assert record.getMessage() == (
        "CHAMBER_CLOSED_DAYS='13/04/2020' is invalid: '13/04/2020' is not a date: write dates as YYYY-MM-DD. "
        "Expected ISO dates separated by commas, e.g. '2020-05-01,2020-05-08'. Using no closed days."
    )


def test_hours_are_read_from_the_process_environment_by_default(monkeypatch):
    # rasa_sdk builds the action without arguments: it must find the variables by itself.
    monkeypatch.setenv("CHAMBER_PHONE_HOURS", "mon-fri 09:00-12:00 13:30-16:00")
    monkeypatch.setenv("CHAMBER_CLOSED_DAYS", "")
    action = ActionContactChamber(now=lambda: datetime(2020, 4, 6, 12, 30, tzinfo=PARIS))
    dispatcher = CollectingDispatcher()

    returned = asyncio.run(action.run(dispatcher, tracker(), DOMAIN))

    assert returned == []
    assert dispatcher.messages == [
        contact_details("L'accueil téléphonique est fermé en ce moment ; il rouvre cet après-midi à 13h30.")
    ]


def test_built_without_arguments_it_answers_for_the_current_paris_time(monkeypatch):
    # rasa_sdk builds the action this way: the default clock must give a moment the hours can judge.
    monkeypatch.delenv("CHAMBER_PHONE_HOURS", raising=False)
    monkeypatch.delenv("CHAMBER_CLOSED_DAYS", raising=False)
    dispatcher = CollectingDispatcher()

    before = datetime.now(PARIS)
    returned = asyncio.run(ActionContactChamber().run(dispatcher, tracker(), DOMAIN))
    after = datetime.now(PARIS)

    assert returned == []
    # The two moments differ only if an opening or closing time fell between them.
    assert dispatcher.messages in (run_contact_chamber(before)[1], run_contact_chamber(after)[1])
