"""This module contains the life of a callback request and of a mask pledge: the statuses that may follow each,
and what each is called on the staff pages."""

from __future__ import annotations

from bot.storage.models import CallbackStatus, PledgeStatus

# What an adviser may do next. A callback is taken (in_progress) before it is called back; one nobody could
# reach may be tried again; cancelled (by the artisan) and closed are final.
CALLBACK_TRANSITIONS: dict[str, frozenset[str]] = {
    CallbackStatus.NEW: frozenset({CallbackStatus.IN_PROGRESS, CallbackStatus.CLOSED}),
    CallbackStatus.IN_PROGRESS: frozenset(
        {CallbackStatus.CALLED_BACK, CallbackStatus.UNREACHABLE, CallbackStatus.CLOSED}
    ),
    CallbackStatus.UNREACHABLE: frozenset(
        {CallbackStatus.IN_PROGRESS, CallbackStatus.CALLED_BACK, CallbackStatus.CLOSED}
    ),
    CallbackStatus.CALLED_BACK: frozenset({CallbackStatus.CLOSED}),
    CallbackStatus.CLOSED: frozenset(),
    CallbackStatus.CANCELLED: frozenset(),
}
OPEN_CALLBACK = (CallbackStatus.NEW, CallbackStatus.IN_PROGRESS, CallbackStatus.UNREACHABLE)
# Late when the deadline passed and nobody has called yet.
OVERDUE_STATUSES = (CallbackStatus.NEW, CallbackStatus.IN_PROGRESS)
# Masks dropped at a chamber site may go to the prefecture without a separate "collected" step.
PLEDGE_TRANSITIONS: dict[str, frozenset[str]] = {
    PledgeStatus.PLEDGED: frozenset({PledgeStatus.COLLECTED, PledgeStatus.HANDED_OVER}),
    PledgeStatus.COLLECTED: frozenset({PledgeStatus.HANDED_OVER}),
    PledgeStatus.HANDED_OVER: frozenset(),
    PledgeStatus.CANCELLED: frozenset(),
}

CALLBACK_STATUS_LABELS = {
    CallbackStatus.NEW: "Nouvelle",
    CallbackStatus.IN_PROGRESS: "En cours",
    CallbackStatus.CALLED_BACK: "Rappelé",
    CallbackStatus.UNREACHABLE: "Injoignable",
    CallbackStatus.CLOSED: "Close",
    CallbackStatus.CANCELLED: "Annulée par l’artisan",
}
PLEDGE_STATUS_LABELS = {
    PledgeStatus.PLEDGED: "Promis",
    PledgeStatus.COLLECTED: "Collecté",
    PledgeStatus.HANDED_OVER: "Remis à la préfecture",
    PledgeStatus.CANCELLED: "Annulé par l’artisan",
}
