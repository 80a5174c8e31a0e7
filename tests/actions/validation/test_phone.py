"""Tests of parse_french_phone and format_french: every usual French way of writing a number, and the refusals."""

import pytest

from actions.validation.phone import PhoneKind, PhoneProblem, format_french, parse_french_phone

MOBILE, FIXED = PhoneKind.MOBILE, PhoneKind.FIXED_LINE


@pytest.mark.parametrize(
    "text, e164, kind",
    [
        ("06 12 34 56 78", "+33612345678", MOBILE),
        ("06.12.34.56.78", "+33612345678", MOBILE),
        ("06-12-34-56-78", "+33612345678", MOBILE),
        ("0612345678", "+33612345678", MOBILE),
        ("0612 345 678", "+33612345678", MOBILE),
        ("06/12/34/56/78", "+33612345678", MOBILE),
        ("+33 6 12 34 56 78", "+33612345678", MOBILE),
        ("+33612345678", "+33612345678", MOBILE),
        ("+33 (0)6 12 34 56 78", "+33612345678", MOBILE),
        ("+33 06 12 34 56 78", "+33612345678", MOBILE),
        ("0033 6 12 34 56 78", "+33612345678", MOBILE),
        ("33612345678", "+33612345678", MOBILE),
        ("O6 12 34 56 78", "+33612345678", MOBILE),  # letter O typed for a zero
        ("07 58 12 34 56", "+33758123456", MOBILE),
        ("03 85 21 90 00", "+33385219000", FIXED),
        ("01 23 45 67 89", "+33123456789", FIXED),
        ("09 51 23 45 67", "+33951234567", FIXED),  # internet box line
        # Overseas departments, written the national way: each region's own plan, not +33.
        ("0262 16 12 34", "+262262161234", FIXED),  # Réunion
        ("0692 12 34 56", "+262692123456", MOBILE),
        ("0590 20 12 34", "+590590201234", FIXED),  # Guadeloupe
        ("0690 00 12 34", "+590690001234", MOBILE),
        ("0596 30 12 34", "+596596301234", FIXED),  # Martinique, also a possible metropolitan number
        ("0696 20 12 34", "+596696201234", MOBILE),
        ("0594 10 12 34", "+594594101234", FIXED),  # Guyane
        ("0694 20 12 34", "+594694201234", MOBILE),
        ("0269 60 12 34", "+262269601234", FIXED),  # Mayotte
        ("0639 01 23 45", "+262639012345", MOBILE),
        ("+262 692 12 34 56", "+262692123456", MOBILE),
        # Inside a sentence.
        ("rappelez moi au 06 12 34 56 78 svp", "+33612345678", MOBILE),
        ("mon numéro c'est le 03.85.21.90.00 merci", "+33385219000", FIXED),
        ("Tel: +33 6 12 34 56 78.", "+33612345678", MOBILE),
        ("0612345678 ou sinon 0385219000", "+33612345678", MOBILE),  # the first one
        ("le 15 avril au 06 12 34 56 78", "+33612345678", MOBILE),
    ],
)
def test_usual_french_numbers_are_stored_in_e164(text, e164, kind):
    result = parse_french_phone(text)

    assert result.ok
    assert (result.e164, result.kind, result.reason, result.message) == (e164, kind, None, None)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", PhoneProblem.EMPTY),
        ("   ", PhoneProblem.EMPTY),
        ("abc", PhoneProblem.EMPTY),
        ("je ne veux pas le donner", PhoneProblem.EMPTY),
        ("06 12 34", PhoneProblem.TOO_SHORT),
        ("01 23", PhoneProblem.TOO_SHORT),
        ("1", PhoneProblem.TOO_SHORT),
        ("+33 6 12 34", PhoneProblem.TOO_SHORT),
        ("0692 12 34", PhoneProblem.TOO_SHORT),
        ("+262 692 12 34", PhoneProblem.TOO_SHORT),
        ("au 06 12 34 56 svp", PhoneProblem.TOO_SHORT),
        ("06 12 34 56 7", PhoneProblem.TOO_SHORT),  # nine digits
        ("0692 12 34 5", PhoneProblem.TOO_SHORT),
        ("+262 692 12 34 567", PhoneProblem.TOO_LONG),
        ("06123456789", PhoneProblem.TOO_LONG),
        ("06 12 34 56 78 9", PhoneProblem.TOO_LONG),  # not 06 12 34 56 78 with a stray digit dropped
        ("06 12 34 56 78 90", PhoneProblem.TOO_LONG),
        ("+44 20 7946 0958", PhoneProblem.NOT_FRENCH_NUMBER),
        ("+1 212 555 0100", PhoneProblem.NOT_FRENCH_NUMBER),
        ("+999 1234", PhoneProblem.NOT_FRENCH_NUMBER),
        ("07 12 34 56 78", PhoneProblem.INVALID),  # 07 1x is not allocated
        ("04 00 00 00 00", PhoneProblem.INVALID),
        ("+33 7 12 34 56 78", PhoneProblem.INVALID),
        ("0800 12 34 56", PhoneProblem.SERVICE_NUMBER),
        ("0892 12 34 56", PhoneProblem.SERVICE_NUMBER),
    ],
)
def test_unusable_numbers_say_why(text, reason):
    result = parse_french_phone(text)

    assert not result.ok
    assert (result.e164, result.kind, result.reason) == (None, None, reason)
    assert result.message and result.message.endswith((".", "?"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("06 12 34", "Ce numéro semble incomplet : il faut 10 chiffres, par exemple 06 12 34 56 78."),
        ("06123456789", "Ce numéro a trop de chiffres : il en faut 10, par exemple 06 12 34 56 78."),
        (
            "+44 20 7946 0958",
            "Ce numéro n'est pas un numéro français : indiquez un numéro de France ou d'outre-mer, "
            "par exemple 06 12 34 56 78.",
        ),
        ("07 12 34 56 78", "Ce numéro n'existe pas : pouvez-vous le vérifier ? Par exemple 06 12 34 56 78."),
        (
            "abc",
            "Je n'ai pas trouvé de numéro de téléphone : pouvez-vous l'écrire en chiffres, "
            "par exemple 06 12 34 56 78 ?",
        ),
        (
            "0800 12 34 56",
            "C'est un numéro de service (08…) : indiquez plutôt un portable ou un fixe où un conseiller "
            "peut vous rappeler.",
        ),
    ],
)
def test_the_bot_says_what_to_fix_in_french(text, message):
    assert parse_french_phone(text).message == message


@pytest.mark.parametrize(
    "e164, shown",
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33385219000", "03 85 21 90 00"),
        ("+262692123456", "0692 12 34 56"),
        ("+596596301234", "0596 30 12 34"),
        ("+442079460958", "+44 20 7946 0958"),  # abroad: international form
    ],
)
def test_format_french_shows_the_number_as_written_in_france(e164, shown):
    assert format_french(e164) == shown


def test_a_result_shows_its_number_for_the_confirmation():
    assert parse_french_phone("+33 (0)6 12 34 56 78").display == "06 12 34 56 78"
    assert parse_french_phone("06 12").display is None


def test_format_french_refuses_what_is_not_a_number():
    with pytest.raises(ValueError, match="E.164"):
        format_french("not a number")
