"""This module contains the handoff to a human adviser: the gateway call, what the artisan is told, the actions.

How to use ``hand_off``: any action that decides a person should take over awaits
``hand_off(services, dispatcher, tracker, reason)`` and returns its events. It asks the gateway to queue the
conversation and tells the artisan the outcome:

    queued       "Je vous mets en relation avec un conseiller…" with the expected wait; ConversationPaused
    already      an adviser already has it, or it already waits; ConversationPaused
    closed       when advisers answer, and a callback offered (Être rappelé / Non merci); the bot carries on
    unavailable  the gateway failed or refused: an apology and the chamber's contact; the bot carries on

A paused Rasa conversation stays silent; the gateway resumes it when the adviser gives the conversation back.
An action that words the "closed" and "unavailable" outcomes its own way (the fallback) calls
``request_handoff`` and ``announce`` separately.
"""

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contact_chamber import ActionContactChamber
from actions.form_support import FORM_FAILED_SLOT, Services
from actions.gateway_api import GatewayError

__all__ = [
    "ActionHandoff",
    "ActionHandoffDistress",
    "ActionHandoffFormFailed",
    "HandoffOutcome",
    "announce",
    "describe_wait",
    "hand_off",
    "request_handoff",
]

logger = logging.getLogger(__name__)

QUEUED, ALREADY, CLOSED, UNAVAILABLE = "queued", "already", "closed", "unavailable"
# The outcomes after which an adviser will answer: Rasa stays silent until the gateway resumes it.
PAUSING_OUTCOMES = frozenset({QUEUED, ALREADY})


@dataclass(frozen=True)
class HandoffOutcome:
    """What the gateway answered: ``kind`` is queued, already, closed or unavailable, with its details."""

    kind: str
    expected_minutes: Optional[int] = None
    hours_text: str = ""
    next_opening_text: str = ""

    @property
    def pauses(self) -> bool:
        return self.kind in PAUSING_OUTCOMES


async def request_handoff(services: Services, conversation_id: str, reason: str) -> HandoffOutcome:
    """Ask the gateway to queue the conversation; any failure or unexpected answer is "unavailable"."""
    try:
        answer = await services.gateway.request_handoff(conversation_id, reason)
    except GatewayError as exc:
        logger.warning("Handoff of conversation %s (%s) not requested: %s", conversation_id, reason, exc)
        return HandoffOutcome(UNAVAILABLE)
    kind = answer.get("outcome")
    logger.info("Handoff of conversation %s (%s): %s", conversation_id, reason, kind)
    if kind == QUEUED:
        minutes = answer.get("expected_minutes")
        return HandoffOutcome(QUEUED, expected_minutes=int(minutes) if isinstance(minutes, (int, float)) else None)
    if kind == ALREADY:
        return HandoffOutcome(ALREADY)
    if kind == CLOSED:
        return HandoffOutcome(
            CLOSED,
            hours_text=str(answer.get("hours_text") or ""),
            next_opening_text=str(answer.get("next_opening_text") or ""),
        )
    logger.warning("Handoff of conversation %s: unexpected answer %r", conversation_id, kind)
    return HandoffOutcome(UNAVAILABLE)


def describe_wait(expected_minutes: Optional[int]) -> str:
    """The expected wait, in French: "Il vous répondra dans 10 minutes environ." or "… dès que possible."."""
    if expected_minutes is None:
        return "Il vous répondra dès que possible."
    if expected_minutes <= 1:
        return "Il vous répondra dans une minute environ."
    return f"Il vous répondra dans {expected_minutes} minutes environ."


async def announce(
    outcome: HandoffOutcome,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    contact: ActionContactChamber,
) -> List[Dict[Text, Any]]:
    """Tell the artisan the outcome; ConversationPaused when an adviser will answer."""
    if outcome.kind == QUEUED:
        dispatcher.utter_message(response="utter_handoff_queued", wait_text=describe_wait(outcome.expected_minutes))
    elif outcome.kind == ALREADY:
        dispatcher.utter_message(response="utter_handoff_already")
    elif outcome.kind == CLOSED:
        dispatcher.utter_message(
            response="utter_handoff_closed",
            hours_text=outcome.hours_text or "aux heures d'ouverture de la Chambre",
            next_opening_text=outcome.next_opening_text or "dès que possible",
        )
    else:
        dispatcher.utter_message(response="utter_handoff_unavailable")
        await contact.run(dispatcher, tracker, domain)
    return [ConversationPaused()] if outcome.pauses else []


async def hand_off(
    services: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    reason: str,
    contact: Optional[ActionContactChamber] = None,
) -> List[Dict[Text, Any]]:
    """Ask for an adviser for ``reason`` (asked, misunderstood, form_failed, distress) and say what happens."""
    outcome = await request_handoff(services, tracker.sender_id, reason)
    return await announce(outcome, dispatcher, tracker, domain, contact or ActionContactChamber())


class _HandoffAction(Action, ABC):
    """Hand the conversation to an adviser for ``reason``: subclasses set ``reason`` and ``name``."""

    reason: Text = ""

    @abstractmethod
    def name(self) -> Text:
        """``action_handoff…``."""

    def __init__(self, services: Optional[Services] = None, contact: Optional[ActionContactChamber] = None) -> None:
        self.services = services or Services()
        self.contact = contact or ActionContactChamber()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        return await hand_off(self.services, dispatcher, tracker, domain, self.reason, self.contact)


class ActionHandoff(_HandoffAction):
    """The artisan asked for a person ("je veux parler à un conseiller")."""

    reason = "asked"

    def name(self) -> Text:
        return "action_handoff"


class ActionHandoffDistress(_HandoffAction):
    """After the listening line's number (utter_distress): a person, first in the advisers' queue."""

    reason = "distress"

    def name(self) -> Text:
        return "action_handoff_distress"


class ActionHandoffFormFailed(_HandoffAction):
    """After three invalid answers to one form question (the form has stopped): a person takes over."""

    reason = "form_failed"

    def name(self) -> Text:
        return "action_handoff_form_failed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        # The flag that chose this action is spent; the answers already given are kept for a later request.
        return [SlotSet(FORM_FAILED_SLOT, None), *events]
