"""This module contains what the initiative form and search read in an artisan's words: the category and the
audience a message names, the communes it places the initiative in ("à Givry", "Givry et Buxy"), and the
contact to publish (a phone number, a website).
"""

import re
from typing import List, Optional, Tuple

from actions.form_support import first_match, normalize_text
from actions.validation import Commune, CommuneDirectory, parse_french_phone
from bot.shared.initiatives import AUDIENCES, CATEGORIES, MAX_COMMUNES

__all__ = [
    "AUDIENCES",
    "CATEGORIES",
    "audience_from_text",
    "category_from_text",
    "communes_in_answer",
    "communes_in_message",
    "contact_from_text",
]

_CATEGORY_WORDS = [
    ("transport", r"taxis?|trajets?|transports?|transporter|conduire|conduis|covoiturage|emmener|deplacements?"),
    ("courses", r"courses|livr\w*|commissions|epicerie"),
    ("repas", r"repas|plats?|cuisine\w*|dejeuners?|diners?"),
    ("masques", r"masques?|gel|visieres?|blouses?|protections?|surblouses?"),
    ("garde", r"garde\w*|enfants?|baby ?sitting"),
    ("materiel", r"materiel|locaux|local|salle|outils?|pret de"),
    ("demarches", r"demarches?|dossiers?|papiers|formulaires?|administrati\w*"),
]
_CATEGORY_PATTERNS = [(code, re.compile(rf"\b(?:{words})\b")) for code, words in _CATEGORY_WORDS]
_AUDIENCE_WORDS = [
    ("soignants", r"soignants?|infirmi\w*|medecins?|personnels? (?:de sante|hospitaliers?)|aides? soignant\w*"),
    ("fragiles", r"personnes? agees?|ages|aines|seniors?|fragiles?|isolees?|vulnerables?|handicap\w*"),
    ("artisans", r"artisans?|commercants?|entreprises?"),
    ("tous", r"tout le monde|tous|toutes|chacun|habitants|public"),
]
_AUDIENCE_PATTERNS = [(code, re.compile(rf"\b(?:{words})\b")) for code, words in _AUDIENCE_WORDS]
# "à Givry", "sur Chalon", "près de Tournus", "autour de Mâcon et Cluny": the place at the end of a message.
_PLACE = re.compile(r"\b(?:a|au|sur|pres de|pres d|vers|autour de|autour d|dans le secteur de|secteur)\s+(.+)$")
# Between communes; not the "-et-" inside a name.
_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\s(?:et|ou)\s)\s*", re.IGNORECASE)
_WEBSITE = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")


def category_from_text(text: str) -> Optional[str]:
    """The category a message's words name ("taxi", "livrer des courses"), or None."""
    return first_match(text, _CATEGORY_PATTERNS)


def audience_from_text(text: str) -> Optional[str]:
    """Who the initiative is for, as a message says it ("pour les soignants"), or None."""
    return first_match(text, _AUDIENCE_PATTERNS)


def communes_in_answer(directory: CommuneDirectory, text: str) -> Tuple[List[Commune], List[str], Optional[str]]:
    """The communes an answer names ("Givry et Buxy", "71640, Buxy"): those found exactly, the parts not
    understood, and the first problem's French sentence (or None)."""
    found: List[Commune] = []
    unclear: List[str] = []
    message = None
    for part in _SEPARATORS.split(text or ""):
        if not part.strip():
            continue
        match = directory.match(part)
        if match.is_exact:
            if match.commune not in found:
                found.append(match.commune)
        else:
            unclear.append(part.strip())
            message = message or match.message
    return found[:MAX_COMMUNES], unclear, message


def communes_in_message(directory: CommuneDirectory, text: str) -> List[Commune]:
    """The communes a request names at its end ("… pour les soignants à Givry"), only when sure."""
    words = normalize_text(text)
    place = _PLACE.search(words)
    while place is not None:
        found, unclear, _ = communes_in_answer(directory, place.group(1))
        if found and not unclear:
            return found
        place = _PLACE.search(words, place.start(1))
    return []


def contact_from_text(text: str) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """The phone (E.164) and the website an answer gives, and why it is not usable (French) when neither is."""
    text = text or ""
    phone = parse_french_phone(text)
    without_mail = _EMAIL.sub(" ", text)
    site = _WEBSITE.search(without_mail)
    website = site.group(0).rstrip(".,;") if site and not re.fullmatch(r"[\d .]+", site.group(0)) else None
    if phone.ok or website:
        return (phone.e164 if phone.ok else None), website, None
    if len(re.findall(r"\d", text)) >= 4:
        return None, None, phone.message
    return None, None, (
        "Je n’ai trouvé ni numéro de téléphone ni site internet : écrivez le contact à publier, "
        "par exemple « 06 12 34 56 78 » ou « www.mon-site.fr »."
    )
