"""This package contains the pure validators of the forms' answers: phone numbers, communes, mask quantities.

Nothing here imports Rasa: a form's ``validate_<slot>`` calls a parser, keeps the value it returns (an E.164
number, an INSEE code, a count) or says the French sentence of the result and sets the slot to None.
"""

from actions.validation.communes import (
    Commune,
    CommuneDataError,
    CommuneDirectory,
    CommuneMatch,
    CommuneMatchStatus,
    CommuneProblem,
)
from actions.validation.phone import PhoneKind, PhoneProblem, PhoneResult, format_french, parse_french_phone
from actions.validation.quantity import MAX_MASKS, MIN_MASKS, QuantityResult, QuantityStatus, parse_mask_quantity

__all__ = [
    "Commune",
    "CommuneDataError",
    "CommuneDirectory",
    "CommuneMatch",
    "CommuneMatchStatus",
    "CommuneProblem",
    "MAX_MASKS",
    "MIN_MASKS",
    "PhoneKind",
    "PhoneProblem",
    "PhoneResult",
    "QuantityResult",
    "QuantityStatus",
    "format_french",
    "parse_french_phone",
    "parse_mask_quantity",
]
