"""This module contains how a reply is laid out for Telegram: cut to its limit, buttons as keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.constants import MessageLimit

from bot.channels.text import split_text as base_split_text

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
# Buttons go two per row when every title is this short, else one per row.
SHORT_TITLE = 16
SHARE_PHONE = "📱 Partager mon numéro"
# Sent when a reply has buttons but no text (Telegram needs a text to show a keyboard under).
BUTTONS_ONLY_TEXT = "Choisissez :"


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units (Telegram's measure: an emoji outside the
    BMP counts two)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in Telegram messages, measured as Telegram does (UTF-16 units), cut between words."""
    return base_split_text(text, limit, _fitting)


def inline_keyboard(message_id: int, buttons: list[dict[str, str]]) -> InlineKeyboardMarkup:
    """Rasa's buttons as an inline keyboard; each button's data points back to the stored message."""
    keys_ = [
        InlineKeyboardButton(
            text=(button.get("title") or button.get("payload") or "…")[:200],
            callback_data=f"b:{message_id}:{index}",
        )
        for index, button in enumerate(buttons)
    ]
    width = 2 if all(len(key.text) <= SHORT_TITLE for key in keys_) else 1
    return InlineKeyboardMarkup([keys_[i : i + width] for i in range(0, len(keys_), width)])


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    """The keyboard that sends the artisan's own number in one tap."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(SHARE_PHONE, request_contact=True)]], resize_keyboard=True, one_time_keyboard=True
    )

