"""This module contains how a news item reads: as a broadcast's message (with the barometer's question when it
carries it), in the bot's list of the latest news, as a WhatsApp template's parameters, and mentioned under an
FAQ answer."""

from __future__ import annotations

from bot.shared.french import french_date
from bot.storage.models import NewsItem, NewsSource

SOURCE_LABELS = {
    NewsSource.PREFECTURE: "Préfecture",
    NewsSource.ETAT: "État",
    NewsSource.REGION: "Région",
    NewsSource.CHAMBRE: "Chambre de Métiers",
}
# Every broadcast message ends with it.
STOP_HINT = "Pour ne plus recevoir ces annonces, écrivez « stop infos »."
SUBSCRIBE_BUTTON = {"title": "Recevoir les annonces", "payload": "/subscribe_news"}
LIST_TEXT_CHARS = 220
# The barometer's first question under a broadcast: the same buttons as domain.yml's utter_barometer_ask_activity
# (tests/bot/news/test_wording.py compares them), so a tap reaches the engine's action_barometer_answer.
BAROMETER_QUESTION = "Une question rapide, facultative : où en est votre activité ?"
BAROMETER_BUTTONS = [
    {"title": "Arrêtée", "payload": '/barometer_activity{"activity":"arretee"}'},
    {"title": "Réduite", "payload": '/barometer_activity{"activity":"reduite"}'},
    {"title": "Normale", "payload": '/barometer_activity{"activity":"normale"}'},
    {"title": "Passer", "payload": "/barometer_skip"},
]


def source_line(item: NewsItem) -> str:
    return f"{SOURCE_LABELS.get(item.source, item.source)} · en vigueur le {french_date(item.effective_on)}"


def broadcast_text(item: NewsItem) -> str:
    """The message a subscriber receives: title, text, source and date, link, and how to stop."""
    parts = [f"📰 {item.title}", item.text.strip(), source_line(item)]
    if item.link:
        parts[-1] += f"\n{item.link}"
    parts.append(STOP_HINT)
    return "\n\n".join(parts)


def with_barometer(text: str) -> str:
    """A broadcast's message that carries the barometer's question (its buttons go with it)."""
    return f"{text}\n\n{BAROMETER_QUESTION}"


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def list_entry(item: NewsItem) -> str:
    """One news item in the bot's answer to "quoi de neuf ?"."""
    entry = f"• {item.title} ({source_line(item)})\n{_shortened(item.text, LIST_TEXT_CHARS)}"
    return entry + (f"\n{item.link}" if item.link else "")


def template_parameters(item: NewsItem) -> tuple[str, str]:
    """The news template's two body parameters: the title, then the text with its source, date and link."""
    text = f"{_shortened(item.text, 700)} ({source_line(item)})"
    if item.link:
        text += f" {item.link}"
    return item.title, text


def mention(item: NewsItem) -> str:
    """The line under an FAQ answer naming the latest news on its topic."""
    return f"📰 Dernière annonce sur ce sujet ({source_line(item)}) : {item.title}. Pour la lire : « dernières annonces »."
