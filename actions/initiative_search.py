"""This module contains finding solidarity initiatives in conversation (the commune asked when the message does
not give it, the category read from its words, three at a time, "Plus d’initiatives" for the next ones), and the
proposer's answer to the gateway's reminder "Votre initiative est-elle toujours d’actualité ?".
"""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.form_support import ArtisanFormValidation, ServiceAction, normalize_text
from actions.gateway_api import GatewayError, GatewayRejected
from actions.initiative_words import category_from_text, communes_in_message

__all__ = ["ActionFindInitiatives", "ActionInitiativeStillCurrent", "ValidateInitiativeSearchForm", "found_text"]

logger = logging.getLogger(__name__)

COMMUNE_SLOT = "search_commune_code"
COMMUNE_NAME_SLOT = "search_commune_name"
CATEGORY_SLOT = "search_category"
OFFSET_SLOT = "initiatives_offset"
PAGE = 3
MORE_BUTTON = {"title": "Plus d’initiatives", "payload": "/more_initiatives"}
NONE_BUTTONS = [
    {"title": "Recevoir les annonces", "payload": "/subscribe_news"},
    {"title": "Proposer une initiative", "payload": "/propose_initiative"},
]
YES_WORDS = frozenset({"oui", "yes", "true", "1", "toujours", "o"})
NO_WORDS = frozenset({"non", "no", "false", "0", "n"})


def found_text(items: List[Dict[str, Any]], commune_name: str) -> str:
    """The entries serving the commune, then "Près de <commune> :" and the others."""
    here = [str(item.get("entry") or "") for item in items if item.get("here")]
    near = [str(item.get("entry") or "") for item in items if not item.get("here")]
    parts = ["\n".join(here)] if here else []
    if near:
        parts.append(f"Près de {commune_name} :\n" + "\n".join(near))
    return "\n\n".join(parts)


class ValidateInitiativeSearchForm(ArtisanFormValidation):
    """The commune to search around: from the request ("à Givry") or asked; the category from its words."""

    trigger_intent = "find_initiative"

    def name(self) -> Text:
        return "validate_initiative_search_form"

    async def extract_search_commune_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """At the request: its commune ("à Givry"), or none so that it is asked."""
        if not self.is_trigger_message(tracker):
            return {}
        text = self.latest_text(tracker)
        communes = [] if text.startswith("/") else communes_in_message(self.services.communes, text)
        return {COMMUNE_SLOT: communes[0].insee_code if communes else None}

    def validate_search_commune_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep the commune; at the request, also the category its words name (or none: every category).

        Only what a validate_ method returns is kept: the request's commune and category are set here."""
        if not self.is_trigger_message(tracker):
            return self.commune_answer(COMMUNE_SLOT, COMMUNE_NAME_SLOT, value, dispatcher, tracker)
        text = self.latest_text(tracker)
        category = None if text.startswith("/") else category_from_text(text)
        commune = self.services.communes.by_code(str(value or ""))
        return self.accept(
            COMMUNE_SLOT, commune.insee_code if commune else None,
            **{COMMUNE_NAME_SLOT: commune.name if commune else None, CATEGORY_SLOT: category},
        )


class ActionFindInitiatives(ServiceAction):
    """Three initiatives for the commune, those serving it first; "Plus d’initiatives" gives the next ones."""

    def name(self) -> Text:
        return "action_find_initiatives"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        code = tracker.get_slot(COMMUNE_SLOT)
        if not code:
            dispatcher.utter_message(response="utter_no_initiative_search")
            return []
        # "Plus d’initiatives", or a bare "plus" (more_news) just after a list of initiatives (a rule says when).
        more = (tracker.latest_message.get("intent") or {}).get("name") in ("more_initiatives", "more_news")
        offset = int(tracker.get_slot(OFFSET_SLOT) or 0) if more else 0
        try:
            page = await self.services.gateway.find_initiatives(code, tracker.get_slot(CATEGORY_SLOT), offset, PAGE)
        except GatewayError as exc:
            logger.warning("Initiatives not read for conversation %s: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_service_unavailable_initiatives")
            return []
        commune_name = page.get("commune_name") or tracker.get_slot(COMMUNE_NAME_SLOT) or ""
        items = list(page.get("items") or [])
        if not items:
            dispatcher.utter_message(
                response="utter_no_more_initiatives" if offset else "utter_no_initiatives",
                commune_name=commune_name, buttons=NONE_BUTTONS,
            )
            return [SlotSet(OFFSET_SLOT, None)]
        shown = offset + len(items)
        dispatcher.utter_message(
            response="utter_initiatives_more" if offset else "utter_initiatives_found",
            commune_name=commune_name,
            initiatives_list=found_text(items, commune_name),
            buttons=[MORE_BUTTON] if int(page.get("total") or 0) > shown else [],
        )
        return [SlotSet(OFFSET_SLOT, shown)]


def still_current_answer(tracker: Tracker) -> Optional[bool]:
    """The reminder's button answer (entity still_current "oui" or "non"), or None."""
    for value in tracker.get_latest_entity_values("still_current"):
        word = normalize_text(str(value))
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
    return None


class ActionInitiativeStillCurrent(ServiceAction):
    """The proposer's answer to the reminder: the initiative stays published, or is retired."""

    def name(self) -> Text:
        return "action_initiative_still_current"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        reference = next(tracker.get_latest_entity_values("initiative_ref"), None)
        yes = still_current_answer(tracker)
        if not reference or yes is None:
            dispatcher.utter_message(response="utter_initiative_answer_unclear")
            return []
        try:
            await self.services.gateway.initiative_still_current(str(reference), tracker.sender_id, yes)
        except GatewayRejected as exc:
            logger.info("Answer about %s refused: %s", reference, exc)
            dispatcher.utter_message(text=exc.message)
            return []
        except GatewayError as exc:
            logger.warning("Answer about %s not recorded: %s", reference, exc)
            dispatcher.utter_message(response="utter_service_unavailable_initiatives")
            return []
        dispatcher.utter_message(response="utter_initiative_kept" if yes else "utter_initiative_retired")
        return []
