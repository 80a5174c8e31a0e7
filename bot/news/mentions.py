"""This module contains NewsMentions, the router's answer editor for the news: an FAQ answer names the latest news
on its topic, and an artisan not subscribed is offered to subscribe after an FAQ answer or a confirmed request."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.news.items import NewsItems
from bot.news.subscriptions import Subscriptions
from bot.news.wording import SUBSCRIBE_BUTTON, mention
from bot.shared.subjects import SUBJECTS
from bot.storage.models import Message

logger = logging.getLogger(__name__)

# The key of a bot message naming the response it came from (engine/gateway_channel.py).
RESPONSE_KEY = "response"
FAQ_PREFIX = "utter_faq_"
# After these, the artisan was helped: the moment to offer the news.
CONFIRMATIONS = ("utter_callback_submitted", "utter_pledge_submitted")
MAX_BUTTONS = 10


class NewsMentions:
    def __init__(self, items: NewsItems, subscriptions: Subscriptions) -> None:
        self._items = items
        self._subscriptions = subscriptions

    async def edit(self, message: Message, replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last = _last_answer(replies)
        if last is None:
            return replies
        edited = list(replies)
        try:
            answer = dict(edited[last])
            topic = str(answer.get(RESPONSE_KEY) or "").removeprefix("utter_")
            if topic in SUBJECTS:
                latest = await self._items.latest_on(topic)
                if latest is not None:
                    answer["text"] = f"{answer.get('text') or ''}\n\n{mention(latest)}".strip()
            buttons = list(answer.get("buttons") or [])
            if len(buttons) < MAX_BUTTONS and not await self._subscriptions.is_active(message.conversation_id):
                answer["buttons"] = [*buttons, SUBSCRIBE_BUTTON]
            edited[last] = answer
        except SQLAlchemyError as exc:
            logger.warning("The news could not be added to an answer (%s): it goes as it is", type(exc).__name__)
            return replies
        return edited


def _last_answer(replies: list[dict[str, Any]]) -> int | None:
    """The index of the last bubble of an FAQ answer or a confirmation, if the answer has one."""
    for index in range(len(replies) - 1, -1, -1):
        response = replies[index].get(RESPONSE_KEY)
        if isinstance(response, str) and (response.startswith(FAQ_PREFIX) or response in CONFIRMATIONS):
            return index
    return None
