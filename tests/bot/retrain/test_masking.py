"""Personal data masked out of artisans' messages before they can become training data."""

from __future__ import annotations

import pytest

from bot.retrain.masking import EMAIL, IBAN, NAME, NUMBER, PHONE, mask


@pytest.mark.parametrize(
    "written",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "03 85 21 00 00",
        "+44 20 7946 0958",
        "06 12 34 56 7",  # a digit short: the safety net still takes it
    ],
)
def test_phone_numbers_never_remain(written: str) -> None:
    masked = mask(f"rappelez-moi au {written} svp")
    assert masked == f"rappelez-moi au {PHONE} svp"


def test_email_iban_siret_and_siren() -> None:
    assert mask("écrivez à jean.dupont+cma@orange.fr merci") == f"écrivez à {EMAIL} merci"
    assert mask("mon IBAN FR76 3000 6000 0112 3456 7890 189") == f"mon IBAN {IBAN}"
    assert mask("siret 123 456 789 00012 et siren 123456789") == f"siret {NUMBER} et siren {NUMBER}"
    assert mask("SIRET: 12345678900012") == f"SIRET: {NUMBER}"


def test_amounts_dates_and_hours_stay() -> None:
    text = "PGE de 15 000 euros le 12/04/2020 à 14h, 3 salariés, code NAF 9602A"
    assert mask(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour je m'appelle Jean Dupont et je suis boulanger", f"Bonjour je m'appelle {NAME} et je suis boulanger"),
        ("je m’appelle jean dupont, j'ai une question", f"je m’appelle {NAME}, j'ai une question"),
        ("Je suis Marie Durand, coiffeuse à Mâcon", f"Je suis {NAME}, coiffeuse à Mâcon"),
        ("moi c'est Kévin, plombier", f"moi c'est {NAME}, plombier"),
        ("M. Dupont m'a dit d'appeler", f"M. {NAME} m'a dit d'appeler"),
        ("j'ai eu Mme Martin au téléphone", f"j'ai eu Mme {NAME} au téléphone"),
        ("Bonjour Madame Lefèvre", f"Bonjour Madame {NAME}"),
        ("Monsieur Jean-Pierre Léger", f"Monsieur {NAME}"),
        ("Merci.\nCordialement,\nJean-Pierre Léger", f"Merci.\nCordialement,\n{NAME}"),
        ("Bien à vous, paul martin", f"Bien à vous, {NAME}"),
        ("Merci beaucoup, Sophie", f"Merci beaucoup, {NAME}"),
    ],
)
def test_recognisable_names_are_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "je suis boulanger à Tournus",
        "Je suis Boulanger",
        "je suis Artisan et je suis inquiet",
        "je suis en difficulté",
        "Monsieur le maire a fermé le marché",
        "merci infiniment",
        "je suis la CMA sur Facebook",
        "Cordialement",
    ],
)
def test_ordinary_words_stay(text: str) -> None:
    assert mask(text) == text


def test_the_platform_display_name_is_masked_as_a_whole_word_in_any_case() -> None:
    names = ["Marie Dupré"]
    assert mask("bonjour, MARIE ici, et mon mari Paul dupré aussi", names) == f"bonjour, {NAME} ici, et mon mari Paul {NAME} aussi"
    assert mask("Mariette a une question", names) == "Mariette a une question"
    # A shop's profile name: the trade in it stays a word, the family name goes.
    assert mask("la boulangerie de martin est fermée", ["Boulangerie Martin"]) == f"la boulangerie de {NAME} est fermée"


def test_tokens_use_angle_quotes_never_square_brackets() -> None:
    masked = mask("Je m'appelle Luc Petit, luc@petit.fr, 06 12 34 56 78, FR76 3000 6000 0112 3456 7890 189")
    assert "[" not in masked and "]" not in masked
    assert masked == f"Je m'appelle {NAME}, {EMAIL}, {PHONE}, {IBAN}"


def test_a_name_the_message_gives_is_masked_wherever_it_repeats() -> None:
    text = "je m'appelle Paul Girard. Girard, c'est avec un d. paul"
    assert mask(text) == f"je m'appelle {NAME}. {NAME}, c'est avec un d. {NAME}"
