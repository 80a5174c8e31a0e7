"""Rasa's gateway channel (engine/gateway_channel.py): each bot message names the response that produced it.

It runs in the engine environment, like the action server's tests; the whole channel against the running Rasa
is tested from the gateway's side (tests/bot/messaging/test_rasa_client.py).
"""

import asyncio
from pathlib import Path
from types import SimpleNamespace

from rasa.core.actions.action import ActionBotResponse
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from engine.gateway_channel import ResponseCollector, _answer_already_given, _merge_custom

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
responses:
  utter_two_paragraphs:
    - text: "Premier paragraphe.\\n\\nSecond paragraphe."
  utter_ask_phone:
    - text: Votre numéro ?
      custom:
        awaiting: phone
  utter_with_buttons:
    - text: Que voulez-vous ?
      buttons:
        - title: Être rappelé
          payload: /request_callback
"""
)


def uttered(*responses: str, domain: Domain = DOMAIN) -> list:
    """The messages the collector holds after Rasa uttered these responses, as its processor sends them."""
    collector = ResponseCollector()
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker("artisan", domain.slots)

    async def run() -> None:
        for name in responses:
            for event in await ActionBotResponse(name).run(collector, nlg, tracker, domain):
                await collector.send_response(tracker.sender_id, event.message())

    asyncio.run(run())
    return collector.messages


def test_every_part_of_a_response_names_it():
    assert uttered("utter_two_paragraphs", "utter_with_buttons") == [
        {"recipient_id": "artisan", "text": "Premier paragraphe.", "response": "utter_two_paragraphs"},
        {"recipient_id": "artisan", "text": "Second paragraphe.", "response": "utter_two_paragraphs"},
        {
            "recipient_id": "artisan",
            "text": "Que voulez-vous ?",
            "buttons": [{"title": "Être rappelé", "payload": "/request_callback"}],
            "response": "utter_with_buttons",
        },
    ]


def test_a_custom_part_rejoins_its_text_with_the_response_s_name():
    assert _merge_custom(uttered("utter_ask_phone")) == [
        {
            "recipient_id": "artisan",
            "text": "Votre numéro ?",
            "custom": {"awaiting": "phone"},
            "response": "utter_ask_phone",
        }
    ]


def test_the_project_s_faq_answers_are_named():
    domain = Domain.load(str(ROOT / "domain.yml"))
    messages = uttered("utter_faq_pge", domain=domain)
    assert messages and {m["response"] for m in messages} == {"utter_faq_pge"}


def test_a_message_from_no_response_names_none():
    collector = ResponseCollector()
    asyncio.run(collector.send_response("artisan", {"text": "Écrit par une action.", "utter_action": None}))
    asyncio.run(collector.send_response("artisan", {"text": "Sans nom."}))
    assert collector.messages == [
        {"recipient_id": "artisan", "text": "Écrit par une action."},
        {"recipient_id": "artisan", "text": "Sans nom."},
    ]


def test_an_answer_given_before_a_crash_names_its_responses():
    tracker = DialogueStateTracker.from_events(
        "artisan",
        [
            UserUttered("c quoi le PGE", {"name": "faq_pge", "confidence": 0.9}, message_id="m1"),
            ActionExecuted("utter_faq_pge"),
            BotUttered("Le PGE…", {"buttons": None}, {"utter_action": "utter_faq_pge"}),
            BotUttered("Votre numéro ?", {"custom": {"awaiting": "phone"}}, {"utter_action": "utter_ask_phone"}),
            BotUttered("Écrit par une action.", {}, {}),
            UserUttered("merci", {"name": "thank", "confidence": 0.9}, message_id="m2"),
            BotUttered("De rien.", {}, {"utter_action": "utter_thank"}),
        ],
    )

    async def retrieve(sender: str):
        return tracker if sender == "artisan" else None

    agent = SimpleNamespace(tracker_store=SimpleNamespace(retrieve=retrieve))
    answer = asyncio.run(_answer_already_given(agent, "artisan", "m1"))
    assert answer["messages"] == [
        {"recipient_id": "artisan", "text": "Le PGE…", "response": "utter_faq_pge"},
        {
            "recipient_id": "artisan",
            "text": "Votre numéro ?",
            "custom": {"awaiting": "phone"},
            "response": "utter_ask_phone",
        },
        {"recipient_id": "artisan", "text": "Écrit par une action."},
    ]
    assert (answer["intent"], answer["confidence"]) == ("faq_pge", 0.9)
    assert asyncio.run(_answer_already_given(agent, "someone-else", "m1")) is None


def test_a_turn_stopped_by_the_circuit_breaker_ends_listening_and_is_reported() -> None:
    from engine.gateway_channel import CIRCUIT_BREAKER, end_turn_at_circuit_break

    tracker = DialogueStateTracker.from_events(
        "c1", [UserUttered("c quoi le PGE ?"), *[ActionExecuted("action_fallback") for _ in range(10)]]
    )
    collector = ResponseCollector()
    end_turn_at_circuit_break(tracker, collector, None)
    assert tracker.latest_action_name == "action_listen", "the next message starts a new turn"
    assert collector.incident == CIRCUIT_BREAKER
    assert ResponseCollector().incident is None
