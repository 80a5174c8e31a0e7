"""The department's communes as the gateway reads them: found by what staff type, and how near two of them are,
from the shipped files (data/communes-71.csv and its territories)."""

from pathlib import Path

import pytest

from bot.shared.communes import CommuneTable

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture(scope="module")
def communes() -> CommuneTable:
    return CommuneTable.load(DATA / "communes-71.csv")


def code(communes: CommuneTable, name: str) -> str:
    (found,) = communes.find(name)
    return found.insee_code


def test_every_commune_is_read_with_its_territories(communes: CommuneTable) -> None:
    assert len(communes.communes) == 564
    givry = communes.by_code("71221")
    assert givry is not None and givry.name == "Givry"
    assert givry.epci_name == "CA Le Grand Chalon" and givry.arrondissement == "712"
    # The one commune the territories' package no longer lists keeps none, and is still found.
    without = [c for c in communes.communes if c.epci_code is None]
    assert len(without) == 1 and without[0].arrondissement is None


@pytest.mark.parametrize(
    ("origin", "other", "nearness"),
    [
        ("Givry", "Givry", 0),
        ("Marigny", "Montceau-les-Mines", 1),  # they share the postcode 71300
        ("Givry", "Chalon-sur-Saône", 2),  # Le Grand Chalon
        ("Givry", "Tournus", 4),  # another arrondissement (Mâcon)
        ("Givry", "Mâcon", 4),
        ("Chagny", "Chalon-sur-Saône", 3),  # Chagny is in Beaune's agglomeration, Chalon's arrondissement
    ],
)
def test_nearness_is_what_two_communes_share(communes: CommuneTable, origin: str, other: str, nearness: int) -> None:
    assert communes.nearness(code(communes, origin), code(communes, other)) == nearness


def test_same_arrondissement_is_nearer_than_the_rest_of_the_department(communes: CommuneTable) -> None:
    chalon_arrondissement = [
        c for c in communes.communes if c.arrondissement == "712" and c.epci_code != communes.by_code("71221").epci_code
    ]
    assert chalon_arrondissement
    assert communes.nearness("71221", chalon_arrondissement[0].insee_code) in (1, 3)


def test_an_unknown_code_is_only_in_the_department(communes: CommuneTable) -> None:
    assert communes.nearness("71221", "99999") == 4


def test_a_table_without_territories_file_still_loads(tmp_path: Path) -> None:
    (tmp_path / "communes-21.csv").write_text("insee_code,name,postcodes\n21231,Dijon,21000\n21000,Ailleurs,21000\n",
                                              encoding="utf-8")
    table = CommuneTable.load(tmp_path / "communes-21.csv")
    assert table.by_code("21231").epci_code is None
    assert table.nearness("21231", "21000") == 1
