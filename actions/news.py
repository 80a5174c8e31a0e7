"""This module contains the chamber's news in conversation: subscribing (with the artisan's consent, by topic,
with their commune for local news), unsubscribing, and the latest news, three at a time.

The gateway keeps the subscriptions and the news (bot/news); these actions ask it. The consent kept is the text
of ``utter_offer_subscription`` as the artisan read it: the gateway takes it from the conversation, and this
action sends the domain's wording in case it cannot find it.
"""

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.form_support import REQUESTED_SLOT, ArtisanFormValidation, ServiceAction, normalize_text
from actions.gateway_api import GatewayError, GatewayRejected
from bot.shared.subjects import SUBJECTS

__all__ = [
    "ActionLatestNews",
    "ActionOfferSubscription",
    "ActionSetNewsCommune",
    "ActionSkipNewsCommune",
    "ActionSubscribe",
    "ActionUnsubscribe",
    "ValidateNewsForm",
    "topic_text",
]

logger = logging.getLogger(__name__)

OFFER = "utter_offer_subscription"
# Set by action_subscribe: True when the commune is to be asked (a rule then runs news_form).
COMMUNE_WANTED_SLOT = "news_commune_wanted"
OFFSET_SLOT = "news_offset"
PAGE = 3
ALL_TOPICS = "all"
# What skips the optional commune question, typed ("Passer" is a button sending /deny).
SKIP_WORDS = frozenset({"passer", "passe", "non", "non merci", "aucune", "pas maintenant", "plus tard", "rien"})
MORE_BUTTON = {"title": "Plus d'annonces", "payload": "/more_news"}


def topic_text(subscription: Dict[str, Any]) -> str:
    """ "sur tous les sujets" or "sur le sujet « Prêt garanti (PGE) »"."""
    topic = subscription.get("topic")
    return f"sur le sujet « {SUBJECTS[topic]} »" if topic in SUBJECTS else "sur tous les sujets"


def commune_text(subscription: Dict[str, Any]) -> str:
    name = subscription.get("commune_name")
    return f" (et celles qui concernent {name})" if name else ""


def consent_wording(domain: DomainDict) -> str:
    """The offer's text in the domain: what the artisan agrees to when no shown offer is found."""
    variations = (domain.get("responses") or {}).get(OFFER) or [{}]
    return str(variations[0].get("text") or "").strip()


class ActionOfferSubscription(ServiceAction):
    """Offer the news, with the words the artisan agrees to; or say they already receive them."""

    def name(self) -> Text:
        return "action_offer_subscription"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        try:
            found = await self.services.gateway.subscription(tracker.sender_id)
        except GatewayError as exc:
            logger.warning("Subscription of conversation %s not read: %s", tracker.sender_id, exc)
            found = {}
        if found.get("subscribed"):
            dispatcher.utter_message(
                response="utter_news_already_subscribed", topic_text=topic_text(found), commune_text=commune_text(found)
            )
        else:
            dispatcher.utter_message(response=OFFER)
        return []


class ActionSubscribe(ServiceAction):
    """Subscribe the artisan: every topic (a yes, or the button), or the one they chose; then ask their commune
    when no request of theirs gave it."""

    def name(self) -> Text:
        return "action_subscribe"

    @staticmethod
    def chosen_topic(tracker: Tracker) -> str:
        for value in tracker.get_latest_entity_values("subject"):
            if value == ALL_TOPICS or (value in SUBJECTS and value != "other"):
                return value
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in SUBJECTS:  # "le PGE" typed after "Sur quel sujet ?"
            return intent
        return ALL_TOPICS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        try:
            subscription = await self.services.gateway.subscribe(
                tracker.sender_id, self.chosen_topic(tracker), tracker.get_slot("commune_code"),
                consent_wording(domain),
            )
        except GatewayRejected as exc:
            dispatcher.utter_message(text=exc.message)
            return []
        except GatewayError as exc:
            logger.warning("Conversation %s not subscribed: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_service_unavailable_news")
            return []
        dispatcher.utter_message(
            response="utter_news_subscribed",
            topic_text=topic_text(subscription),
            commune_text=commune_text(subscription),
        )
        wanted = bool(subscription.get("new")) and not subscription.get("commune_name")
        return [SlotSet(COMMUNE_WANTED_SLOT, wanted)]


class ValidateNewsForm(ArtisanFormValidation):
    """The commune asked after subscribing: optional, so a skip or a third unknown commune ends the question."""

    def name(self) -> Text:
        return "validate_news_form"

    def validate_commune_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if normalize_text(str(value or "")) in SKIP_WORDS:
            return {"commune_code": None, REQUESTED_SLOT: None}
        return super().validate_commune_code(value, dispatcher, tracker, domain)

    def give_up(self, slot: str, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        """Not a question worth an adviser: the artisan gets the whole department's news."""
        return self.accept(slot, None, **{REQUESTED_SLOT: None})


class ActionSetNewsCommune(ServiceAction):
    """Keep the commune the artisan gave with their subscription (local news)."""

    def name(self) -> Text:
        return "action_set_news_commune"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        code = tracker.get_slot("commune_code")
        if not code:
            dispatcher.utter_message(response="utter_news_commune_skipped")
            return [SlotSet(COMMUNE_WANTED_SLOT, None)]
        try:
            subscription = await self.services.gateway.set_subscription_commune(tracker.sender_id, code)
        except GatewayError as exc:
            logger.warning("Commune of conversation %s's subscription not kept: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_service_unavailable_news")
            return [SlotSet(COMMUNE_WANTED_SLOT, None)]
        dispatcher.utter_message(response="utter_news_commune_set", commune_name=subscription.get("commune_name"))
        return [SlotSet(COMMUNE_WANTED_SLOT, None)]


class ActionSkipNewsCommune(Action):
    """The artisan skipped the commune question."""

    def name(self) -> Text:
        return "action_skip_news_commune"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_news_commune_skipped")
        return [SlotSet(REQUESTED_SLOT, None), SlotSet(COMMUNE_WANTED_SLOT, None)]


class ActionUnsubscribe(ServiceAction):
    """End the artisan's subscription ("stop infos")."""

    def name(self) -> Text:
        return "action_unsubscribe"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        try:
            ended = await self.services.gateway.unsubscribe(tracker.sender_id)
        except GatewayError as exc:
            logger.warning("Conversation %s not unsubscribed: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_service_unavailable_news")
            return []
        dispatcher.utter_message(response="utter_news_unsubscribed" if ended else "utter_news_not_subscribed")
        return []


class ActionLatestNews(ServiceAction):
    """The latest published news, most recent first, three at a time: "plus" (more_news) gives the next ones."""

    def name(self) -> Text:
        return "action_latest_news"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        more = (tracker.latest_message.get("intent") or {}).get("name") == "more_news"
        offset = int(tracker.get_slot(OFFSET_SLOT) or 0) if more else 0
        try:
            page = await self.services.gateway.latest_news(offset, PAGE)
        except GatewayError as exc:
            logger.warning("News not read for conversation %s: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_service_unavailable_news")
            return []
        items = list(page.get("items") or [])
        if not items:
            dispatcher.utter_message(response="utter_no_more_news" if offset else "utter_no_news")
            return [SlotSet(OFFSET_SLOT, None)]
        shown = offset + len(items)
        buttons = [MORE_BUTTON] if int(page.get("total") or 0) > shown else []
        dispatcher.utter_message(
            response="utter_latest_news_more" if offset else "utter_latest_news",
            news_list="\n\n".join(str(item.get("entry") or "") for item in items),
            buttons=buttons,
        )
        return [SlotSet(OFFSET_SLOT, shown)]
