"""This module contains the words of the solidarity initiatives that both sides share: the categories, the
audiences, the limits of a proposal, and the initiative's reference (INI-000123).

Pure standard library, Python 3.10: the action server imports it too.
"""

import re
from typing import Dict, Optional

__all__ = [
    "AUDIENCES",
    "CATEGORIES",
    "MAX_COMMUNES",
    "MAX_DAYS_AHEAD",
    "MAX_DESCRIPTION_CHARS",
    "MIN_DESCRIPTION_CHARS",
    "SILENCE_RETIRES_AFTER_DAYS",
    "STILL_CURRENT_AFTER_DAYS",
    "initiative_id",
    "initiative_reference",
]

CATEGORIES: Dict[str, str] = {
    "transport": "Transport",
    "courses": "Courses et livraison",
    "repas": "Repas",
    "masques": "Masques et protection",
    "garde": "Garde d'enfants",
    "materiel": "Matériel et locaux",
    "demarches": "Aide aux démarches",
    "autre": "Autre",
}
AUDIENCES: Dict[str, str] = {
    "tous": "Tout le monde",
    "soignants": "Soignants",
    "fragiles": "Personnes âgées ou fragiles",
    "artisans": "Artisans",
}
MAX_DESCRIPTION_CHARS = 500
MIN_DESCRIPTION_CHARS = 10
MAX_COMMUNES = 10
# How far ahead an initiative may end (about six months).
MAX_DAYS_AHEAD = 183
# An approved initiative's proposer is asked whether it still runs this long after its approval or their last "yes"...
STILL_CURRENT_AFTER_DAYS = 14
# ... and it is retired when they do not answer within this many days.
SILENCE_RETIRES_AFTER_DAYS = 7

_REFERENCE = re.compile(r"^\s*ini-?0*(\d{1,9})\s*$", re.IGNORECASE)


def initiative_reference(initiative_id: int) -> str:
    """The reference an artisan and staff read: INI-000123."""
    return f"INI-{initiative_id:06d}"


def initiative_id(reference: str) -> Optional[int]:
    """The id a reference names ("INI-000123", "ini-123"), or None when it names none."""
    match = _REFERENCE.match(reference or "")
    if match is None or int(match.group(1)) == 0:
        return None
    return int(match.group(1))
