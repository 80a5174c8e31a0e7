"""This module contains the mask pledge: its form's validation, its summary, and its submission."""

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.barometer import offer_barometer
from actions.form_support import (
    FIELD_SLOTS,
    ArtisanFormValidation,
    ServiceAction,
    first_match,
    reset_events,
    submit_confirmed,
)
from actions.validation import format_french, parse_mask_quantity

__all__ = [
    "ActionSubmitPledge",
    "ActionSummarizePledge",
    "DELIVERIES",
    "MASK_TYPES",
    "ValidatePledgeForm",
    "mask_type_from_text",
]

logger = logging.getLogger(__name__)

PLEDGE_SLOTS = FIELD_SLOTS["pledge_form"] + ("commune_name",)

MASK_TYPES = {"surgical": "chirurgicaux", "ffp2": "FFP2", "fabric": "tissu (grand public)", "other": "autre"}
_MASK_TYPE_WORDS = [
    ("ffp2", r"ffp ?[23]|kn ?95|n ?95"),
    ("surgical", r"chirurgica\w*|chirurgie|jetables?|medica\w*|bleus?"),
    ("fabric", r"tissus?|tissu\w*|grand public|lavables?|cousus?|coton|artisana\w*|faits? maison"),
    ("other", r"autres?|je ne sais pas|je sais pas|sais pas|aucune idee"),
]
_MASK_TYPE_PATTERNS = [(kind, re.compile(rf"\b(?:{words})\b")) for kind, words in _MASK_TYPE_WORDS]

DELIVERIES = {"drop_off": "je les dépose à la Chambre", "collection": "la Chambre vient les chercher"}
_DELIVERY_WORDS = [
    ("collection", r"venez|venir|chercher|recuperer|recuperez|collecte|enlevement|passer les prendre|passez"),
    ("drop_off", r"depose\w*|deposer|apporte\w*|amene\w*|ramene\w*|je passe|moi meme|depot"),
]
_DELIVERY_PATTERNS = [(kind, re.compile(rf"\b(?:{words})\b")) for kind, words in _DELIVERY_WORDS]


def mask_type_from_text(text: str) -> Optional[str]:
    """The type of masks a message names ("des FFP2", "en tissu"), or None."""
    return first_match(text, _MASK_TYPE_PATTERNS)


def delivery_from_text(text: str) -> Optional[str]:
    """How the masks reach the chamber, as a message says it ("je les dépose"), or None."""
    return first_match(text, _DELIVERY_PATTERNS)


def format_count(number: int) -> str:
    """A count the French way: 2 000."""
    return f"{number:,}".replace(",", " ")


class ValidatePledgeForm(ArtisanFormValidation):
    """Check each answer of the pledge form; reuse the quantity and type the first message gave."""

    trigger_intent = "pledge_masks"

    def name(self) -> Text:
        return "validate_pledge_form"

    async def extract_mask_quantity(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A number of masks in the first message ("j'ai 300 masques à donner")."""
        if tracker.get_slot("mask_quantity") is None and self.is_trigger_message(tracker):
            result = parse_mask_quantity(self.latest_text(tracker))
            if result.ok:
                return {"mask_quantity": result.value}
        return {}

    async def extract_mask_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A type of masks named in the first message ("500 masques FFP2")."""
        if tracker.get_slot("mask_type") is None and self.is_trigger_message(tracker):
            kind = mask_type_from_text(self.latest_text(tracker))
            if kind not in (None, "other"):
                return {"mask_type": kind}
        return {}

    def validate_mask_quantity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep a whole number of masks within the bounds; a vague amount asks for a number."""
        result = parse_mask_quantity(str(value if value is not None else ""))
        if result.ok:
            return self.accept("mask_quantity", result.value)
        return self.reject("mask_quantity", dispatcher, tracker, text=result.message)

    def validate_mask_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep surgical, ffp2, fabric or other."""
        for entity in tracker.get_latest_entity_values("mask_type"):
            if entity in MASK_TYPES:
                return self.accept("mask_type", entity)
        if value in MASK_TYPES:
            return self.accept("mask_type", value)
        kind = mask_type_from_text(str(value or ""))
        if kind is not None:
            return self.accept("mask_type", kind)
        return self.reject("mask_type", dispatcher, tracker, response="utter_invalid_mask_type")

    def validate_delivery(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep drop_off (and say where) or collection."""
        delivery = None
        for entity in tracker.get_latest_entity_values("delivery"):
            if entity in DELIVERIES:
                delivery = entity
        if delivery is None:
            delivery = value if value in DELIVERIES else delivery_from_text(str(value or ""))
        if delivery is None:
            return self.reject("delivery", dispatcher, tracker, response="utter_invalid_delivery")
        if delivery == "drop_off" and tracker.get_slot("requested_slot") == "delivery":
            dispatcher.utter_message(response="utter_pledge_drop_off_site")  # only when just answered
        return self.accept("delivery", delivery)


class ActionSummarizePledge(Action):
    """Read the pledge back, with Confirmer / Modifier / Annuler."""

    def name(self) -> Text:
        return "action_summarize_pledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        phone = tracker.get_slot("phone")
        quantity = tracker.get_slot("mask_quantity")
        dispatcher.utter_message(
            response="utter_pledge_summary",
            quantity_display=format_count(int(quantity)) if quantity is not None else "",
            mask_type_label=MASK_TYPES.get(tracker.get_slot("mask_type"), MASK_TYPES["other"]),
            commune_name=tracker.get_slot("commune_name"),
            delivery_label=DELIVERIES.get(tracker.get_slot("delivery"), ""),
            phone_display=format_french(phone) if phone else "",
        )
        return []


class ActionSubmitPledge(ServiceAction):
    """Send the confirmed pledge to the gateway; thank the artisan with the running totals; then offer the
    barometer."""

    def name(self) -> Text:
        return "action_submit_pledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        quantity = tracker.get_slot("mask_quantity")
        values = {
            "quantity": int(quantity) if quantity is not None else None,
            "mask_type": tracker.get_slot("mask_type"),
            "commune_code": tracker.get_slot("commune_code"),
            "commune_name": tracker.get_slot("commune_name"),
            "delivery": tracker.get_slot("delivery"),
            "phone": tracker.get_slot("phone"),
        }
        created, events = await submit_confirmed(
            dispatcher, tracker, "pledge", values, self.services.gateway.create_pledge, "action_summarize_pledge"
        )
        if created is None:
            return events
        logger.info("Pledge %s stored", created.reference)
        dispatcher.utter_message(
            response="utter_pledge_submitted",
            reference=created.reference,
            total_pledged=format_count(created.total_pledged),
            total_handed_over=format_count(created.total_handed_over),
        )
        return reset_events(PLEDGE_SLOTS) + await offer_barometer(dispatcher, tracker, self.services.gateway)
