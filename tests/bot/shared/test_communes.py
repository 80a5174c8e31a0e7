"""The department's communes as the gateway reads them: found by what staff type, and how near two of them are,
from the shipped files (data/communes-71.csv, its territories and its coordinates), and the script that makes the
coordinates (scripts/extract_coordinates.py)."""

import csv
import importlib.util
import math
from pathlib import Path

import pytest

from bot.shared.communes import Commune, CommuneTable, haversine_km

DATA = Path(__file__).resolve().parents[3] / "data"
_spec = importlib.util.spec_from_file_location("extract_coordinates", DATA.parent / "scripts" / "extract_coordinates.py")
extract_coordinates = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract_coordinates)


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


# Coordinates (data/communes-71-coordinates.csv, scripts/extract_coordinates.py): a point per commune, distances.


def test_every_commune_of_the_list_has_a_point_in_the_department(communes: CommuneTable) -> None:
    with open(DATA / "communes-71.csv", encoding="utf-8", newline="") as file:
        listed = [row["insee_code"] for row in csv.DictReader(file)]
    with open(DATA / "communes-71-coordinates.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["insee_code"] for row in rows] == listed  # same communes, same order
    assert all(len(row["latitude"].split(".")[1]) == 5 == len(row["longitude"].split(".")[1]) for row in rows)
    for commune in communes.communes:
        assert commune.latitude is not None and commune.longitude is not None, commune.insee_code
        assert 46.1 < commune.latitude < 47.2 and 3.6 < commune.longitude < 5.5, commune.insee_code


@pytest.mark.parametrize(
    ("origin", "other", "low", "high"),
    [
        ("Givry", "Chalon-sur-Saône", 7, 10),  # centroids: 7.7 km (the town halls are about 8.4 km apart)
        ("Mâcon", "Chalon-sur-Saône", 48, 56),
        ("Autun", "Mâcon", 75, 85),
        ("Marigny", "Montceau-les-Mines", 5, 20),
    ],
)
def test_distance_between_two_communes(communes: CommuneTable, origin: str, other: str, low: int, high: int) -> None:
    km = communes.distance_km(code(communes, origin), code(communes, other))
    assert km is not None and low <= km <= high
    assert communes.distance_km(code(communes, other), code(communes, origin)) == pytest.approx(km)
    assert communes.distance_km(code(communes, origin), code(communes, origin)) == 0


def test_distance_is_none_for_an_unknown_commune_or_without_coordinates(communes: CommuneTable, tmp_path: Path) -> None:
    assert communes.distance_km("71221", "99999") is None
    (tmp_path / "communes-21.csv").write_text("insee_code,name,postcodes\n21231,Dijon,21000\n21054,Beaune,21200\n",
                                              encoding="utf-8")
    assert CommuneTable.load(tmp_path / "communes-21.csv").distance_km("21231", "21054") is None
    # A partial or broken coordinates file: the communes it gives a point have one, the others none.
    (tmp_path / "communes-21-coordinates.csv").write_text(
        "insee_code,latitude,longitude\n21231,47.32361,5.03758\n21054,,4.8\n", encoding="utf-8")
    table = CommuneTable.load(tmp_path / "communes-21.csv")
    assert table.by_code("21231").latitude == pytest.approx(47.32361)
    assert table.by_code("21054").latitude is None and table.distance_km("21231", "21054") is None


def test_the_constructor_without_coordinates_still_works() -> None:
    table = CommuneTable([Commune("71221", "Givry", ("71640",)), Commune("71076", "Chalon-sur-Saône", ("71100",))])
    assert table.distance_km("71221", "71076") is None
    assert table.by_code("71221").latitude is None


def test_haversine_km_knows_a_degree_of_latitude() -> None:
    assert haversine_km(46.0, 4.5, 47.0, 4.5) == pytest.approx(111.2, abs=0.1)
    assert haversine_km(46.5, 4.0, 46.5, 5.0) == pytest.approx(76.5, abs=0.2)  # shrunk by cos(46.5°)


SQUARE = [[[4.0, 46.0], [4.2, 46.0], [4.2, 46.2], [4.0, 46.2], [4.0, 46.0]]]


def feature(code_: str, coordinates, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": {"code": code_, "nom": code_},
            "geometry": {"type": kind, "coordinates": coordinates}}


def test_the_script_takes_the_centroid_with_holes_and_merged_communes() -> None:
    holed = [SQUARE[0], [[4.0, 46.0], [4.1, 46.0], [4.1, 46.1], [4.0, 46.1], [4.0, 46.0]]]  # a quarter cut out
    east = [[[4.2, 46.0], [4.4, 46.0], [4.4, 46.2], [4.2, 46.2], [4.2, 46.0]]]
    rows, ignored = extract_coordinates.commune_points(
        ["71001", "71002", "71003"],
        [feature("71001", SQUARE), feature("71002", holed), feature("71003", SQUARE), feature("71900", east),
         feature("71999", east)],
        merged={"71900": "71003"},  # 71900 is now part of 71003
    )
    assert rows[0] == ("71001", 46.1, 4.1)
    # three quarters of the square: the centroid moves away from the hole by (1/3)(0.05) degree
    assert rows[1][1:] == (pytest.approx(46.11667), pytest.approx(4.11667))
    assert rows[2] == ("71003", 46.1, 4.2)  # both squares
    assert ignored == ["71999"]


def test_the_script_refuses_a_commune_without_polygon() -> None:
    with pytest.raises(extract_coordinates.ExtractionError, match="71002"):
        extract_coordinates.commune_points(["71001", "71002"], [feature("71001", SQUARE)])


def test_the_outline_is_simplified_to_the_points_asked() -> None:
    ring = [(4.5 + 0.5 * math.cos(t / 1000 * 2 * math.pi), 46.5 + 0.3 * math.sin(t / 1000 * 2 * math.pi))
            for t in range(1000)]
    rings = extract_coordinates.outline([[ring + [ring[0]]]], 40)
    assert len(rings) == 1 and len(rings[0]) == 40


# Two communes' outlines exactly as in the source (gregoiredavid/france-geojson, commit 45daa2d, communes-71-
# saone-et-loire.geojson; IGN ADMIN EXPRESS COG 2018, Licence Ouverte): Châteauneuf and Bouzeron.
SOURCE_SAMPLE = {
    "71113": [[
        [4.27104, 46.21555], [4.26963, 46.21243], [4.26754, 46.21016], [4.26829, 46.20948], [4.26758, 46.20576],
        [4.26568, 46.20529], [4.26182, 46.20608], [4.25756, 46.20646], [4.25619, 46.20451], [4.25428, 46.2053],
        [4.25277, 46.20839], [4.25054, 46.21131], [4.25022, 46.21334], [4.25182, 46.2129], [4.2545, 46.2135],
        [4.2551, 46.21569], [4.25835, 46.21595], [4.2602, 46.21506], [4.26604, 46.21519], [4.27104, 46.21555],
    ]],
    "71051": [[
        [4.71848, 46.87637], [4.71767, 46.88048], [4.71582, 46.8816], [4.71413, 46.88479], [4.71228, 46.88613],
        [4.71568, 46.8902], [4.7166, 46.89185], [4.71956, 46.89498], [4.72064, 46.89725], [4.72684, 46.89906],
        [4.73066, 46.90096], [4.73392, 46.90499], [4.73739, 46.90523], [4.74242, 46.90099], [4.73922, 46.89272],
        [4.73879, 46.89022], [4.73694, 46.88728], [4.73486, 46.88607], [4.72351, 46.88049], [4.7212, 46.87708],
        [4.71848, 46.87637],
    ]],
}


def test_the_script_reproduces_the_shipped_data_on_a_sample() -> None:
    """The shipped points are the script's centroids of the source's polygons: on two communes of the source, as
    they are there, it gives the shipped file's rows (the whole source is not in the repository)."""
    rows, ignored = extract_coordinates.commune_points(
        ["71113", "71051"], [feature(c, g) for c, g in SOURCE_SAMPLE.items()]
    )
    assert ignored == []
    text = extract_coordinates.to_csv(("insee_code", "latitude", "longitude"), rows)
    with open(DATA / "communes-71-coordinates.csv", encoding="utf-8", newline="") as file:
        shipped = {line.split(",")[0]: line for line in file.read().splitlines()}
    assert text.splitlines() == [shipped["insee_code"], shipped["71113"], shipped["71051"]]
