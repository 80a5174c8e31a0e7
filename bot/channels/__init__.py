"""The channels artisans write on: one module per platform, each turning its requests into `Inbound` messages.

The web chat (`rest`) answers in the same HTTP request; Telegram and WhatsApp are push channels
(`base.PushChannel`): their webhooks only store (`inbound.accept`), and the outbox sends the replies.
"""

from __future__ import annotations

from bot.channels.base import PushChannel
from bot.settings import Settings

__all__ = ["PushChannel", "push_channels"]


def push_channels(settings: Settings) -> list[PushChannel]:
    """The push channels these settings turn on (each is imported only when used)."""
    channels: list[PushChannel] = []
    if settings.telegram_enabled:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(settings))
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp import WhatsAppChannel

        channels.append(WhatsAppChannel(settings))
    return channels
