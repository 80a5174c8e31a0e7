"""Tests of ActionFallback: one miss, repeated misses, and what resets the count."""

import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, BotUttered, Restarted, SessionStarted, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from actions import ActionFallback

DOMAIN = {
    "intents": ["greet", "ask_fonds_solidarite", "nlu_fallback", "out_of_scope"],
    "responses": {
        "utter_fallback": [{"text": "Désolé, je n'ai pas compris. Pouvez-vous reformuler ?"}],
        "utter_fallback_repeated": [{"text": "Je ne comprends toujours pas. Voulez-vous un conseiller ?"}],
    },
    "actions": ["action_fallback"],
}


def user_says(text: str, intent: str) -> List[Dict[str, Any]]:
    """Events of the artisan writing a message that the NLU read as ``intent``."""
    return [
        ActionExecuted("action_listen"),
        UserUttered(
            text, parse_data={"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
        ),
    ]


def bot_answers(action: str, response: Optional[str] = None) -> List[Dict[str, Any]]:
    """Events of the bot running ``action``, which utters ``response``."""
    uttered = [BotUttered(metadata={"utter_action": response})] if response else []
    return [*uttered, ActionExecuted(action)]


def tracker_with(events: List[Dict[str, Any]]) -> Tracker:
    latest = next(event for event in reversed(events) if event["event"] == "user")
    return Tracker(
        "conversation-1",
        {},
        latest["parse_data"],
        events,
        False,
        None,
        {},
        "action_listen",
    )


def run_fallback(events: List[Dict[str, Any]]):
    dispatcher = CollectingDispatcher()
    returned = asyncio.run(ActionFallback().run(dispatcher, tracker_with(events), DOMAIN))
    return returned, dispatcher.messages


def utterance(response: str, **variables: Any) -> Dict[str, Any]:
    """The message CollectingDispatcher holds for ``utter_message(response=response, **variables)``."""
    return {
        "text": None,
        "buttons": [],
        "elements": [],
        "custom": {},
        "template": response,
        "response": response,
        "image": None,
        "attachment": None,
        **variables,
    }


START = [ActionExecuted("action_session_start"), SessionStarted()]


def test_first_misunderstood_message_gets_the_plain_fallback():
    events = [*START, *user_says("bjr g 1 qestion sur le truc", "nlu_fallback")]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback")]


def test_second_misunderstood_message_in_a_row_gets_the_repeated_fallback():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback_repeated")]


def test_third_misunderstood_message_still_gets_the_repeated_fallback():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("le truc pr les artisans", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback_repeated"),
        *user_says("???", "nlu_fallback"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback_repeated")]


def test_an_understood_message_in_between_resets_the_count():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("le fonds de solidarite", "ask_fonds_solidarite"),
        *bot_answers("utter_fonds_solidarite", "utter_fonds_solidarite"),
        *user_says("et pour le loyer du local de mon salon", "nlu_fallback"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback")]


def test_misses_before_a_new_session_do_not_count():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *START,
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback")]


def test_misses_before_a_restart_do_not_count():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("/restart", "restart"),
        Restarted(),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback")]


def test_a_message_answered_by_the_core_fallback_counts_as_not_understood():
    # Rasa runs action_fallback as its core fallback too: the intent was read, but nothing fits it here.
    events = [
        *START,
        *user_says("bonjour", "greet"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback_repeated")]


def test_as_core_fallback_on_a_first_message_it_gets_the_plain_fallback():
    events = [
        *START,
        *user_says("le fonds de solidarite", "ask_fonds_solidarite"),
        *bot_answers("utter_fonds_solidarite", "utter_fonds_solidarite"),
        *user_says("bonjour", "greet"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback")]


def test_as_core_fallback_after_a_miss_it_gets_the_repeated_fallback():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("bonjour", "greet"),
    ]

    returned, messages = run_fallback(events)

    assert returned == []
    assert messages == [utterance("utter_fallback_repeated")]
