"""This module contains ActionFallback, the answer to a message the bot did not understand."""

import logging
from typing import Any, Dict, Iterable, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

# Intents that mean "not understood": the FallbackClassifier's, and the one for questions off our topics.
NOT_UNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Events after which earlier messages belong to another conversation.
CONVERSATION_STARTS = frozenset({"session_started", "restart"})


class ActionFallback(Action):
    """Say the message was not understood; from the second miss in a row, say it differently.

    Returns no event: the misunderstood message stays in the tracker, where the admins' inbox finds it.
    """

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        misses = count_misunderstood_in_a_row(tracker.events, self.name())
        logger.debug("Conversation %s: %d messages in a row not understood", tracker.sender_id, misses)
        if misses >= 2:
            dispatcher.utter_message(response="utter_fallback_repeated")
        else:
            dispatcher.utter_message(response="utter_fallback")
        return []


def count_misunderstood_in_a_row(events: Iterable[Dict[Text, Any]], fallback_action: Text) -> int:
    """Count the artisan's latest messages, in a row, that were not understood.

    A message was not understood when its intent says so, or when ``fallback_action`` answered it: this
    action also runs as Rasa's core fallback, for a message whose intent was clear but unexpected. The
    latest message counts in any case, since the fallback is answering it now. The walk stops at the first
    understood message or at the start of the conversation.
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
