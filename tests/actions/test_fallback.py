"""Tests of ActionFallback: one miss, a second miss handed to an adviser, and what resets the count."""

from datetime import datetime
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    FollowupAction,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa_sdk.executor import CollectingDispatcher

from actions import ActionContactChamber, ActionFallback
from actions.form_support import Services
from tests.actions.fake_gateway import (
    HANDOFF_ALREADY_AGENT,
    HANDOFF_CLOSED,
    HANDOFF_QUEUED,
    FakeGateway,
    handoff_path,
    run_with_gateway,
)

DOMAIN = {
    "intents": ["greet", "ask_fonds_solidarite", "nlu_fallback", "out_of_scope"],
    "responses": {
        "utter_fallback": [{"text": "Désolé, je n'ai pas compris. Pouvez-vous reformuler ?"}],
        "utter_fallback_repeated": [{"text": "Je ne comprends toujours pas. Voulez-vous un conseiller ?"}],
    },
    "actions": ["action_fallback"],
}
WEDNESDAY_MORNING = datetime(2020, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


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


def fallback_answers(response: str) -> List[Dict[str, Any]]:
    """Events of the fallback answering with ``response`` and ending its turn, as a tracker holds them."""
    return [*bot_answers("action_fallback", response), *END_OF_TURN]


# The fallback's turn ends here: the message is reverted, and the bot listens whatever the policies say.
END_OF_TURN = [UserUtteranceReverted(), FollowupAction("action_listen")]


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


def run_fallback(events: List[Dict[str, Any]], handoff_answer: Any = HANDOFF_CLOSED):
    """Run the fallback with a gateway answering ``handoff_answer``; its events, messages and handoff calls."""
    fake = FakeGateway({handoff_path(): handoff_answer})

    async def scenario(client):
        dispatcher = CollectingDispatcher()
        contact = ActionContactChamber(now=lambda: WEDNESDAY_MORNING, environ={})
        action = ActionFallback(Services(environ={}, gateway=client), contact)
        returned = await action.run(dispatcher, tracker_with(events), DOMAIN)
        return returned, dispatcher.messages

    returned, messages = run_with_gateway(fake, scenario)
    return returned, messages, [r.body for r in fake.requests]


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

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback")]
    assert calls == []


def test_second_miss_in_a_row_when_advisers_are_closed_gets_the_repeated_fallback():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *fallback_answers("utter_fallback"),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback_repeated")]
    assert calls == [{"reason": "misunderstood"}]


def test_third_miss_when_advisers_are_still_closed_gets_the_repeated_fallback():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *fallback_answers("utter_fallback"),
        *user_says("le truc pr les artisans", "nlu_fallback"),
        *fallback_answers("utter_fallback_repeated"),
        *user_says("???", "nlu_fallback"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback_repeated")]
    assert calls == [{"reason": "misunderstood"}]


def test_an_understood_message_in_between_resets_the_count():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *fallback_answers("utter_fallback"),
        *user_says("le fonds de solidarite", "ask_fonds_solidarite"),
        *bot_answers("utter_fonds_solidarite", "utter_fonds_solidarite"),
        *user_says("et pour le loyer du local de mon salon", "nlu_fallback"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback")]
    assert calls == []


def test_misses_before_a_new_session_do_not_count():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *fallback_answers("utter_fallback"),
        *START,
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback")]
    assert calls == []


def test_misses_before_a_restart_do_not_count():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *fallback_answers("utter_fallback"),
        *user_says("/restart", "restart"),
        Restarted(),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback")]
    assert calls == []


def test_a_message_answered_by_the_core_fallback_counts_as_not_understood():
    # Rasa runs action_fallback as its core fallback too: the intent was read, but nothing fits it here.
    events = [
        *START,
        *user_says("bonjour", "greet"),
        *fallback_answers("utter_fallback"),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback_repeated")]
    assert calls == [{"reason": "misunderstood"}]


def test_as_core_fallback_on_a_first_message_it_gets_the_plain_fallback():
    events = [
        *START,
        *user_says("le fonds de solidarite", "ask_fonds_solidarite"),
        *bot_answers("utter_fonds_solidarite", "utter_fonds_solidarite"),
        *user_says("bonjour", "greet"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback")]
    assert calls == []


def test_as_core_fallback_after_a_miss_it_asks_for_an_adviser():
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *fallback_answers("utter_fallback"),
        *user_says("bonjour", "greet"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback_repeated")]
    assert calls == [{"reason": "misunderstood"}]


TWO_MISSES = [
    *START,
    *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
    *fallback_answers("utter_fallback"),
    *user_says("la meteo demain ?", "out_of_scope"),
]


def test_second_miss_in_a_row_hands_off_to_an_adviser_and_pauses():
    returned, messages, calls = run_fallback(TWO_MISSES, HANDOFF_QUEUED)

    assert returned == [ConversationPaused()]
    assert messages == [
        utterance("utter_fallback_handoff"),
        utterance("utter_handoff_queued", wait_text="Il vous répondra dans 10 minutes environ."),
    ]
    assert calls == [{"reason": "misunderstood"}]


def test_second_miss_when_an_adviser_already_has_it_says_so():
    returned, messages, calls = run_fallback(TWO_MISSES, HANDOFF_ALREADY_AGENT)

    assert returned == [ConversationPaused()]
    assert messages == [utterance("utter_fallback_handoff"), utterance("utter_handoff_already")]


def test_second_miss_with_the_gateway_down_gets_the_repeated_fallback():
    returned, messages, calls = run_fallback(TWO_MISSES, (503, {}))

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback_repeated")]
    assert calls == [{"reason": "misunderstood"}]


def test_misses_before_an_adviser_gave_the_conversation_back_do_not_count():
    events = [
        *TWO_MISSES,
        *bot_answers("action_fallback", "utter_handoff_queued"),
        ConversationPaused(),
        ConversationResumed(),
        *user_says("euh", "nlu_fallback"),
    ]

    returned, messages, calls = run_fallback(events, HANDOFF_QUEUED)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback")]
    assert calls == []


def test_misses_in_a_tracker_from_before_the_fallback_reverted_still_count():
    # Trackers written before the fallback ended its turn hold its misses unreverted.
    events = [
        *START,
        *user_says("bjr g 1 qestion sur le truc", "nlu_fallback"),
        *bot_answers("action_fallback", "utter_fallback"),
        *user_says("la meteo demain ?", "out_of_scope"),
    ]

    returned, messages, calls = run_fallback(events)

    assert returned == END_OF_TURN
    assert messages == [utterance("utter_fallback_repeated")]
    assert calls == [{"reason": "misunderstood"}]
