"""This module contains ActionFallback, the answer to a message the bot did not understand."""

import logging
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contact_chamber import ActionContactChamber
from actions.form_support import Services
from actions.handoff import announce, request_handoff

logger = logging.getLogger(__name__)

# Intents that mean "not understood": the FallbackClassifier's, and the one for questions off our topics.
NOT_UNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Events after which earlier messages belong to another conversation, or were already handed to an adviser.
CONVERSATION_STARTS = frozenset({"session_started", "restart", "pause", "resume"})
MISSES_BEFORE_HANDOFF = 2
# What ends the fallback's turn (see ActionFallback).
END_OF_TURN = [UserUtteranceReverted(), FollowupAction("action_listen")]


class ActionFallback(Action):
    """Say the message was not understood; at the second miss in a row, hand off to an adviser.

    When no adviser can take it (closed, or the gateway unavailable), the second miss points to the chamber
    and the menu instead (utter_fallback_repeated).

    The fallback always ends the turn, so it can never be predicted again for the same message. It runs as
    Rasa's core fallback too, when no rule fits the conversation's state; that state would still fit no rule
    after it, and Rasa would predict the fallback again and again until its circuit breaker stops it (nine
    identical bubbles, issue 19). So, like Rasa's own action_default_fallback, it reverts the artisan's
    message (the dialogue goes back to where it stood before it, which is where the bot listened), then
    follows up with action_listen, whatever the policies would predict. The reverted message stays in the
    tracker's events, where ``count_misunderstood_in_a_row`` still counts it; the gateway keeps its own copy
    for the admins' inbox. When it hands off, the handoff's pause ends the turn instead.
    """

    def __init__(self, services: Optional[Services] = None, contact: Optional[ActionContactChamber] = None) -> None:
        self.services = services or Services()
        self.contact = contact or ActionContactChamber()

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        misses = count_misunderstood_in_a_row(tracker.events, self.name())
        logger.debug("Conversation %s: %d messages in a row not understood", tracker.sender_id, misses)
        if misses < MISSES_BEFORE_HANDOFF:
            dispatcher.utter_message(response="utter_fallback")
            return list(END_OF_TURN)
        outcome = await request_handoff(self.services, tracker.sender_id, "misunderstood")
        if not outcome.pauses:
            dispatcher.utter_message(response="utter_fallback_repeated")
            return list(END_OF_TURN)
        dispatcher.utter_message(response="utter_fallback_handoff")
        return await announce(outcome, dispatcher, tracker, domain, self.contact)


def count_misunderstood_in_a_row(events: Iterable[Dict[Text, Any]], fallback_action: Text) -> int:
    """Count the artisan's latest messages, in a row, that were not understood.

    A message was not understood when its intent says so, or when ``fallback_action`` answered it: this
    action also runs as Rasa's core fallback, for a message whose intent was clear but unexpected. The
    latest message counts in any case, since the fallback is answering it now. The walk stops at the first
    understood message, at the start of the conversation, or at a handoff (paused, then resumed by the gateway).
    """
    count = 0
    answered_by_fallback = True
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind in CONVERSATION_STARTS:
            break
        if kind == "action" and event.get("name") == fallback_action:
            answered_by_fallback = True
        elif kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if not (answered_by_fallback or intent in NOT_UNDERSTOOD_INTENTS):
                break
            count += 1
            answered_by_fallback = False
    return count
