"""This module contains which of the bot's intents count as a topic of the reports, and their French labels.

A topic is what an artisan came for: a question on the crisis support, a request, the news, the initiatives.
Small talk (greetings, thanks, yes and no), the answers inside a form (inform), what the bot did not understand
(nlu_fallback) and the intents only buttons send (the barometer's, the news' and the initiatives' replies) are
not topics.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.shared.subjects import SUBJECTS

__all__ = ["NOT_TOPICS", "OTHER_TOPIC", "TOPICS", "topic_label"]

# Intent -> label; intents with one label make one topic (a "plus" after the news is still the news).
TOPICS: dict[str, str] = {
    **{intent: label for intent, label in SUBJECTS.items() if intent.startswith("faq_")},
    "contact_chambre": "Joindre la Chambre",
    "request_callback": "Demande de rappel",
    "pledge_masks": "Don de masques",
    "request_status": "Suivi d’une demande",
    "cancel_request": "Annulation d’une demande",
    "human_handoff": "Demande d’un conseiller",
    "distress": "Détresse exprimée",
    "help": "Ce que fait l’assistant",
    "out_of_scope": "Hors sujet",
    "subscribe_news": "Abonnement aux actualités",
    "unsubscribe_news": "Désabonnement des actualités",
    "latest_news": "Actualités de la Chambre",
    "more_news": "Actualités de la Chambre",
    "propose_initiative": "Proposer une initiative solidaire",
    "find_initiative": "Chercher une initiative solidaire",
    "more_initiatives": "Chercher une initiative solidaire",
}
# Small talk, form answers, misunderstandings, and what only buttons send.
NOT_TOPICS: frozenset[str] = frozenset({
    "greet", "goodbye", "thank", "thanks", "affirm", "deny", "inform", "modify", "stop", "bot_challenge",
    "nlu_fallback", "confirm_subscription", "choose_news_topic", "initiative_still_current",
})
NOT_TOPIC_PREFIXES = ("barometer_",)
# Intents that admins created and Rasa knows, when the report has no title for them.
OTHER_TOPIC = "Autres sujets"


def topic_label(intent: str | None, titles: Mapping[str, str] | None = None) -> str | None:
    """The topic an intent counts for, or None when it is not a topic; an intent made by an admin reads as its
    title (`titles`, AdminIntent's), any other unknown intent as "Autres sujets"."""
    if not intent or intent in NOT_TOPICS or intent.startswith(NOT_TOPIC_PREFIXES):
        return None
    if intent in TOPICS:
        return TOPICS[intent]
    if titles and intent in titles:
        return titles[intent]
    return OTHER_TOPIC
