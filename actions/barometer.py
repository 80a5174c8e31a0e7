"""This module contains the barometer in conversation: a short optional question on the artisan's activity, their
main need and (when the chamber does not know it) their sector, one tap each, at most once every 7 days.

It is offered after a confirmed callback or pledge (``offer_barometer``, called by their submission actions after
the confirmation message), when the artisan thanks the bot after an FAQ answer (``action_offer_barometer``, by
rule), and under a broadcast the chamber sent with the question (the gateway adds it and its buttons; the first
tap is claimed, once, with ``POST .../barometer/claim``). The gateway decides whether to ask (``POST
.../barometer/offer``) and records the answer without the conversation's identity (``POST .../barometer/answer``);
when no form gave the artisan's commune, it says to ask it, once, and commune_form does (actions/commune.py).

How the questions follow each other: each question sets BAROMETER_STEP_SLOT ("activity", "need", "trade") when it
is asked, and ``action_barometer_answer`` takes a tap (or a skip) as the answer only when it is the artisan's
very next message after that question; a broadcast's first question is not in the conversation, so a tap on its
buttons with no question open asks the gateway. Anything typed in between leaves the barometer (and is answered
as usual); a button of an old question tapped later is told the question is closed, and nothing is recorded.
The answer is recorded once, after the last question: skipping the first question records nothing.
"""

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.commune import BAROMETER, COMMUNE_WANTED_SLOT, ask_commune
from actions.form_support import ServiceAction, first_match, normalize_text
from actions.gateway_api import GatewayClient, GatewayError
from bot.shared.trades import TRADE_CATEGORIES, trade_category_of

__all__ = [
    "ACTIVITIES",
    "ActionBarometerAnswer",
    "ActionOfferBarometer",
    "NEEDS",
    "offer_barometer",
    "open_step",
]

logger = logging.getLogger(__name__)

# The question just asked ("activity", "need", "trade"), and the answers so far.
BAROMETER_STEP_SLOT = "barometer_step"
ACTIVITY_SLOT = "barometer_activity"
NEED_SLOT = "barometer_need"
# True when the gateway does not know the artisan's sector: "Votre secteur ?" is asked last.
NEED_TRADE_SLOT = "barometer_need_trade"
BAROMETER_SLOTS = (BAROMETER_STEP_SLOT, ACTIVITY_SLOT, NEED_SLOT, NEED_TRADE_SLOT)

ACTIVITY, NEED, TRADE = "activity", "need", "trade"
QUESTIONS = {
    ACTIVITY: "utter_barometer_ask_activity",
    NEED: "utter_barometer_ask_need",
    TRADE: "utter_barometer_ask_trade",
}
# The intent of each question's buttons, and the entity each button carries.
ANSWER_INTENTS = {"barometer_activity": ACTIVITY, "barometer_need": NEED, "barometer_trade": TRADE}
ENTITIES = {ACTIVITY: "activity", NEED: "need", TRADE: "trade_category"}
SKIP_INTENT = "barometer_skip"

# Values as bot.storage.models' Activity and Need; the words of a typed button title, accents folded.
ACTIVITIES = ("arretee", "reduite", "normale")
NEEDS = ("tresorerie", "salaries", "loyer", "approvisionnement", "clients", "autre")
_ACTIVITY_WORDS = [
    ("arretee", r"arrete\w*|arret|fermee?|a l arret"),
    ("reduite", r"reduite?|ralenti\w*|au ralenti"),
    ("normale", r"normale?|normalement|comme d habitude"),
]
_NEED_WORDS = [
    ("tresorerie", r"tresorerie|argent|cash"),
    ("salaries", r"salaries?|salaires?|employes?|personnel"),
    ("loyer", r"loyers?|charges?"),
    ("approvisionnement", r"approvisionnements?|fournisseurs?|stocks?|matieres? premieres?"),
    ("clients", r"clients?|clientele|commandes?"),
    ("autre", r"autres?"),
]
_PATTERNS = {
    ACTIVITY: [(value, re.compile(rf"\b(?:{words})\b")) for value, words in _ACTIVITY_WORDS],
    NEED: [(value, re.compile(rf"\b(?:{words})\b")) for value, words in _NEED_WORDS],
}
_ALLOWED = {ACTIVITY: ACTIVITIES, NEED: NEEDS, TRADE: tuple(TRADE_CATEGORIES)}


def open_step(tracker: Tracker) -> Optional[str]:
    """The barometer question the artisan's latest message answers, or None when another message came in between
    (or no question was asked)."""
    seen_latest_message = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_message:
                return None
            seen_latest_message = True
        elif kind == "slot" and event.get("name") == BAROMETER_STEP_SLOT and seen_latest_message:
            return event.get("value")
    return None


def answer_value(step: str, tracker: Tracker) -> Optional[str]:
    """The answer to ``step``: the button's entity, or the words of a typed button title; None if unclear."""
    allowed = _ALLOWED[step]
    for value in tracker.get_latest_entity_values(ENTITIES[step]):
        if value in allowed:
            return value
    text = tracker.latest_message.get("text") or ""
    if step == TRADE:
        words = normalize_text(text)
        for category, label in TRADE_CATEGORIES.items():
            if words in (category, normalize_text(label)):
                return category
        return trade_category_of(text)
    return first_match(text, _PATTERNS[step])


def ask(dispatcher: CollectingDispatcher, step: str) -> List[Dict[Text, Any]]:
    """Ask the barometer's question ``step``; the artisan's next message answers it."""
    dispatcher.utter_message(response=QUESTIONS[step])
    return [SlotSet(BAROMETER_STEP_SLOT, step)]


def forget() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in BAROMETER_SLOTS]


async def offer_barometer(
    dispatcher: CollectingDispatcher, tracker: Tracker, gateway: GatewayClient
) -> List[Dict[Text, Any]]:
    """Ask the first question if the gateway says it is time (at most once every 7 days); say nothing otherwise,
    nor when the gateway cannot be reached (the barometer is optional)."""
    try:
        offer = await gateway.barometer_offer(tracker.sender_id)
    except GatewayError as exc:
        logger.warning("Barometer not offered to conversation %s: %s", tracker.sender_id, exc)
        return []
    if not offer.get("ask"):
        return []
    return [
        SlotSet(ACTIVITY_SLOT, None),
        SlotSet(NEED_SLOT, None),
        SlotSet(NEED_TRADE_SLOT, bool(offer.get("need_trade"))),
        *ask(dispatcher, ACTIVITY),
    ]


class ActionOfferBarometer(ServiceAction):
    """Offer the barometer at the end of an FAQ exchange (the artisan thanked the bot)."""

    def name(self) -> Text:
        return "action_offer_barometer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        return await offer_barometer(dispatcher, tracker, self.services.gateway)


class ActionBarometerAnswer(ServiceAction):
    """Take a tap on a barometer button (or "Passer") as the answer to the question just asked; ask the next one,
    or record the answer and thank the artisan."""

    def name(self) -> Text:
        return "action_barometer_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        events = await self.answer(dispatcher, tracker)
        if SlotSet(COMMUNE_WANTED_SLOT, True) in events:
            return events
        # Left True by a commune question an FAQ ended, it would start commune_form again (rules_barometer.yml).
        return [SlotSet(COMMUNE_WANTED_SLOT, None), *events]

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        step = open_step(tracker)
        skipped = intent == SKIP_INTENT
        started: List[Dict[Text, Any]] = []
        if step is None and (skipped or ANSWER_INTENTS.get(intent) == ACTIVITY):
            started = await self.claim_broadcast(tracker)
            step = ACTIVITY if started else None
        if step not in QUESTIONS or not (skipped or ANSWER_INTENTS.get(intent) == step):
            dispatcher.utter_message(response="utter_barometer_skipped" if skipped else "utter_barometer_closed")
            return []
        value = None if skipped else answer_value(step, tracker)
        if value is None and not skipped:  # typed words that name no answer: the barometer is left
            dispatcher.utter_message(response="utter_barometer_closed")
            return forget()
        if step == ACTIVITY:
            if skipped:
                dispatcher.utter_message(response="utter_barometer_skipped")
                return forget()
            return [*started, SlotSet(ACTIVITY_SLOT, value), *ask(dispatcher, NEED)]
        if step == NEED and tracker.get_slot(NEED_TRADE_SLOT):
            return [SlotSet(NEED_SLOT, value), *ask(dispatcher, TRADE)]
        need = value if step == NEED else tracker.get_slot(NEED_SLOT)
        trade_category = value if step == TRADE else None
        asking = await self.record(dispatcher, tracker, tracker.get_slot(ACTIVITY_SLOT), need, trade_category)
        return forget() + (ask_commune(BAROMETER) if asking else [])

    async def claim_broadcast(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        """A tap with no question open: the first answer when a broadcast asked it (and its tap was not taken
        yet); the events that open the barometer then, or none."""
        try:
            claim = await self.services.gateway.barometer_claim(tracker.sender_id)
        except GatewayError as exc:
            logger.warning("Barometer tap of conversation %s not claimed: %s", tracker.sender_id, exc)
            return []
        if not claim.get("ask"):
            return []
        return [SlotSet(NEED_SLOT, None), SlotSet(NEED_TRADE_SLOT, bool(claim.get("need_trade")))]

    async def record(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        activity: Optional[str],
        need: Optional[str],
        trade_category: Optional[str],
    ) -> bool:
        """Record the answer and thank the artisan; True when the commune is to be asked now (commune_form then
        thanks them)."""
        try:
            recorded = await self.services.gateway.barometer_answer(tracker.sender_id, activity, need, trade_category)
        except GatewayError as exc:
            logger.warning("Barometer answer of conversation %s not recorded: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_barometer_not_recorded")
            return False
        if recorded.get("ask_commune"):
            return True
        dispatcher.utter_message(response="utter_barometer_thanks")
        return False
