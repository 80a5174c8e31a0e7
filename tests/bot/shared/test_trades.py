"""A trade as artisans write it, put in one of the crafts' four sectors."""

from __future__ import annotations

import pytest

from bot.shared.trades import TRADE_CATEGORIES, trade_category_of
from bot.storage.models import TradeCategory


def test_the_sectors_are_the_reports_trade_categories() -> None:
    assert set(TRADE_CATEGORIES) == {category.value for category in TradeCategory}


@pytest.mark.parametrize(
    "trade, category",
    [
        ("boulangère", "alimentation"),
        ("Boucherie-charcuterie", "alimentation"),
        ("patissier chocolatier", "alimentation"),
        ("maçon", "batiment"),
        ("electricien plombier", "batiment"),
        ("peintre en bâtiment", "batiment"),
        ("tailleur de pierre", "batiment"),
        ("CHAUFFAGISTE", "batiment"),
        ("ébéniste", "production"),
        ("bijoutière joaillière", "production"),
        ("prothésiste dentaire", "production"),
        ("salon de coiffure", "services"),
        ("je suis taxi a chalon", "services"),
        ("chauffeur de taxi", "services"),
        ("garagiste", "services"),
        ("esthéticienne", "services"),
    ],
)
def test_a_trade_written_freely_gets_its_sector(trade: str, category: str) -> None:
    assert trade_category_of(trade) == category


def test_the_first_trade_named_decides() -> None:
    assert trade_category_of("boulanger traiteur et aussi un peu de maçonnerie") == "alimentation"
    assert trade_category_of("ébéniste et menuisier") == "production"
    assert trade_category_of("menuisier et ébéniste") == "batiment"


@pytest.mark.parametrize("trade", [None, "", "   ", "consultant", "je sais pas", "12345"])
def test_an_unknown_trade_has_no_sector(trade: str | None) -> None:
    assert trade_category_of(trade) is None


def test_a_stem_matches_only_at_the_start_of_a_word() -> None:
    assert trade_category_of("champagne") is None  # "pain" is not inside another word
    assert trade_category_of("du pain") == "alimentation"
