"""Tests of parse_mask_quantity: digits, French number words, vague amounts and the accepted range."""

import pytest

from actions.validation.quantity import QuantityStatus, parse_mask_quantity

OK, VAGUE, OUT, NONE = QuantityStatus.OK, QuantityStatus.VAGUE, QuantityStatus.OUT_OF_RANGE, QuantityStatus.NONE
ASK_PRECISE = "Pouvez-vous donner un nombre précis de masques, par exemple 300 ?"
ASK_ONE = "Pouvez-vous donner un seul nombre de masques, par exemple 300 ?"
ASK_WHOLE = "Pouvez-vous donner un nombre entier de masques, par exemple 300 ?"
ASK_DIGITS = "Je n'ai pas compris combien de masques : écrivez le nombre en chiffres, par exemple 300."
TOO_FEW = "Il faut au moins 1 masque : combien pouvez-vous en donner ?"
TOO_MANY = "Je peux enregistrer jusqu'à 100 000 masques : combien pouvez-vous en donner ?"


@pytest.mark.parametrize(
    "text, value",
    [
        # Digits, with spaces or dots between thousands.
        ("300", 300),
        ("2 000", 2000),
        ("2.000", 2000),
        ("2\u00a0000", 2000),  # no-break space, as phones type it
        ("1500 masques", 1500),
        ("1500masques", 1500),
        ("12 300", 12300),
        ("2k", 2000),
        ("2 mille", 2000),
        ("300 masques FFP2", 300),  # the mask type is not a number of masks
        ("environ 300", 300),
        ("je peux en donner 300 !", 300),
        ("beaucoup, 300", 300),
        ("300, oui 300", 300),
        # French number words.
        ("trois cents", 300),
        ("Trois Cents masques", 300),
        ("deux mille", 2000),
        ("deux milles", 2000),
        ("mille cinq cents", 1500),
        ("vingt-cinq", 25),
        ("vingt cinq", 25),
        ("cent", 100),
        ("quatre-vingt-dix", 90),
        ("quatre vingt dix", 90),
        ("soixante et onze", 71),
        ("soixante-et-onze", 71),
        ("cinq cent", 500),
        ("j'ai trois cent cinquante masques", 350),
        ("deux masques", 2),
        ("un masque", 1),
        ("une seule", 1),
        # The bounds.
        ("1", 1),
        ("100000", 100000),
        ("100 000", 100000),
        ("cent mille", 100000),
    ],
)
def test_a_number_of_masks_is_read(text, value):
    result = parse_mask_quantity(text)

    assert (result.status, result.value, result.message) == (OK, value, None)
    assert result.ok


@pytest.mark.parametrize(
    "text, message",
    [
        ("une centaine", ASK_PRECISE),
        ("quelques centaines", ASK_PRECISE),
        ("deux centaines", ASK_PRECISE),
        ("un millier", ASK_PRECISE),
        ("une dizaine de masques", ASK_PRECISE),
        ("plein", ASK_PRECISE),
        ("beaucoup", ASK_PRECISE),
        ("j'en ai pas mal", ASK_PRECISE),
        ("quelques masques", ASK_PRECISE),
        ("200 ou 300", ASK_ONE),
        ("entre deux cents et trois cents", ASK_ONE),
        ("1,5", ASK_WHOLE),
        ("2.5", ASK_WHOLE),
    ],
)
def test_a_vague_amount_asks_for_a_number(text, message):
    result = parse_mask_quantity(text)

    assert (result.status, result.value, result.message) == (VAGUE, None, message)


@pytest.mark.parametrize(
    "text, value, message",
    [
        ("0", 0, TOO_FEW),
        ("zéro", 0, TOO_FEW),
        ("zero", 0, TOO_FEW),
        ("-5", -5, TOO_FEW),
        ("moins cinq", -5, TOO_FEW),
        ("100001", 100001, TOO_MANY),
        ("100 001", 100001, TOO_MANY),
        ("cent mille un", 100001, TOO_MANY),
        ("un million", 1000000, TOO_MANY),
    ],
)
def test_a_number_outside_1_to_100000_is_refused(text, value, message):
    result = parse_mask_quantity(text)

    assert (result.status, result.value, result.message) == (OUT, value, message)
    assert not result.ok


@pytest.mark.parametrize("text", ["", "   ", "bonjour", "je ne sais pas", "des masques", "FFP2"])
def test_no_number_at_all_asks_for_digits(text):
    assert parse_mask_quantity(text) == parse_mask_quantity("")
    assert (parse_mask_quantity(text).status, parse_mask_quantity(text).message) == (NONE, ASK_DIGITS)


def test_the_range_is_a_parameter():
    assert parse_mask_quantity("50", minimum=100).message == (
        "Il faut au moins 100 masques : combien pouvez-vous en donner ?"
    )
    assert parse_mask_quantity("2 000", maximum=1000).message == (
        "Je peux enregistrer jusqu'à 1 000 masques : combien pouvez-vous en donner ?"
    )
