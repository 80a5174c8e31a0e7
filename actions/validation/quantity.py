"""This module contains parse_mask_quantity, which reads how many masks an artisan offers, and its result.

Numbers come in digits ("300", "2 000", "2.000", "1500 masques", "2k") or in French words ("trois cents",
"mille cinq cents", "quatre-vingt-dix", "soixante et onze"), which ``text2num`` turns into digits. An amount
that is not a number ("une centaine", "quelques centaines", "un millier", "plein", "beaucoup"), or two
different numbers ("200 ou 300"), is vague: the form asks again for one number.
"""

import re
from dataclasses import dataclass
from enum import Enum
from typing import List, Optional

from text_to_num import alpha2digit

__all__ = [
    "MAX_MASKS",
    "MIN_MASKS",
    "QuantityResult",
    "QuantityStatus",
    "parse_mask_quantity",
]

MIN_MASKS = 1
MAX_MASKS = 100_000

# Approximate amounts: "une centaine" is not 100, "deux centaines" is not 2.
_APPROXIMATE_NOUNS = re.compile(
    r"\b(?:dizaines?|douzaines?|quinzaines?|vingtaines?|trentaines?|quarantaines?|cinquantaines?"
    r"|soixantaines?|centaines?|milliers?)\b"
)
# Amounts without a number: vague only when no number comes with them ("beaucoup, 300" is 300).
_VAGUE_WORDS = re.compile(
    r"\b(?:quelques?|plusieurs|plein|beaucoup|pas mal|un tas|des tas|tas|masse|enormement|énormément"
    r"|un peu|certains?|bcp|max|maximum|autant)\b"
)
_THOUSANDS_WORD = re.compile(r"(?<![^\W\d_])(\d+)\s*(?:mille|milles|k)\b")
_ZERO = re.compile(r"\bz[ée]ro\b")
# Thousands written with spaces, dots or apostrophes between groups of three digits: "2 000", "2.000".
_GROUPED_DIGITS = re.compile(r"(?<!\d)\d{1,3}(?:[ .'’]\d{3})+(?!\d)")
# A whole number, not glued to a preceding letter ("FFP2", "KN95" are mask types), with its sign when one is
# written ("-5", "moins 5").
_NUMBER = re.compile(r"(?<![^\W\d_])(?P<sign>-(?=\d)|moins\s+)?(?P<digits>\d+)")
# "1,5" or "2.5": a decimal number (thousands groups have three digits: "2.000").
_DECIMAL = re.compile(r"(?<![\d.,])\d+[.,]\d{1,2}(?![\d.,])")
_SPACES = re.compile(r"[\u00a0\u202f\u2009]")


class QuantityStatus(str, Enum):
    """How a message gave a number of masks."""

    OK = "ok"
    VAGUE = "vague"
    OUT_OF_RANGE = "out_of_range"
    NONE = "none"


@dataclass(frozen=True)
class QuantityResult:
    """The number read (``value``, also given when out of range) and the French sentence to ask again."""

    status: QuantityStatus
    value: Optional[int] = None
    message: Optional[str] = None

    @property
    def ok(self) -> bool:
        """Tell whether the number is one the form can keep."""
        return self.status is QuantityStatus.OK


def parse_mask_quantity(text: str, minimum: int = MIN_MASKS, maximum: int = MAX_MASKS) -> QuantityResult:
    """Read a number of masks between ``minimum`` and ``maximum`` from an artisan's message."""
    text = _SPACES.sub(" ", (text or "").casefold()).strip()
    if _APPROXIMATE_NOUNS.search(text):
        return _vague("Pouvez-vous donner un nombre précis de masques, par exemple 300 ?")
    if _DECIMAL.search(text):
        return _vague("Pouvez-vous donner un nombre entier de masques, par exemple 300 ?")
    values = _numbers(text)
    if not values:
        if _VAGUE_WORDS.search(text):
            return _vague("Pouvez-vous donner un nombre précis de masques, par exemple 300 ?")
        return QuantityResult(
            QuantityStatus.NONE,
            message="Je n'ai pas compris combien de masques : écrivez le nombre en chiffres, par exemple 300.",
        )
    if len(set(values)) > 1:
        return _vague("Pouvez-vous donner un seul nombre de masques, par exemple 300 ?")
    value = values[0]
    if value < minimum:
        return QuantityResult(
            QuantityStatus.OUT_OF_RANGE,
            value=value,
            message=f"Il faut au moins {_french(minimum)} masque{'s' if minimum > 1 else ''} : "
            "combien pouvez-vous en donner ?",
        )
    if value > maximum:
        return QuantityResult(
            QuantityStatus.OUT_OF_RANGE,
            value=value,
            message=f"Je peux enregistrer jusqu'à {_french(maximum)} masques : combien pouvez-vous en donner ?",
        )
    return QuantityResult(QuantityStatus.OK, value=value)


def _numbers(text: str) -> List[int]:
    """Every whole number in ``text``, words turned into digits, in order."""
    text = _ZERO.sub("0", text)
    # Join the artisan's own thousands groups first: numbers text2num writes are only ever separated by
    # spaces ("deux cents, trois cents" becomes "200, 300"), never to be joined.
    text = _GROUPED_DIGITS.sub(lambda match: re.sub(r"\D", "", match.group()), text)
    # "2 mille" before text2num, which would read it as 2 and 1000.
    text = _THOUSANDS_WORD.sub(lambda match: str(int(match.group(1)) * 1000), text)
    digits = alpha2digit(text, "fr")
    values = _read_digits(digits)
    if not values:
        # text2num leaves "un", "deux", "trois" alone by default, as "un" is mostly an article;
        # with no other number in the message they are the answer: "deux masques", "une seule".
        values = _read_digits(alpha2digit(text, "fr", threshold=0))
    return values


def _read_digits(text: str) -> List[int]:
    values = []
    for match in _NUMBER.finditer(text):
        value = int(match.group("digits"))
        values.append(-value if match.group("sign") else value)
    return values


def _vague(message: str) -> QuantityResult:
    return QuantityResult(QuantityStatus.VAGUE, message=message)


def _french(number: int) -> str:
    # French groups thousands with a space: 100 000.
    return f"{number:,}".replace(",", " ")
