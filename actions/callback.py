"""This module contains the callback request: its form's validation, its summary, and its submission."""

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
from actions.validation import format_french
from bot.shared.subjects import SUBJECTS

__all__ = [
    "ActionSubmitCallback",
    "ActionSummarizeCallback",
    "SUBJECTS",
    "TIMES",
    "ValidateCallbackForm",
    "subject_from_text",
]

logger = logging.getLogger(__name__)

CALLBACK_SLOTS = FIELD_SLOTS["callback_form"] + ("commune_name",)

# Words that name a subject in a message, accents folded ("pour le PGE", "mon chomage partiel").
_SUBJECT_WORDS = [
    ("faq_mediation_credit", r"mediat\w*|banque (?:refuse|dit non)"),
    ("faq_pge", r"pge|pret garanti|pret de l etat|pret etat"),
    ("faq_fonds_solidarite", r"fonds? (?:de )?soli\w*|aide de 1500|1500"),
    ("faq_activite_partielle", r"chomage partiel|activite partielle"),
    ("faq_report_charges", r"urssaf|cotisations?|report de charges|charges sociales|impots?"),
    ("faq_loyers_factures", r"loyers?|factures?|bail|bailleur"),
    ("faq_aides_region", r"region\w*"),
    ("faq_protocole_sanitaire", r"protocole|sanitaire|jauge"),
    ("faq_ouverture_commerces", r"ouverture|reouverture|rouvrir|fermeture administrative"),
    ("faq_apprentissage", r"apprenti\w*|alternan\w*|cfa"),
    ("other", r"autre|autres|rien de tout ca|aucun"),
]
_SUBJECT_PATTERNS = [(subject, re.compile(rf"\b(?:{words})\b")) for subject, words in _SUBJECT_WORDS]

TIMES = {"morning": "le matin", "afternoon": "l'après-midi", "any": "sans préférence"}
_TIME_WORDS = [
    ("any", r"peu importe|n importe|indifferent|pas de preference|sans preference|quand vous voulez"
            r"|toute la journee|any"),
    ("afternoon", r"apres midi|apresmidi|aprem|afternoon|1[2-9] ?h\w*"),
    ("morning", r"matin\w*|morning|(?:[89]|1[01]) ?h\w*"),
]
_TIME_PATTERNS = [(time, re.compile(rf"\b(?:{words})\b")) for time, words in _TIME_WORDS]

MIN_NAME_LENGTH, MAX_NAME_LENGTH = 2, 80
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")


def subject_from_text(text: str) -> Optional[str]:
    """The subject a message names ("rappelez-moi pour le PGE" is faq_pge), or None."""
    return first_match(text, _SUBJECT_PATTERNS)


def time_from_text(text: str) -> Optional[str]:
    """The preferred time a message names ("plutôt l'aprem" is afternoon), or None."""
    return first_match(text, _TIME_PATTERNS)


def _plain_answer(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


class ValidateCallbackForm(ArtisanFormValidation):
    """Check each answer of the callback form; reuse what the first message already said."""

    trigger_intent = "request_callback"

    def name(self) -> Text:
        return "validate_callback_form"

    async def extract_subject(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A subject named in the first message, or an FAQ question given as the answer to "which subject?"."""
        if tracker.get_slot("subject") is not None:
            return {}
        if self.is_trigger_message(tracker):
            subject = subject_from_text(self.latest_text(tracker))
            return {"subject": subject} if subject not in (None, "other") else {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") == "subject" and intent in SUBJECTS:
            return {"subject": intent}
        return {}

    def validate_caller_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep a name: some letters, no phone number."""
        name = _plain_answer(value)
        if (
            MIN_NAME_LENGTH <= len(name) <= MAX_NAME_LENGTH
            and _LETTER.search(name)
            and len(_DIGIT.findall(name)) < 3
        ):
            return self.accept("caller_name", name)
        return self.reject("caller_name", dispatcher, tracker, response="utter_invalid_caller_name")

    def validate_trade(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep the business or trade as written ("boulanger", "salon de coiffure")."""
        trade = _plain_answer(value)
        if MIN_NAME_LENGTH <= len(trade) <= MAX_NAME_LENGTH and _LETTER.search(trade):
            return self.accept("trade", trade)
        return self.reject("trade", dispatcher, tracker, response="utter_invalid_trade")

    def validate_subject(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep one of SUBJECTS: a button's, an FAQ intent's, or the words of the answer; else "other"."""
        for entity in tracker.get_latest_entity_values("subject"):
            if entity in SUBJECTS:
                return self.accept("subject", entity)
        if value in SUBJECTS:
            return self.accept("subject", value)
        text = _plain_answer(value)
        if not _LETTER.search(text):
            return self.reject("subject", dispatcher, tracker, response="utter_invalid_subject")
        return self.accept("subject", subject_from_text(text) or "other")

    def validate_preferred_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep morning, afternoon or any."""
        for entity in tracker.get_latest_entity_values("preferred_time"):
            if entity in TIMES:
                return self.accept("preferred_time", entity)
        if value in TIMES:
            return self.accept("preferred_time", value)
        time = time_from_text(_plain_answer(value))
        if time is not None:
            return self.accept("preferred_time", time)
        return self.reject("preferred_time", dispatcher, tracker, response="utter_invalid_preferred_time")


class ActionSummarizeCallback(Action):
    """Read the callback request back, with Confirmer / Modifier / Annuler."""

    def name(self) -> Text:
        return "action_summarize_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        phone = tracker.get_slot("phone")
        dispatcher.utter_message(
            response="utter_callback_summary",
            caller_name=tracker.get_slot("caller_name"),
            phone_display=format_french(phone) if phone else "",
            trade=tracker.get_slot("trade"),
            commune_name=tracker.get_slot("commune_name"),
            subject_label=SUBJECTS.get(tracker.get_slot("subject"), SUBJECTS["other"]),
            time_label=TIMES.get(tracker.get_slot("preferred_time"), TIMES["any"]),
        )
        return []


class ActionSubmitCallback(ServiceAction):
    """Send the confirmed callback request to the gateway and give its reference and call-back time; then offer
    the barometer."""

    def name(self) -> Text:
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        values = {
            "name": tracker.get_slot("caller_name"),
            "phone": tracker.get_slot("phone"),
            "trade": tracker.get_slot("trade"),
            "commune_code": tracker.get_slot("commune_code"),
            "commune_name": tracker.get_slot("commune_name"),
            "subject": tracker.get_slot("subject") or "other",
            "preferred_time": tracker.get_slot("preferred_time") or "any",
        }
        created, events = await submit_confirmed(
            dispatcher, tracker, "callback", values, self.services.gateway.create_callback,
            "action_summarize_callback",
        )
        if created is None:
            return events
        logger.info("Callback request %s stored", created.reference)
        dispatcher.utter_message(
            response="utter_callback_submitted", reference=created.reference, due_text=created.due_text
        )
        return reset_events(CALLBACK_SLOTS) + await offer_barometer(dispatcher, tracker, self.services.gateway)
