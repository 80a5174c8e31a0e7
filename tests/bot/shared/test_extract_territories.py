"""Tests of scripts/extract_territories.py, which makes data/communes-71-territories.csv from the
@etalab/decoupage-administratif package."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("extract_territories", ROOT / "scripts" / "extract_territories.py")
extract_territories = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract_territories)

COMMUNES = [
    {"code": "71221", "nom": "Givry", "type": "commune-actuelle", "arrondissement": "712"},
    {"code": "71076", "nom": "Chalon-sur-Saône", "type": "commune-actuelle", "arrondissement": "712"},
    {"code": "71999", "nom": "Ancienne", "type": "commune-deleguee", "arrondissement": "712"},
]
EPCIS = [{"code": "247100589", "nom": "CA Le Grand Chalon", "membres": [{"code": "71221"}, {"code": "71076"}]}]
ARRONDISSEMENTS = [{"code": "712", "nom": "Chalon-sur-Saône"}]


def package(tmp_path: Path, communes=COMMUNES, epcis=EPCIS) -> Path:
    for name, rows in (("communes.json", communes), ("epci.json", epcis), ("arrondissements.json", ARRONDISSEMENTS)):
        (tmp_path / name).write_text(json.dumps(rows), encoding="utf-8")
    return tmp_path


def test_each_commune_of_the_forms_list_gets_its_territories_in_order() -> None:
    rows, unknown = extract_territories.territories(["71076", "71221", "71999"], COMMUNES, EPCIS, ARRONDISSEMENTS)
    assert rows == [
        ("71076", "247100589", "CA Le Grand Chalon", "712", "Chalon-sur-Saône"),
        ("71221", "247100589", "CA Le Grand Chalon", "712", "Chalon-sur-Saône"),
        ("71999", "", "", "", ""),  # a delegated commune is not a current one
    ]
    assert unknown == ["71999"]


def test_the_script_writes_the_department_csv(tmp_path: Path, capsys) -> None:
    output = tmp_path / "out.csv"
    assert extract_territories.main([str(package(tmp_path)), "--output", str(output)]) == 0
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "insee_code,epci_code,epci_name,arrondissement_code,arrondissement_name"
    assert len(lines) == 565  # every commune of data/communes-71.csv, known or not
    assert "71221,247100589,CA Le Grand Chalon,712,Chalon-sur-Saône" in lines


def test_a_package_of_another_shape_is_refused_with_what_is_missing(tmp_path: Path, capsys) -> None:
    assert extract_territories.main([str(package(tmp_path, epcis=[{"code": "1"}])), "--output", "-"]) == 1
    assert "missing 'membres'" in capsys.readouterr().err


def test_a_missing_package_directory_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert extract_territories.main([str(tmp_path / "nowhere")]) == 1
    assert "cannot read" in capsys.readouterr().err
