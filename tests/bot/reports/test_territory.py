"""Territories as an admin types them (the department, an EPCI, communes) and as a partner's account holds them."""

from __future__ import annotations

import pytest

from bot.reports.territory import BadTerritory, Territory, epci_choices
from tests.bot.reports.conftest import CHALON, COMMUNES, GIVRY, GRAND_CHALON, MACON, MERCUREY


@pytest.mark.parametrize("spec", ["departement", "Département", "71", "tout", " Saône-et-Loire "])
def test_the_whole_department(spec: str) -> None:
    territory = Territory.parse(spec, COMMUNES)
    assert territory == Territory("Saône-et-Loire", None) == Territory.whole_department()
    assert territory.contains(CHALON) and territory.contains(None)


@pytest.mark.parametrize("spec", [f"epci:{GRAND_CHALON}", "CA Le Grand Chalon", "ca le grand chalon"])
def test_an_epci_is_its_communes(spec: str) -> None:
    territory = Territory.parse(spec, COMMUNES)
    assert territory.label == "CA Le Grand Chalon"
    assert len(territory.communes) == 51
    assert {CHALON, GIVRY, MERCUREY} <= territory.communes
    assert not territory.contains(MACON) and not territory.contains(None)
    assert territory.epcis(COMMUNES) == [(GRAND_CHALON, "CA Le Grand Chalon")]


def test_communes_by_name_or_code() -> None:
    territory = Territory.parse("Givry, mercurey , 71270", COMMUNES)
    assert territory == Territory("Givry, Mercurey, Mâcon", frozenset({GIVRY, MERCUREY, MACON}))
    assert [name for _, name in territory.epcis(COMMUNES)] == [
        "CA Le Grand Chalon", "CA Mâconnais Beaujolais Agglomération",
    ]


def test_a_long_list_is_labelled_by_its_first_communes() -> None:
    territory = Territory.parse("Givry, Mercurey, Mâcon, Chalon-sur-Saône, Autun, Cluny", COMMUNES)
    assert territory.label == "Givry, Mercurey, Mâcon et 3 autres communes"
    assert len(territory.communes) == 6


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Givry, Paris, Lyon", "Communes inconnues en Saône-et-Loire : « Paris », « Lyon »."),
        ("Gevry", "Commune inconnue en Saône-et-Loire : « Gevry »."),
        ("epci:123", "EPCI inconnu : « 123 » (le code SIREN de l'EPCI est attendu)."),
        ("", "Territoire vide : indiquez « departement », un EPCI ou des communes."),
        (" , ", "Territoire vide : indiquez « departement », un EPCI ou des communes."),
    ],
)
def test_what_is_not_understood_is_named(spec: str, message: str) -> None:
    with pytest.raises(BadTerritory) as refused:
        Territory.parse(spec, COMMUNES)
    assert refused.value.message == message


def test_a_partners_account() -> None:
    assert Territory.of_account(None, None) == Territory.whole_department()
    assert Territory.of_account([GIVRY, MERCUREY], "Givry, Mercurey") == Territory(
        "Givry, Mercurey", frozenset({GIVRY, MERCUREY})
    )


def test_every_epci_of_the_department() -> None:
    choices = epci_choices(COMMUNES)
    assert len(choices) == 20
    assert (GRAND_CHALON, "CA Le Grand Chalon") in choices
    assert Territory.whole_department().epcis(COMMUNES) == choices
