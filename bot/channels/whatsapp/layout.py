"""This module contains how a reply is laid out for WhatsApp: cut to Meta's limits, its buttons as reply
buttons (1 to 3), a list (4 to 10) or a numbered menu (more), or a template's one parameter."""

from __future__ import annotations

from typing import Any

from bot.channels.base import Outgoing
from bot.channels.text import split_text as base_split_text

# Meta's limits on what we send (Cloud API reference, "Messages" and "Interactive messages").
MAX_TEXT_CHARS = 4096
MAX_INTERACTIVE_BODY_CHARS = 1024
MAX_REPLY_BUTTONS = 3
MAX_REPLY_TITLE_CHARS = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE_CHARS = 24
MAX_ROW_DESCRIPTION_CHARS = 72
MAX_TEMPLATE_PARAMETER_CHARS = 1024

LIST_BUTTON_LABEL = "Choisir"
PHONE_BUTTON_TITLE = "Utiliser ce numéro"
MENU_PROMPT = "Répondez avec le numéro de votre choix."
DEFAULT_BODY = "Choisissez une option :"
PHONE_BUTTON_PREFIX = "phone:"


def shorten(title: str, limit: int) -> str:
    """`title` in at most `limit` characters, cut at a word boundary with "…" when it is longer."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head = title[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-–—(") + "…"


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """`text` in WhatsApp text messages, cut between words."""
    return base_split_text(text, limit)


def split_with_tail(text: str, tail_limit: int) -> tuple[list[str], str]:
    """Leading text parts, then a last part of at most `tail_limit` characters (an interactive message's body)."""
    text = text.strip()
    if len(text) <= tail_limit:
        return [], text
    start = len(text) - tail_limit
    cut = start
    for separator in ("\n\n", "\n", " "):
        at = text.find(separator, start)
        if at != -1 and at - start <= tail_limit // 2:
            cut = at
            break
    return split_text(text[:cut]), text[cut:].strip()


def unique_titles(titles: list[str], limit: int) -> list[str]:
    """The titles shortened to `limit`; two that shorten alike get their number, as WhatsApp wants them distinct."""
    shortened = [shorten(title, limit) for title in titles]
    clashing = {title for title in shortened if shortened.count(title) > 1}
    return [
        shorten(titles[i], limit - len(f" ({i + 1})")) + f" ({i + 1})" if title in clashing else title
        for i, title in enumerate(shortened)
    ]


def numbered_menu(text: str, buttons: list[dict[str, str]]) -> str:
    lines = [f"{i}. {button_title(button, i - 1)}" for i, button in enumerate(buttons, 1)]
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines), MENU_PROMPT) if part)


def template_parameter(text: str, buttons: list[dict[str, str]] | None = None) -> str:
    """A template body parameter: one line (Meta refuses newlines, tabs and runs of spaces), ≤ 1024 characters.

    A template cannot carry our buttons: their titles follow the text, so the artisan can type one.
    """
    text = " ".join(text.split())
    titles = [button_title(b, i) for i, b in enumerate(buttons or []) if isinstance(b, dict)]
    if titles:
        text = f"{text} (Réponses possibles : {' ; '.join(titles)})".strip()
    return shorten(text, MAX_TEMPLATE_PARAMETER_CHARS) or "…"


def button_title(button: dict[str, str], index: int) -> str:
    title = " ".join(str(button.get("title") or button.get("payload") or "").split())
    return title or f"Choix {index + 1}"


def requests_for(message: Outgoing) -> list[dict[str, Any]]:
    """The Graph API message bodies (without recipient) that carry `message`, in order."""
    text, buttons = message.text, [b for b in message.buttons if isinstance(b, dict)]
    if not buttons and message.awaiting == "phone":
        leading, body = split_with_tail(text, MAX_INTERACTIVE_BODY_CHARS)
        phone_button = {"id": f"{PHONE_BUTTON_PREFIX}+{message.external_id}", "title": PHONE_BUTTON_TITLE}
        action = {"buttons": [{"type": "reply", "reply": phone_button}]}
        return [*map(text_body, leading), interactive("button", body, action)]
    if not buttons:
        return [text_body(part) for part in split_text(text)]
    if len(buttons) > MAX_LIST_ROWS:
        return [text_body(part) for part in split_text(numbered_menu(text, buttons))]
    leading, body = split_with_tail(text, MAX_INTERACTIVE_BODY_CHARS)
    ids = [f"b:{message.message_id}:{i}" for i in range(len(buttons))]
    titles = [button_title(b, i) for i, b in enumerate(buttons)]
    if len(buttons) <= MAX_REPLY_BUTTONS:
        action = {
            "buttons": [
                {"type": "reply", "reply": {"id": id_, "title": short}}
                for id_, short in zip(ids, unique_titles(titles, MAX_REPLY_TITLE_CHARS))
            ]
        }
        return [*map(text_body, leading), interactive("button", body, action)]
    rows = []
    for id_, title, short in zip(ids, titles, unique_titles(titles, MAX_ROW_TITLE_CHARS)):
        row = {"id": id_, "title": short}
        if short != title:
            row["description"] = shorten(title, MAX_ROW_DESCRIPTION_CHARS)
        rows.append(row)
    action = {"button": LIST_BUTTON_LABEL, "sections": [{"title": "Choix", "rows": rows}]}
    return [*map(text_body, leading), interactive("list", body, action)]


def text_body(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def interactive(kind: str, body: str, action: dict[str, Any]) -> dict[str, Any]:
    interactive = {"type": kind, "body": {"text": body or DEFAULT_BODY}, "action": action}
    return {"type": "interactive", "interactive": interactive}

