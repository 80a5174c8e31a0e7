"""This module contains Proposal, a solidarity initiative as the action server (or a staff form) gives it, every
field checked, and check_proposal, which reads one from a JSON body.

A field that is not right raises BadMessage(400, a French sentence, field=the body key), nothing recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.errors import BadMessage
from bot.shared.communes import CommuneTable
from bot.shared.initiatives import (
    AUDIENCES,
    CATEGORIES,
    MAX_COMMUNES,
    MAX_DAYS_AHEAD,
    MAX_DESCRIPTION_CHARS,
    MIN_DESCRIPTION_CHARS,
)

MAX_CONSENT_CHARS = 2000
MAX_WEBSITE_CHARS = 500


@dataclass(frozen=True)
class Proposal:
    """What an initiative says: its communes as (INSEE code, name), in the order given."""

    description: str
    category: str
    audience: str
    communes: tuple[tuple[str, str], ...]
    phone: str | None
    website: str | None
    consent_text: str
    ends_on: date


def _refuse(field: str, sentence: str) -> BadMessage:
    return BadMessage(400, sentence, field=field)


def check_description(value: object) -> str:
    if not isinstance(value, str):
        raise _refuse("description", "Décrivez l’initiative en quelques mots.")
    text = " ".join(value.split())
    if len(text) < MIN_DESCRIPTION_CHARS:
        raise _refuse("description", f"Décrivez l’initiative en au moins {MIN_DESCRIPTION_CHARS} caractères.")
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise _refuse(
            "description", f"La description ne doit pas dépasser {MAX_DESCRIPTION_CHARS} caractères ({len(text)})."
        )
    return text


def check_category(value: object) -> str:
    if not isinstance(value, str) or value not in CATEGORIES:
        raise _refuse("category", "Choisissez le type d’aide : " + ", ".join(CATEGORIES.values()) + ".")
    return value


def check_audience(value: object) -> str:
    if not isinstance(value, str) or value not in AUDIENCES:
        raise _refuse("audience", "Choisissez à qui elle s’adresse : " + ", ".join(AUDIENCES.values()) + ".")
    return value


def check_communes(value: object, communes: CommuneTable) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value or not all(isinstance(code, str) for code in value):
        raise _refuse("commune_codes", "Donnez au moins une commune où l’initiative s’adresse.")
    found: list[tuple[str, str]] = []
    for code in value:
        commune = communes.by_code(code)
        if commune is None:
            raise _refuse("commune_codes", f"« {code} » n’est pas le code INSEE d’une commune du département.")
        if commune.insee_code not in (known for known, _ in found):
            found.append((commune.insee_code, commune.name))
    if len(found) > MAX_COMMUNES:
        raise _refuse("commune_codes", f"Une initiative s’adresse à {MAX_COMMUNES} communes au plus.")
    return tuple(found)


def check_phone(value: object) -> str | None:
    if value is None or value == "":
        return None
    phone = value.replace(" ", "") if isinstance(value, str) else ""
    if not (phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16):
        raise _refuse("phone", "Le téléphone doit être un numéro au format international (+33612345678).")
    return phone


def check_website(value: object) -> str | None:
    if value is None or value == "":
        return None
    website = value.strip() if isinstance(value, str) else ""
    if website and "://" not in website:
        website = "https://" + website
    parts = urlsplit(website)
    if (
        parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in website
        or len(website) > MAX_WEBSITE_CHARS
    ):
        raise _refuse("website", "Le site doit être une adresse web (https://…).")
    return website


def check_ends_on(value: object, today: date) -> date:
    try:
        ends_on = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        ends_on = None
    if ends_on is None:
        raise _refuse("ends_on", "La date de fin doit être une date (AAAA-MM-JJ).")
    if ends_on < today:
        raise _refuse("ends_on", "La date de fin est déjà passée : choisissez aujourd’hui ou plus tard.")
    if ends_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise _refuse("ends_on", "La date de fin doit être dans les six prochains mois au plus.")
    return ends_on


def check_contact(phone: str | None, website: str | None) -> None:
    if phone is None and website is None:
        raise _refuse("phone", "Donnez un téléphone ou un site pour qu’on puisse vous joindre.")


def check_proposal(body: Mapping[str, Any], communes: CommuneTable, today: date) -> Proposal:
    """A proposal from the internal API's body (bot.initiatives.internal_api), or BadMessage naming the field."""
    description = check_description(body.get("description"))
    category = check_category(body.get("category"))
    audience = check_audience(body.get("audience"))
    served = check_communes(body.get("commune_codes"), communes)
    phone = check_phone(body.get("phone"))
    website = check_website(body.get("website"))
    check_contact(phone, website)
    if body.get("contact_consent") is not True:
        raise _refuse("contact_consent", "Sans votre accord, votre contact ne peut pas être publié.")
    consent = body.get("consent_text")
    if not isinstance(consent, str) or not consent.strip() or len(consent) > MAX_CONSENT_CHARS:
        raise _refuse("consent_text", "Le champ « consent_text » (les mots que l’artisan a acceptés) est obligatoire.")
    ends_on = check_ends_on(body.get("ends_on"), today)
    return Proposal(description, category, audience, served, phone, website, consent.strip(), ends_on)
