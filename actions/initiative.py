"""This module contains the proposal of a solidarity initiative: its form's validation (what it offers, its
category, its communes, who it is for, the contact to publish and the artisan's consent to publish it, its end
date), its summary, and its submission to the gateway, where a Chamber adviser checks it before publication.
"""

import logging
import re
from datetime import date
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.form_support import (
    FIELD_SLOTS,
    RELATED_SLOTS,
    ArtisanFormValidation,
    ServiceAction,
    normalize_text,
    reset_events,
)
from actions.gateway_api import GatewayRejected, GatewayUnavailable
from actions.initiative_words import (
    audience_from_text,
    category_from_text,
    communes_in_answer,
    communes_in_message,
    contact_from_text,
)
from actions.validation import format_french
from actions.validation.dates import format_date, parse_end_date
from bot.shared.initiatives import (
    AUDIENCES,
    CATEGORIES,
    MAX_COMMUNES,
    MAX_DAYS_AHEAD,
    MAX_DESCRIPTION_CHARS,
    MIN_DESCRIPTION_CHARS,
)

__all__ = [
    "ActionSubmitInitiative",
    "ActionSummarizeInitiative",
    "CONSENT_TEXT",
    "ValidateInitiativeForm",
    "contact_display",
]

logger = logging.getLogger(__name__)

INITIATIVE_SLOTS = FIELD_SLOTS["initiative_form"] + RELATED_SLOTS["initiative_communes"] + (
    "initiative_phone", "initiative_website",
)
# The words the artisan accepts (the consent button's title), kept by the gateway with the contact.
CONSENT_TEXT = "J’accepte que ce contact soit publié"
# The slot to ask again when the gateway refuses one key of the proposal.
FIELD_OF_KEY = {
    "description": "initiative_description",
    "category": "initiative_category",
    "audience": "initiative_audience",
    "commune_codes": "initiative_communes",
    "phone": "initiative_contact",
    "website": "initiative_contact",
    "contact_consent": "initiative_contact_consent",
    "consent_text": "initiative_contact_consent",
    "ends_on": "initiative_ends_on",
}
# An opening message that only asks to propose ("je veux proposer une initiative") describes nothing.
_NOT_A_DESCRIPTION = re.compile(
    r"^(?:je (?:veux|voudrais|souhaite|peux|aimerais) )?(?:proposer|lancer|declarer|signaler|ajouter|publier)"
    r" (?:une |mon |ma |un )?(?:initiative|action|aide)(?: solidaire)?s?$"
)


def contact_display(phone: Optional[str], website: Optional[str]) -> str:
    """ "06 12 34 56 78 / www.site.fr"."""
    return " / ".join(part for part in (format_french(phone) if phone else None, website) if part)


def _today() -> date:
    return date.today()


class ValidateInitiativeForm(ArtisanFormValidation):
    """Check each answer of the initiative form; reuse what the opening message said."""

    trigger_intent = "propose_initiative"
    today: Callable[[], date] = staticmethod(_today)

    def name(self) -> Text:
        return "validate_initiative_form"

    def opening_text(self, tracker: Tracker) -> Optional[str]:
        """The opening message when it describes an offer (not a button's payload, not a bare request)."""
        if not self.is_trigger_message(tracker):
            return None
        text = self.latest_text(tracker).strip()
        if text.startswith("/"):
            return None
        return text

    async def extract_initiative_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The opening message describes the offer ("je propose des trajets gratuits pour les soignants")."""
        text = self.opening_text(tracker)
        if tracker.get_slot("initiative_description") is not None or text is None:
            return {}
        words = normalize_text(text)
        if _NOT_A_DESCRIPTION.match(words) or not (category_from_text(text) or audience_from_text(text)):
            return {}
        found: Dict[Text, Any] = {"initiative_description": text}
        category, audience = category_from_text(text), audience_from_text(text)
        if category and tracker.get_slot("initiative_category") is None:
            found["initiative_category"] = category
        if audience and audience != "tous" and tracker.get_slot("initiative_audience") is None:
            found["initiative_audience"] = audience
        communes = communes_in_message(self.services.communes, text)
        if communes and tracker.get_slot("initiative_communes") is None:
            found["initiative_communes"] = [commune.insee_code for commune in communes]
        return found

    def validate_initiative_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep a description of MIN to MAX characters."""
        text = " ".join(str(value or "").split())
        if len(text) < MIN_DESCRIPTION_CHARS or not re.search(r"[^\W\d_]", text):
            return self.reject(
                "initiative_description", dispatcher, tracker,
                text="Décrivez votre initiative en une phrase, par exemple « je livre les courses des personnes âgées ».",
            )
        if len(text) > MAX_DESCRIPTION_CHARS:
            return self.reject(
                "initiative_description", dispatcher, tracker,
                text=f"C’est un peu long : décrivez votre initiative en {MAX_DESCRIPTION_CHARS} caractères au plus.",
            )
        return self.accept("initiative_description", text)

    def validate_initiative_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep one of CATEGORIES: a button's, or the words of the answer."""
        for entity in tracker.get_latest_entity_values("initiative_category"):
            if entity in CATEGORIES:
                return self.accept("initiative_category", entity)
        if value in CATEGORIES:
            return self.accept("initiative_category", value)
        category = category_from_text(str(value or ""))
        if category is not None:
            return self.accept("initiative_category", category)
        return self.reject("initiative_category", dispatcher, tracker, response="utter_invalid_initiative_category")

    def validate_initiative_audience(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep one of AUDIENCES: a button's, or the words of the answer."""
        for entity in tracker.get_latest_entity_values("initiative_audience"):
            if entity in AUDIENCES:
                return self.accept("initiative_audience", entity)
        if value in AUDIENCES:
            return self.accept("initiative_audience", value)
        audience = audience_from_text(str(value or ""))
        if audience is not None:
            return self.accept("initiative_audience", audience)
        return self.reject("initiative_audience", dispatcher, tracker, response="utter_invalid_initiative_audience")

    def validate_initiative_communes(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep the INSEE codes of one or several communes ("Givry et Buxy"); a button carries them all."""
        directory = self.services.communes
        if isinstance(value, list):
            codes = [str(code) for code in value]
        else:
            codes = [code for entity in tracker.get_latest_entity_values("commune_code") for code in str(entity).split()]
        if codes:
            communes = [directory.by_code(code) for code in codes]
            if all(communes):
                return self.keep_communes(communes)
        found, unclear, message = communes_in_answer(directory, str(value or ""))
        if not unclear and found:
            return self.keep_communes(found)
        if len(unclear) == 1:
            match = directory.match(unclear[0])
            if match.candidates:
                known = " ".join(commune.insee_code for commune in found)
                buttons = [
                    {"title": commune.label,
                     "payload": f'/inform{{"commune_code":"{(known + " " + commune.insee_code).strip()}"}}'}
                    for commune in match.candidates
                ]
                return self.reject(
                    "initiative_communes", dispatcher, tracker, text=f"« {unclear[0]} » : {match.message}",
                    buttons=buttons, count=False,
                )
        prefix = f"« {', '.join(unclear)} » : " if found else ""
        return self.reject("initiative_communes", dispatcher, tracker, text=prefix + (message or ""))

    def keep_communes(self, communes: List[Any]) -> Dict[Text, Any]:
        unique = list(dict.fromkeys(communes))[:MAX_COMMUNES]
        return self.accept(
            "initiative_communes", [commune.insee_code for commune in unique],
            initiative_commune_names=[commune.name for commune in unique],
        )

    def validate_initiative_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep a phone number (E.164) and/or a website: at least one."""
        phone, website, problem = contact_from_text(str(value or ""))
        if problem:
            return self.reject("initiative_contact", dispatcher, tracker, text=problem)
        return self.accept(
            "initiative_contact", contact_display(phone, website), initiative_phone=phone, initiative_website=website
        )

    def validate_initiative_contact_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """An explicit yes; a no is explained (no contact, no publication) and the question asked again."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if value is True or intent == "affirm":
            return self.accept("initiative_contact_consent", True)
        if value is False or intent == "deny":
            return self.reject(
                "initiative_contact_consent", dispatcher, tracker, response="utter_initiative_consent_needed",
                count=False,
            )
        return self.reject(
            "initiative_contact_consent", dispatcher, tracker, response="utter_invalid_initiative_consent"
        )

    def validate_initiative_ends_on(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep an ISO date between today and MAX_DAYS_AHEAD days ahead."""
        today = self.today()
        known = re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value or ""))
        result = parse_end_date(
            "/".join(reversed(str(value).split("-"))) if known else str(value or ""), today, MAX_DAYS_AHEAD
        )
        if result.ok:
            return self.accept("initiative_ends_on", result.value.isoformat())
        return self.reject("initiative_ends_on", dispatcher, tracker, text=result.message)


class ActionSummarizeInitiative(Action):
    """Read the proposal back, with Confirmer / Modifier / Annuler."""

    def name(self) -> Text:
        return "action_summarize_initiative"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        ends_on = tracker.get_slot("initiative_ends_on")
        dispatcher.utter_message(
            response="utter_initiative_summary",
            description=tracker.get_slot("initiative_description"),
            category_label=CATEGORIES.get(tracker.get_slot("initiative_category"), CATEGORIES["autre"]),
            communes_text=", ".join(tracker.get_slot("initiative_commune_names") or []),
            audience_label=AUDIENCES.get(tracker.get_slot("initiative_audience"), AUDIENCES["tous"]),
            contact_text=contact_display(tracker.get_slot("initiative_phone"), tracker.get_slot("initiative_website")),
            ends_on_text=format_date(date.fromisoformat(ends_on)) if ends_on else "",
        )
        return []


class ActionSubmitInitiative(ServiceAction):
    """Send the confirmed proposal to the gateway and give its reference: an adviser checks it first."""

    def name(self) -> Text:
        return "action_submit_initiative"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        required = [tracker.get_slot(slot) for slot in FIELD_SLOTS["initiative_form"]]
        if any(value in (None, [], "") for value in required):
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return []
        body = {
            "conversation_id": tracker.sender_id,
            "description": tracker.get_slot("initiative_description"),
            "category": tracker.get_slot("initiative_category"),
            "audience": tracker.get_slot("initiative_audience"),
            "commune_codes": list(tracker.get_slot("initiative_communes")),
            "phone": tracker.get_slot("initiative_phone"),
            "website": tracker.get_slot("initiative_website"),
            "contact_consent": True,
            "consent_text": f"{CONSENT_TEXT} : {tracker.get_slot('initiative_contact')}",
            "ends_on": tracker.get_slot("initiative_ends_on"),
        }
        try:
            created = await self.services.gateway.propose_initiative(body)
        except GatewayUnavailable as exc:
            logger.warning("The initiative of conversation %s was not stored: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_service_unavailable")
            return [FollowupAction("action_summarize_initiative")]
        except GatewayRejected as exc:
            logger.warning("The initiative of conversation %s was refused: %s", tracker.sender_id, exc)
            dispatcher.utter_message(text=exc.message)
            slot = FIELD_OF_KEY.get(exc.field or "")
            if slot is None:
                return [FollowupAction("action_summarize_initiative")]
            emptied = (slot,) + RELATED_SLOTS.get(slot, ())
            return [SlotSet(name, None) for name in emptied] + [FollowupAction("initiative_form")]
        logger.info("Initiative %s proposed", created.reference)
        dispatcher.utter_message(response="utter_initiative_submitted", reference=created.reference)
        return reset_events(INITIATIVE_SLOTS)
