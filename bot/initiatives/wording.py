"""This module contains how an initiative reads for artisans: one line in a list, and what its proposer is told
at each step (published, refused, retired, expired, the question "still current?")."""

from __future__ import annotations

import json

from bot.shared.french import french_date
from bot.shared.initiatives import AUDIENCES, CATEGORIES, SILENCE_RETIRES_AFTER_DAYS
from bot.storage.models import Initiative


def contact(initiative: Initiative) -> str:
    return " / ".join(part for part in (initiative.phone, initiative.website) if part)


def entry(initiative: Initiative) -> str:
    """One initiative in the bot's list of those found."""
    return (
        f"🤝 {initiative.description} — {', '.join(initiative.commune_names)} — "
        f"Pour : {AUDIENCES.get(initiative.audience, initiative.audience)} — Contact : {contact(initiative)} — "
        f"jusqu’au {french_date(initiative.ends_on)} ({initiative.reference})"
    )


def category_label(initiative: Initiative) -> str:
    return CATEGORIES.get(initiative.category, initiative.category)


def approved(initiative: Initiative) -> str:
    return (
        f"Votre initiative {initiative.reference} est publiée : on la trouve désormais en demandant une initiative "
        f"et sur la page des initiatives, jusqu’au {french_date(initiative.ends_on)}. Merci pour votre solidarité !"
    )


def refused(initiative: Initiative, reason: str) -> str:
    return (
        f"Votre initiative {initiative.reference} n’a pas été publiée. Raison : {reason}\n"
        "Vous pouvez en proposer une nouvelle en écrivant « proposer une initiative »."
    )


def retired(initiative: Initiative, reason: str) -> str:
    return f"Votre initiative {initiative.reference} a été retirée de la liste. Raison : {reason}"


def expired(initiative: Initiative) -> str:
    return (
        f"Votre initiative {initiative.reference} est arrivée à sa date de fin ({french_date(initiative.ends_on)}) : "
        "elle n’est plus proposée. Merci pour votre aide !"
    )


def still_current_question(initiative: Initiative) -> str:
    return (
        f"Votre initiative {initiative.reference} ({initiative.description}) est-elle toujours d’actualité ? "
        f"Sans réponse sous {SILENCE_RETIRES_AFTER_DAYS} jours, elle sera retirée de la liste."
    )


def still_current_buttons(initiative: Initiative) -> list[dict[str, str]]:
    def payload(answer: str) -> str:
        slots = json.dumps({"initiative_ref": initiative.reference, "still_current": answer}, ensure_ascii=False)
        return f"/initiative_still_current{slots}"

    return [{"title": "Oui", "payload": payload("oui")}, {"title": "Non", "payload": payload("non")}]


def retired_for_silence(initiative: Initiative) -> str:
    return (
        f"Sans réponse de votre part, votre initiative {initiative.reference} a été retirée de la liste. "
        "Vous pouvez la proposer à nouveau en écrivant « proposer une initiative »."
    )


RETIRED_BY_PROPOSER = "retirée à la demande de l’artisan"
RETIRED_FOR_SILENCE = "sans réponse à « toujours d’actualité ? »"
