"""This module contains the commune asked once, optional, by commune_form: after subscribing to the news (for the
local news) and after a barometer answer (for the figures of the artisan's territory), when no request of theirs
gave it. The slot ``commune_asked_for`` says which: it picks the question's wording (a conditional response) and
what the answer is for. A skip ("Passer", "non") or a third unknown commune ends the question, never with an
adviser; any other request ends it too and is answered (nlu/train/rules_commune.yml).
"""

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.form_support import REQUESTED_SLOT, ArtisanFormValidation, ServiceAction, normalize_text
from actions.gateway_api import GatewayError

__all__ = ["ActionCommuneGiven", "ActionCommuneSkipped", "ValidateCommuneForm", "ask_commune"]

logger = logging.getLogger(__name__)

# True when commune_form is to follow (a rule runs it); what for: NEWS or BAROMETER.
COMMUNE_WANTED_SLOT = "commune_wanted"
ASKED_FOR_SLOT = "commune_asked_for"
NEWS, BAROMETER = "news", "barometer"
# What skips the optional commune question, typed ("Passer" is a button sending /deny).
SKIP_WORDS = frozenset({"passer", "passe", "non", "non merci", "aucune", "pas maintenant", "plus tard", "rien"})


def ask_commune(purpose: str) -> List[Dict[Text, Any]]:
    """The events that make commune_form ask the artisan's commune, for ``purpose``."""
    return [SlotSet(ASKED_FOR_SLOT, purpose), SlotSet(COMMUNE_WANTED_SLOT, True)]


def _done() -> List[Dict[Text, Any]]:
    return [SlotSet(COMMUNE_WANTED_SLOT, None), SlotSet(ASKED_FOR_SLOT, None)]


class ValidateCommuneForm(ArtisanFormValidation):
    """The commune: checked like the forms' (name, postcode or INSEE code); optional, so a skip or a third unknown
    commune ends the question."""

    def name(self) -> Text:
        return "validate_commune_form"

    def validate_commune_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if normalize_text(str(value or "")) in SKIP_WORDS:
            return {"commune_code": None, REQUESTED_SLOT: None}
        return super().validate_commune_code(value, dispatcher, tracker, domain)

    def give_up(self, slot: str, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        """Not a question worth an adviser: the news of the whole department, a barometer answer without it."""
        return self.accept(slot, None, **{REQUESTED_SLOT: None})


class ActionCommuneGiven(ServiceAction):
    """commune_form is done: keep the commune for what it was asked for (None: not given)."""

    def name(self) -> Text:
        return "action_commune_given"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        code = tracker.get_slot("commune_code") or None
        if tracker.get_slot(ASKED_FOR_SLOT) == BAROMETER:
            await barometer_commune(dispatcher, tracker, self.services.gateway, code)
        elif not code:
            dispatcher.utter_message(response="utter_news_commune_skipped")
        else:
            await news_commune(dispatcher, tracker, self.services.gateway, code)
        return _done()


class ActionCommuneSkipped(ServiceAction):
    """The artisan skipped the commune question ("Passer", "stop")."""

    def name(self) -> Text:
        return "action_commune_skipped"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot(ASKED_FOR_SLOT) == BAROMETER:
            await barometer_commune(dispatcher, tracker, self.services.gateway, None)
        else:
            dispatcher.utter_message(response="utter_news_commune_skipped")
        return [SlotSet(REQUESTED_SLOT, None), *_done()]


async def news_commune(dispatcher: CollectingDispatcher, tracker: Tracker, gateway: Any, code: str) -> None:
    """Keep the commune the artisan gave with their subscription (local news)."""
    try:
        subscription = await gateway.set_subscription_commune(tracker.sender_id, code)
    except GatewayError as exc:
        logger.warning("Commune of conversation %s's subscription not kept: %s", tracker.sender_id, exc)
        dispatcher.utter_message(response="utter_service_unavailable_news")
        return
    dispatcher.utter_message(response="utter_news_commune_set", commune_name=subscription.get("commune_name"))


async def barometer_commune(
    dispatcher: CollectingDispatcher, tracker: Tracker, gateway: Any, code: Any
) -> None:
    """The commune asked after a barometer answer (None: skipped); the answer is already recorded, so a gateway
    that cannot be reached loses only the commune."""
    try:
        await gateway.barometer_commune(tracker.sender_id, code)
    except GatewayError as exc:
        logger.warning("Barometer commune of conversation %s not kept: %s", tracker.sender_id, exc)
    dispatcher.utter_message(response="utter_barometer_thanks")
