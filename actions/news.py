"""This module contains the chamber's news in conversation: subscribing (with the artisan's consent, by topic,
with their commune for local news: actions/commune.py asks it), unsubscribing, and the latest news, three at a
time.

The gateway keeps the subscriptions and the news (bot/news); these actions ask it. The consent kept is the text
of ``utter_offer_subscription`` as the artisan read it: the gateway takes it from the conversation, and this
action sends the domain's wording in case it cannot find it.
"""

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.commune import COMMUNE_WANTED_SLOT, NEWS, ask_commune
from actions.form_support import ServiceAction
from actions.gateway_api import GatewayError, GatewayRejected
from bot.shared.subjects import SUBJECTS

__all__ = [
    "ActionLatestNews",
    "ActionOfferSubscription",
    "ActionSubscribe",
    "ActionUnsubscribe",
    "topic_text",
]

logger = logging.getLogger(__name__)

OFFER = "utter_offer_subscription"
OFFSET_SLOT = "news_offset"
PAGE = 3
ALL_TOPICS = "all"
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
        return ask_commune(NEWS) if wanted else [SlotSet(COMMUNE_WANTED_SLOT, False)]


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
