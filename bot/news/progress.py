"""This module contains what the broadcasts' pages show: a broadcast before it starts (Preview), where it stands
(Progress), each recipient's send (RecipientStatus), and whether it is still sending (StatusWatch)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from bot.channels.base import Template
from bot.news.items import NewsItems
from bot.storage.models import DeliveryState, MessageStatus, NewsStatus

# How often a running broadcast reads whether it was stopped elsewhere.
STATUS_CHECK_SECONDS = 1.0


@dataclass
class Preview:
    """What a broadcast will be: its recipients by channel, those it cannot reach, and each channel's text."""

    recipients: Counter[str] = field(default_factory=Counter)
    # WhatsApp subscribers outside the 24-hour window: reached with the template, or not at all.
    whatsapp_outside_window: int = 0
    unreachable: int = 0
    text: str = ""
    template: Template | None = None

    @property
    def reachable(self) -> int:
        return sum(self.recipients.values()) - self.unreachable


@dataclass
class Progress:
    """Where a broadcast stands, counted on its recipients' rows and their messages."""

    total: int = 0
    waiting: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    skipped: int = 0
    stopped: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {**{k: getattr(self, k) for k in ("total", "waiting", "sent", "delivered", "read", "failed",
                                                   "skipped", "stopped")}, "reasons": self.reasons}


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's send, as the broadcast page lists it."""

    conversation_id: str
    channel: str
    state: str
    # The message's status once queued (pending, sent, delivered, read, failed), else None.
    status: str | None
    reason: str | None
    updated_at: object

    @property
    def outcome(self) -> str:
        """skipped, stopped, waiting, or the message's status."""
        if self.state in (DeliveryState.SKIPPED, DeliveryState.STOPPED):
            return self.state
        if self.state == DeliveryState.PENDING or self.status in (None, MessageStatus.PENDING):
            return "waiting"
        return self.status


class StatusWatch:
    """Whether a broadcast is still sending, read from the database at most once a second."""

    def __init__(self, items: NewsItems, news_id: int) -> None:
        self._items = items
        self._news_id = news_id
        self._checked_at = -STATUS_CHECK_SECONDS
        self._sending = True

    async def sending(self) -> bool:
        now = time.monotonic()
        if self._sending and now - self._checked_at >= STATUS_CHECK_SECONDS:
            self._checked_at = now
            item = await self._items.get(self._news_id)
            self._sending = item is not None and item.status == NewsStatus.SENDING
        return self._sending
