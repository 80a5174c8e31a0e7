"""This module contains the Graph API's JSON as we read it: values taken safely from what Meta sends, and what its
refusals mean for the outbox (error codes: developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)."""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.text import clean_text
from bot.errors import DeliveryFailed, RetryLater

logger = logging.getLogger(__name__)

THROTTLED_WHOLE_CHANNEL = {4, 80007, 130429}  # app, account or Cloud API throughput limit
THROTTLED_PAIR = {131056}  # too many messages to this one number
WINDOW_CLOSED = 131047  # re-engagement message: more than 24 h since the artisan wrote
TRANSIENT = {1, 2, 131000, 131016}  # unknown error, service temporarily unavailable
TOKEN_EXPIRED = 190
# The artisan cannot be reached on WhatsApp any more (the number is not, or no longer, on WhatsApp).
RECIPIENT_GONE = {131026}


class WindowClosed(Exception):
    """Meta says the 24-hour window is closed (131047): the template path, or held."""


def text_of(value: Any) -> str:
    """A string of Meta's JSON, cleaned for storage and stripped; "" for anything else."""
    return clean_text(value).strip() if isinstance(value, str) else ""


def dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def graph_error(message_id: int, status: int, error: dict[str, Any]) -> Exception:
    """A Graph API refusal as what the outbox does about it: RetryLater, DeliveryFailed, or WindowClosed."""
    code = error.get("code")
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = None
    text = text_of(error.get("message")) or f"HTTP {status}"
    details = text_of(dict_of(error.get("error_data")).get("details"))
    reason = f"{code if code is not None else status}: {text}"
    if details and details != text:
        reason += f" {details}"
    if code in THROTTLED_WHOLE_CHANNEL:
        return RetryLater(f"Limite de débit WhatsApp atteinte ({reason})", whole_channel=True)
    if code in THROTTLED_PAIR:
        return RetryLater(f"Trop de messages vers ce numéro ({reason})")
    if code == WINDOW_CLOSED:
        return WindowClosed(reason)
    if status >= 500 or status == 429 or code in TRANSIENT:
        return RetryLater(f"WhatsApp indisponible ({reason})")
    if code == TOKEN_EXPIRED:
        logger.error("WhatsApp refused the access token (%s): renew WHATSAPP_ACCESS_TOKEN", text)
    else:
        logger.warning("WhatsApp refused message %s: code %s", message_id, code)
    return DeliveryFailed(reason[:1000], recipient_gone=code in RECIPIENT_GONE)


