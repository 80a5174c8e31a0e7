"""This module contains what the callback and pledge forms share: answer checks, retries, the services they use.

How to use ``ArtisanFormValidation``: subclass it for one form, write one ``validate_<slot>`` per slot, and end
each with ``self.accept(slot, value)`` or ``self.reject(slot, dispatcher, tracker, ...)``. ``reject`` says why
(a named response or a validator's French sentence) and sets the slot to None so the form asks again. The
MAX_INVALID_ANSWERS-th invalid answer to the same question stops the form instead (``utter_form_failed``) and sets
FORM_FAILED_SLOT, on which a rule hands the conversation to an adviser (``action_handoff_form_failed``).
"""

import hashlib
import json
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Pattern, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.gateway_api import GatewayClient, GatewayRejected, GatewayUnavailable
from actions.validation import CommuneDirectory, parse_french_phone

logger = logging.getLogger(__name__)

__all__ = [
    "ArtisanFormValidation",
    "ActionChangeField",
    "ActionClearForms",
    "FIELD_SLOTS",
    "FORM_FAILED_SLOT",
    "RELATED_SLOTS",
    "REQUESTED_SLOT",
    "MAX_INVALID_ANSWERS",
    "ServiceAction",
    "Services",
    "idempotency_key",
    "normalize_text",
    "reset_events",
]

MAX_INVALID_ANSWERS = 3
INVALID_ANSWERS_SLOT = "invalid_answers"
# Set (True) when a form stopped on too many invalid answers; featurized, so a rule can hand off.
FORM_FAILED_SLOT = "form_failed"
REQUESTED_SLOT = "requested_slot"
FIELD_ENTITY = "field"
COMMUNE_CODE_ENTITY = "commune_code"
PROJECT_DIR = Path(__file__).resolve().parents[1]
COMMUNES_FILE_VARIABLE = "COMMUNES_FILE"
DEFAULT_COMMUNES_FILE = PROJECT_DIR / "data" / "communes-71.csv"

# The slots "Modifier" can empty, per form, in the order of the summary.
FIELD_SLOTS = {
    "callback_form": ("caller_name", "phone", "trade", "commune_code", "subject", "preferred_time"),
    "pledge_form": ("mask_quantity", "mask_type", "commune_code", "delivery", "phone"),
    "initiative_form": (
        "initiative_description", "initiative_category", "initiative_communes", "initiative_audience",
        "initiative_contact", "initiative_contact_consent", "initiative_ends_on",
    ),
}
# The slots a field's answer sets besides its own: emptied with it. A new contact needs a new consent.
RELATED_SLOTS = {
    "commune_code": ("commune_name",),
    "initiative_communes": ("initiative_commune_names",),
    "initiative_contact": ("initiative_phone", "initiative_website", "initiative_contact_consent"),
}


class Services:
    """The communes directory and the gateway client, made when first needed (no I/O at import)."""

    def __init__(
        self,
        environ: Optional[Mapping[str, str]] = None,
        communes: Optional[CommuneDirectory] = None,
        gateway: Optional[GatewayClient] = None,
    ) -> None:
        self._environ = environ
        self._communes = communes
        self._gateway = gateway

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    @property
    def communes(self) -> CommuneDirectory:
        """The department's communes, read from COMMUNES_FILE (Saône-et-Loire by default)."""
        if self._communes is None:
            self._communes = CommuneDirectory.load(self.environ.get(COMMUNES_FILE_VARIABLE) or DEFAULT_COMMUNES_FILE)
        return self._communes

    @property
    def gateway(self) -> GatewayClient:
        """The client of the gateway's internal API; GatewayUnavailable if it is not configured."""
        if self._gateway is None:
            self._gateway = GatewayClient.from_environ(self.environ)
        return self._gateway


class ServiceAction(Action, ABC):
    """An action that uses the services (the gateway, the communes): given in tests, made when first needed.

    Abstract (rasa_sdk registers every concrete Action subclass it finds)."""

    def __init__(self, services: Optional[Services] = None) -> None:
        self.services = services or Services()

    @abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""


def normalize_text(text: Optional[str]) -> str:
    """Lowercase ASCII words, as in the communes directory: "Après-midi" is "apres midi"."""
    from actions.validation.communes import normalize_name

    return normalize_name(text or "")


def first_match(text: str, patterns: Iterable[Tuple[str, Pattern[str]]]) -> Optional[str]:
    """The value of the first (value, pattern) whose pattern the message's normalized words match, or None."""
    words = normalize_text(text)
    for value, pattern in patterns:
        if pattern.search(words):
            return value
    return None


def idempotency_key(kind: str, sender_id: str, values: Mapping[str, Any]) -> str:
    """The same request from the same conversation always gets the same key: a retry stores nothing new."""
    payload = json.dumps([kind, sender_id, dict(values)], sort_keys=True, ensure_ascii=False)
    return f"{kind}-{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:32]}"


async def submit_confirmed(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    kind: str,
    values: Mapping[str, Any],
    create: Callable[[Dict[str, Any]], Awaitable[Any]],
    summary_action: str,
) -> Tuple[Optional[Any], List[Dict[Text, Any]]]:
    """Send a confirmed form's values to the gateway, once per confirmation (idempotency key).

    Returns what the gateway recorded and no events; or None and the events to return when nothing was
    recorded: nothing to confirm, or the gateway down or refusing (said to the artisan, summary shown again,
    answers kept so they can confirm again).
    """
    if any(value is None for value in values.values()):
        dispatcher.utter_message(response="utter_nothing_to_confirm")
        return None, []
    body = {
        "conversation_id": tracker.sender_id,
        "idempotency_key": idempotency_key(kind, tracker.sender_id, values),
        **values,
    }
    try:
        return await create(body), []
    except GatewayUnavailable as exc:
        logger.warning("The %s of conversation %s was not stored: %s", kind, tracker.sender_id, exc)
        dispatcher.utter_message(response="utter_service_unavailable")
    except GatewayRejected as exc:
        logger.warning("The %s of conversation %s was refused: %s", kind, tracker.sender_id, exc)
        dispatcher.utter_message(text=exc.message)
    return None, [FollowupAction(summary_action)]


def reset_events(slots: Iterable[str]) -> List[Dict[Text, Any]]:
    """SlotSet(None) for each slot, and the retry counter."""
    return [SlotSet(slot, None) for slot in slots] + [SlotSet(INVALID_ANSWERS_SLOT, None)]


class ArtisanFormValidation(FormValidationAction):
    """A form's validation action: one ``validate_<slot>`` per slot, built on ``accept`` and ``reject``."""

    # The intent that starts the form: extract_<slot> methods read its message for slots already given.
    trigger_intent: Text = ""

    def __init__(self, services: Optional[Services] = None) -> None:
        self.services = services or Services()

    @abstractmethod
    def name(self) -> Text:
        """``validate_<form name>``."""

    @staticmethod
    def accept(slot: str, value: Any, **more: Any) -> Dict[Text, Any]:
        """Keep ``value`` and forget earlier invalid answers."""
        return {slot: value, **more, INVALID_ANSWERS_SLOT: None}

    def reject(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        response: Optional[str] = None,
        text: Optional[str] = None,
        buttons: Optional[List[Dict[str, str]]] = None,
        count: bool = True,
    ) -> Dict[Text, Any]:
        """Say why the answer is not usable and ask again; stop the form at the third invalid answer.

        ``count=False`` for an answer that is not wrong, only incomplete (several communes match).
        """
        counter = tracker.get_slot(INVALID_ANSWERS_SLOT) or {}
        invalid = counter.get("count", 0) + 1 if counter.get("slot") == slot else 1
        if count and invalid >= MAX_INVALID_ANSWERS:
            return self.give_up(slot, dispatcher)
        if response:
            dispatcher.utter_message(response=response)
        if text:
            dispatcher.utter_message(text=text, buttons=buttons or [])
        if not count:
            return {slot: None, INVALID_ANSWERS_SLOT: counter or None}
        return {slot: None, INVALID_ANSWERS_SLOT: {"slot": slot, "count": invalid}}

    def give_up(self, slot: str, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        """The third invalid answer: asking a fourth time would not help. The form stops, and a rule hands off
        to an adviser."""
        dispatcher.utter_message(response="utter_form_failed")
        return {slot: None, INVALID_ANSWERS_SLOT: None, FORM_FAILED_SLOT: True, REQUESTED_SLOT: None}

    def is_trigger_message(self, tracker: Tracker) -> bool:
        """Tell whether the latest message started the form (nothing asked yet)."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return tracker.get_slot("requested_slot") is None and intent == self.trigger_intent

    @staticmethod
    def latest_text(tracker: Tracker) -> str:
        return tracker.latest_message.get("text") or ""

    # ------------------------------------------------------------------ shared slots
    async def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Use a number written in the message that started the form ("rappelez-moi au 06 …")."""
        if tracker.get_slot("phone") is None and self.is_trigger_message(tracker):
            result = parse_french_phone(self.latest_text(tracker))
            if result.ok:
                return {"phone": result.e164}
        return {}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep a French number in E.164; otherwise say what is wrong with it."""
        result = parse_french_phone(str(value or ""))
        if result.ok:
            return self.accept("phone", result.e164)
        return self.reject("phone", dispatcher, tracker, text=result.message)

    def validate_commune_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep the INSEE code of the artisan's commune; offer buttons when several communes match."""
        return self.commune_answer("commune_code", "commune_name", value, dispatcher, tracker)

    def commune_answer(
        self, slot: str, name_slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        """Keep in ``slot`` the INSEE code of the commune answered, its name in ``name_slot``; offer buttons
        when several communes match."""
        communes = self.services.communes
        known = communes.by_code(str(value or ""))
        if known is not None and known.name == tracker.get_slot(name_slot):
            return self.accept(slot, known.insee_code, **{name_slot: known.name})  # validated before
        for code in tracker.get_latest_entity_values(COMMUNE_CODE_ENTITY):
            commune = communes.by_code(str(code))
            if commune is not None:
                return self.accept(slot, commune.insee_code, **{name_slot: commune.name})
        match = communes.match(str(value or ""))
        if match.is_exact:
            return self.accept(slot, match.commune.insee_code, **{name_slot: match.commune.name})
        if match.candidates:
            buttons = [
                {"title": commune.label, "payload": f'/inform{{"commune_code":"{commune.insee_code}"}}'}
                for commune in match.candidates
            ]
            return self.reject(slot, dispatcher, tracker, text=match.message, buttons=buttons, count=False)
        return self.reject(slot, dispatcher, tracker, text=match.message)


class ActionChangeField(Action):
    """Empty the field the artisan chose to change, so the form asks for it again."""

    def name(self) -> Text:
        return "action_change_field"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        field = next(tracker.get_latest_entity_values(FIELD_ENTITY), None)
        known = {slot for slots in FIELD_SLOTS.values() for slot in slots}
        if field not in known:
            return []
        return [SlotSet(slot, None) for slot in (field,) + RELATED_SLOTS.get(field, ())]


class ActionClearForms(Action):
    """Forget the answers of an abandoned callback, pledge or initiative form."""

    def name(self) -> Text:
        return "action_clear_forms"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        slots = dict.fromkeys(slot for slots in FIELD_SLOTS.values() for slot in slots)
        related = dict.fromkeys(slot for slots in RELATED_SLOTS.values() for slot in slots)
        return reset_events(list(slots) + [slot for slot in related if slot not in slots])
