"""This module contains what Telegram's errors mean for the outbox: try again later (and when), or never."""

from __future__ import annotations

import datetime as dtm
import warnings

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.errors import DeliveryFailed, RetryLater


def _seconds(period: int | float | dtm.timedelta) -> float:
    if isinstance(period, dtm.timedelta):
        return period.total_seconds()
    return float(period)


def retry_after(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 gives an int, or a timedelta with PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the int form is deprecated in PTB 22.2+; both are handled
        return _seconds(exc.retry_after)


def retries(exc: TelegramError) -> bool:
    """True when Telegram may take the message later (flood control, network), False when it never will."""
    return not isinstance(exc, (Forbidden, BadRequest, InvalidToken, ChatMigrated))


def as_retry(exc: TelegramError, reason: str) -> RetryLater:
    if isinstance(exc, RetryAfter):
        delay = retry_after(exc)
        return RetryLater(f"Telegram limite les envois : nouvel essai dans {delay:g} s.", delay, whole_channel=True)
    if isinstance(exc, NetworkError):
        return RetryLater(f"Telegram injoignable : {reason}")
    return RetryLater(f"Erreur Telegram : {reason}")


def as_failure(exc: TelegramError, reason: str) -> DeliveryFailed:
    if isinstance(exc, Forbidden):
        return DeliveryFailed(
            f"L'artisan a bloqué le bot (ou supprimé son compte) : Telegram refuse le message ({reason}).",
            recipient_gone=True,
        )
    if isinstance(exc, ChatMigrated):
        return DeliveryFailed(
            "La conversation Telegram a changé d'identifiant (groupe devenu supergroupe).", recipient_gone=True
        )
    if isinstance(exc, BadRequest) and "chat not found" in exc.message.lower():
        return DeliveryFailed(f"Cette conversation Telegram n'existe plus ({reason}).", recipient_gone=True)
    return DeliveryFailed(f"Telegram refuse le message : {reason}")

