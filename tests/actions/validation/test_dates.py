"""Tests of parse_end_date: French dates ("30 juin", "fin mai", "dans 2 semaines", "31/05/2026"), none past, none
beyond the limit."""

from datetime import date

import pytest

from actions.validation.dates import format_date, parse_end_date

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    "text, value",
    [
        ("30 avril", date(2027, 4, 30)),  # next April
        ("le 31 décembre", date(2026, 12, 31)),
        ("jusqu'au 1er février 2027", date(2027, 2, 1)),
        ("fin mai", date(2027, 5, 31)),
        ("fin décembre", date(2026, 12, 31)),
        ("fin du mois", date(2026, 12, 31)),
        ("dans 2 semaines", date(2026, 12, 18)),
        ("dans deux semaines", date(2026, 12, 18)),
        ("dans 10 jours", date(2026, 12, 14)),
        ("dans 3 mois", date(2027, 3, 4)),
        ("31/05/2027", date(2027, 5, 31)),
        ("15/01", date(2027, 1, 15)),
        ("15.01.27", date(2027, 1, 15)),
        ("demain", date(2026, 12, 5)),
        ("aujourd'hui", TODAY),
        ("Fin Janvier", date(2027, 1, 31)),
    ],
)
def test_french_dates(text, value):
    assert parse_end_date(text, TODAY, 183).value == value


def test_a_past_date_is_refused():
    result = parse_end_date("31/05/2026", TODAY, 183)
    assert not result.ok
    assert result.message == "Cette date est déjà passée : jusqu’à quand votre initiative dure-t-elle ?"


def test_a_date_too_far_ahead_is_refused_with_the_limit():
    assert parse_end_date("dans 8 mois", TODAY, 183).message == parse_end_date("30 juin", TODAY, 183).message
    result = parse_end_date("dans 8 mois", TODAY, 183)
    assert result.message == (
        "C’est trop loin : une initiative est publiée au plus jusqu’au 5 juin 2027. "
        "Donnez une date plus proche (vous pourrez la prolonger ensuite)."
    )


@pytest.mark.parametrize("text", ["bientôt", "quand ça ira mieux", "", "32/13/2027", "30 février 2027"])
def test_what_is_not_a_date_is_asked_again(text):
    result = parse_end_date(text, TODAY, 183)
    assert not result.ok and result.message.startswith("Je n’ai pas compris cette date")


def test_format_date():
    assert format_date(date(2027, 7, 1)) == "1er juillet 2027"
    assert format_date(date(2027, 8, 15)) == "15 août 2027"
