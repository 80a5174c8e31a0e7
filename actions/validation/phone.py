"""This module contains parse_french_phone, which reads a French phone number as artisans type it, and its result.

Validity is the ``phonenumbers`` library's (Google's libphonenumber metadata), never a home-made pattern: regular
expressions here only tidy the text (a letter O typed for a zero, slashes between digits) and pick which part of
a message to diagnose when no valid number was found.

Accepted: metropolitan and overseas numbers, written the usual ways ("06 12 34 56 78", "06.12.34.56.78",
"+33 6 12 34 56 78", "+33 (0)6 …", "0033 6 …", "33612345678", "0692 12 34 56"), alone or inside a sentence
("rappelez-moi au 06 12 34 56 78 svp"). Overseas numbers written the national way ("0262 …", "0590 …")
are not numbers of region FR for libphonenumber, so each overseas region is tried too, and wins for a landline
or mobile of its own: "0596 30 12 34" is a Martinique landline (+596 596 30 12 34), even though it would also
pass as a metropolitan number. Numbers are returned in E.164, as the gateway stores them.
"""

import re
from dataclasses import dataclass
from enum import Enum
from typing import Dict, List, Optional, Tuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberFormat, PhoneNumberType

__all__ = [
    "FRENCH_REGIONS",
    "PhoneKind",
    "PhoneProblem",
    "PhoneResult",
    "format_french",
    "parse_french_phone",
]

# Metropolitan France first, then the overseas departments: Réunion, Mayotte, Guadeloupe, Martinique, Guyane.
# Saint-Barthélemy and Saint-Martin share Guadeloupe's +590 plan, so libphonenumber may name them.
OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF")
FRENCH_REGIONS = frozenset(("FR",) + OVERSEAS_REGIONS + ("BL", "MF"))

_EXAMPLE = "06 12 34 56 78"
_GEOGRAPHIC_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# A run of characters that can make up a written phone number, to diagnose when nothing valid was found.
_NUMBER_LIKE = re.compile(r"\+?\d[\d\s().\-/]*")
# "O6 12 34 56 78": a letter O typed for a zero, at the start of a group of digits.
_LETTER_O = re.compile(r"(?<![^\W\d_])[oO](?=[\s.\-]?\d)")
# "06/12/34/56/78": libphonenumber takes slashes for a date, so they become spaces.
_SLASH_BETWEEN_DIGITS = re.compile(r"(?<=\d)/(?=\d)")
_DIGIT_BEFORE = re.compile(r"\d[ .\-]?$")
_DIGIT_AFTER = re.compile(r"^[ .\-]?\d")


class PhoneKind(str, Enum):
    """What an adviser will call: a mobile (can also get an SMS) or a fixed line (landline or box)."""

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"


# 09 numbers are internet-box lines at home or in the workshop: an adviser calls them like a landline.
_CALLABLE_TYPES = {
    PhoneNumberType.MOBILE: PhoneKind.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneKind.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneKind.FIXED_LINE,
    PhoneNumberType.VOIP: PhoneKind.FIXED_LINE,
}


class PhoneProblem(str, Enum):
    """Why a message gave no usable number; each has its French sentence in ``PhoneResult.message``."""

    EMPTY = "empty"  # no digit at all: blank, or words only
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NOT_FRENCH_NUMBER = "not_french_number"
    INVALID = "invalid"  # the right length, but no such French number ("07 12 34 56 78", "04 00 00 00 00")
    SERVICE_NUMBER = "service_number"  # 08 numbers (free, shared cost, premium rate): not for a callback


_MESSAGES = {
    PhoneProblem.EMPTY: (
        f"Je n'ai pas trouvé de numéro de téléphone : pouvez-vous l'écrire en chiffres, par exemple {_EXAMPLE} ?"
    ),
    PhoneProblem.TOO_SHORT: f"Ce numéro semble incomplet : il faut 10 chiffres, par exemple {_EXAMPLE}.",
    PhoneProblem.TOO_LONG: f"Ce numéro a trop de chiffres : il en faut 10, par exemple {_EXAMPLE}.",
    PhoneProblem.NOT_FRENCH_NUMBER: (
        "Ce numéro n'est pas un numéro français : indiquez un numéro de France ou d'outre-mer, "
        f"par exemple {_EXAMPLE}."
    ),
    PhoneProblem.INVALID: f"Ce numéro n'existe pas : pouvez-vous le vérifier ? Par exemple {_EXAMPLE}.",
    PhoneProblem.SERVICE_NUMBER: (
        "C'est un numéro de service (08…) : indiquez plutôt un portable ou un fixe où un conseiller "
        "peut vous rappeler."
    ),
}


@dataclass(frozen=True)
class PhoneResult:
    """A number read from a message: ``e164`` and ``kind`` when it is usable, else ``reason`` and ``message``."""

    e164: Optional[str] = None
    kind: Optional[PhoneKind] = None
    reason: Optional[PhoneProblem] = None
    message: Optional[str] = None

    @property
    def ok(self) -> bool:
        """Tell whether a usable French number was found."""
        return self.e164 is not None

    @property
    def display(self) -> Optional[str]:
        """The number as a French reader writes it ("06 12 34 56 78"), or None."""
        return format_french(self.e164) if self.e164 is not None else None


def parse_french_phone(text: str) -> PhoneResult:
    """Find the first valid French number in ``text`` and say what is wrong when there is none."""
    if not text or not text.strip():
        return _problem(PhoneProblem.EMPTY)
    text = _LETTER_O.sub("0", text)
    text = _SLASH_BETWEEN_DIGITS.sub(" ", text)
    numbers = _valid_numbers(text)
    for number in numbers:
        if phonenumbers.region_code_for_number(number) in FRENCH_REGIONS:
            kind = _CALLABLE_TYPES.get(phonenumbers.number_type(number))
            if kind is None:
                return _problem(PhoneProblem.SERVICE_NUMBER)
            return PhoneResult(e164=phonenumbers.format_number(number, PhoneNumberFormat.E164), kind=kind)
    if numbers:
        return _problem(PhoneProblem.NOT_FRENCH_NUMBER)
    return _problem(_diagnose(text))


def format_french(e164: str) -> str:
    """Write a stored E.164 number for display: "06 12 34 56 78", "0692 12 34 56", or international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException as exc:
        raise ValueError(f"{e164!r} is not a phone number in E.164 form, e.g. +33612345678") from exc
    if phonenumbers.region_code_for_number(number) in FRENCH_REGIONS:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _valid_numbers(text: str) -> List[PhoneNumber]:
    """Valid numbers in the order they appear, each read the way that fits it best."""
    found: Dict[int, Tuple[Tuple[int, int], PhoneNumber]] = {}
    for preference, region in enumerate(("FR",) + OVERSEAS_REGIONS):
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            if _DIGIT_BEFORE.search(text[: match.start]) or _DIGIT_AFTER.search(text[match.end :]):
                continue  # Part of a longer run of digits: "06 12 34 56 78 9" is not 06 12 34 56 78.
            rank = _rank(match.number, region, preference)
            if match.start not in found or rank < found[match.start][0]:
                found[match.start] = (rank, match.number)
    return [number for _, (_, number) in sorted(found.items())]


def _rank(number: PhoneNumber, region: str, preference: int) -> Tuple[int, int]:
    # An overseas reading wins when it is a landline or mobile of that region: "0596 …" is Martinique.
    # Otherwise metropolitan France first ("0800 …" is a French free number, not Réunion's).
    own_overseas_line = (
        region in OVERSEAS_REGIONS
        and phonenumbers.region_code_for_number(number) in FRENCH_REGIONS - {"FR"}
        and phonenumbers.number_type(number) in _GEOGRAPHIC_TYPES
    )
    return (0 if own_overseas_line else 1, preference)


def _diagnose(text: str) -> PhoneProblem:
    """Say why the most number-like part of ``text`` is not a valid number."""
    candidates = _NUMBER_LIKE.findall(text)
    if not candidates:
        return PhoneProblem.EMPTY
    candidate = max(candidates, key=lambda run: sum(char.isdigit() for char in run))
    try:
        number = phonenumbers.parse(candidate, "FR")
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return PhoneProblem.NOT_FRENCH_NUMBER
        if exc.error_type == NumberParseException.TOO_LONG:
            return PhoneProblem.TOO_LONG
        return PhoneProblem.TOO_SHORT  # NOT_A_NUMBER here means a single digit or two; the TOO_SHORT errors.
    region = phonenumbers.region_code_for_country_code(number.country_code)
    if region not in FRENCH_REGIONS:
        return PhoneProblem.NOT_FRENCH_NUMBER
    # Compare with the lengths of the region's numbers (9 digits after the 0 or the country code). Not with
    # is_possible_number: for "06 12 34 56 7" libphonenumber keeps the 0 as a leading zero, finds 9 digits
    # and calls it possible. French numbers have no leading zero after the trunk 0, so leave one out.
    lengths = PhoneMetadata.metadata_for_region(region).general_desc.possible_length
    digits = len(phonenumbers.national_significant_number(number)) - (1 if number.italian_leading_zero else 0)
    if digits < min(lengths):
        return PhoneProblem.TOO_SHORT
    if digits > max(lengths):
        return PhoneProblem.TOO_LONG
    return PhoneProblem.INVALID


def _problem(reason: PhoneProblem) -> PhoneResult:
    return PhoneResult(reason=reason, message=_MESSAGES[reason])
