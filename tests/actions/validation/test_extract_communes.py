"""Tests of scripts/extract_communes.py, which makes data/communes-71.csv from the codes-postaux package."""

import csv
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("extract_communes", ROOT / "scripts" / "extract_communes.py")
extract_communes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract_communes)

ROWS = [
    {"codePostal": "71100", "codeCommune": "71076", "nomCommune": "Chalon-sur-Saône", "libelleAcheminement": "X"},
    {"codePostal": "71210", "codeCommune": "71187", "nomCommune": "Écuisses", "libelleAcheminement": "X"},
    {"codePostal": "71300", "codeCommune": "71278", "nomCommune": "Marigny", "libelleAcheminement": "X"},
    {"codePostal": "71210", "codeCommune": "71278", "nomCommune": "Marigny", "libelleAcheminement": "X"},
    {"codePostal": "21340", "codeCommune": "71085", "nomCommune": "Change", "libelleAcheminement": "X"},
    {"codePostal": "21000", "codeCommune": "21231", "nomCommune": "Dijon", "libelleAcheminement": "X"},
]


def test_one_row_per_commune_of_the_department_sorted_by_name(tmp_path):
    source = tmp_path / "codes-postaux.json"
    source.write_text(json.dumps(ROWS), encoding="utf-8")
    output = tmp_path / "communes.csv"

    assert extract_communes.main([str(source), "--output", str(output)]) == 0

    assert output.read_text(encoding="utf-8") == (
        "insee_code,name,postcodes\n"
        "71076,Chalon-sur-Saône,71100\n"
        "71085,Change,21340\n"
        "71187,Écuisses,71210\n"  # among the E, not after Z
        "71278,Marigny,71210 71300\n"
    )


def test_another_department_is_an_option(tmp_path, capsys):
    source = tmp_path / "codes-postaux.json"
    source.write_text(json.dumps(ROWS), encoding="utf-8")

    assert extract_communes.main([str(source), "--department", "21", "--output", "-"]) == 0

    assert capsys.readouterr().out == "insee_code,name,postcodes\n21231,Dijon,21000\n"


@pytest.mark.parametrize(
    "rows, error",
    [
        ([{"codeCommune": "71076"}], "row 0 is not a codes-postaux entry"),
        ([{"codeCommune": "7107", "nomCommune": "A", "codePostal": "71100"}], "not a 5-character INSEE code"),
        ([{"codeCommune": "71076", "nomCommune": "A", "codePostal": "7110"}], "is not 5 digits"),
        (
            [
                {"codeCommune": "71076", "nomCommune": "A", "codePostal": "71100"},
                {"codeCommune": "71076", "nomCommune": "B", "codePostal": "71100"},
            ],
            "named both 'A' and 'B'",
        ),
    ],
)
def test_unexpected_json_is_refused(rows, error):
    with pytest.raises(extract_communes.ExtractionError, match=error):
        extract_communes.extract(rows, "71")


def test_a_department_without_communes_fails(tmp_path, capsys):
    source = tmp_path / "codes-postaux.json"
    source.write_text(json.dumps(ROWS), encoding="utf-8")

    assert extract_communes.main([str(source), "--department", "39", "--output", "-"]) == 1
    assert "no commune of department 39" in capsys.readouterr().err


def test_the_checked_in_file_is_in_the_script_s_format():
    with (ROOT / "data" / "communes-71.csv").open(encoding="utf-8", newline="") as csv_file:
        rows = list(csv.reader(csv_file))
    communes = [(code, name, tuple(postcodes.split())) for code, name, postcodes in rows[1:]]

    assert tuple(rows[0]) == extract_communes.COLUMNS
    assert len(communes) == 564
    assert communes == sorted(communes, key=lambda commune: (extract_communes._sort_key(commune[1]), commune[0]))
    assert all(postcodes == tuple(sorted(postcodes)) for _, _, postcodes in communes)
