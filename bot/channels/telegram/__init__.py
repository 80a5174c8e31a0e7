"""Telegram: the artisan writes to the chamber's Telegram bot, the outbox replies (TelegramChannel).

Updates arrive on `POST /webhooks/telegram/webhook` (webhook mode: Telegram calls it with the secret token
set at registration) or by long polling (polling mode, no public address needed: an update is confirmed to
Telegram only once stored, so a crash or a database outage loses none). Either way each update
becomes one `Inbound` message, stored with `accept()` under the platform id `u<update_id>`, so an update
Telegram delivers twice is answered once. Commands become the Rasa intents they stand for; an inline button
press becomes the payload of the stored button it points to; what the bot cannot read (a photo, a voice
note, an edit) is stored with its kind, and the router answers it politely without asking Rasa.

`send()` delivers one stored reply: long texts in several messages, Rasa's buttons as an inline keyboard
whose callback data points back to the stored message (`b:<message id>:<button index>`), and a "share my
number" keyboard when the bot asks for a phone number.

channel   TelegramChannel: webhook, polling, connection, sending
updates   an update as an Inbound message
layout    a reply cut to Telegram's limit, its buttons as keyboards
outcomes  Telegram's errors as the outbox's RetryLater or DeliveryFailed
"""

from bot.channels.telegram.channel import ALLOWED_UPDATES, SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.channels.telegram.layout import SHARE_PHONE, split_text

__all__ = ["ALLOWED_UPDATES", "SECRET_HEADER", "SHARE_PHONE", "WEBHOOK_PATH", "TelegramChannel", "split_text"]
