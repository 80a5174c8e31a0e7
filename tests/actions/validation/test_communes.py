"""Tests of CommuneDirectory on the Saône-et-Loire data: names as artisans type them, postcodes, refusals."""

from pathlib import Path
from typing import List

import pytest

from actions.validation.communes import (
    Commune,
    CommuneDataError,
    CommuneDirectory,
    CommuneMatch,
    CommuneMatchStatus,
    CommuneProblem,
)

DATA = Path(__file__).resolve().parents[3] / "data" / "communes-71.csv"
EXACT, AMBIGUOUS, NONE = CommuneMatchStatus.EXACT, CommuneMatchStatus.AMBIGUOUS, CommuneMatchStatus.NONE


@pytest.fixture(scope="module")
def communes() -> CommuneDirectory:
    return CommuneDirectory.load(DATA)


def offered(match: CommuneMatch) -> List[str]:
    """The buttons the form would show."""
    return [commune.label for commune in match.candidates]


def test_the_file_holds_every_commune_of_saone_et_loire(communes):
    assert len(communes) == 564
    assert all(commune.insee_code.startswith("71") for commune in communes.communes)
    assert communes.by_code("71076") == Commune("71076", "Chalon-sur-Saône", ("71100",))
    assert communes.by_code("71278").postcodes == ("71210", "71300", "71460")  # Marigny
    assert communes.by_code("99999") is None


@pytest.mark.parametrize(
    "text, name",
    [
        # Official names, then case, accents, hyphens and apostrophes forgiven.
        ("Chalon-sur-Saône", "Chalon-sur-Saône"),
        ("Mâcon", "Mâcon"),
        ("Le Creusot", "Le Creusot"),
        ("Montceau-les-Mines", "Montceau-les-Mines"),
        ("CHALON SUR SAONE", "Chalon-sur-Saône"),
        ("macon", "Mâcon"),
        ("macôn", "Mâcon"),
        ("MACON", "Mâcon"),
        ("ecuisses", "Écuisses"),
        ("montceaux l etoile", "Montceaux-l'Étoile"),
        ("l'abergement de cuisery", "L'Abergement-de-Cuisery"),
        ("abergement de cuisery", "L'Abergement-de-Cuisery"),  # article left out
        ("  la   clayette ", "La Clayette"),
        ("Vers", "Vers"),  # a commune whose name is also a filler word
        # Saint, Sainte, sur.
        ("st vallier", "Saint-Vallier"),
        ("St-Vallier", "Saint-Vallier"),
        ("ste cecile", "Sainte-Cécile"),
        ("Ste-Cécile", "Sainte-Cécile"),
        ("st remy", "Saint-Rémy"),
        ("Chalon/Saône", "Chalon-sur-Saône"),
        ("chalon s/ saone", "Chalon-sur-Saône"),
        # Usual short names: the start of one commune's name only.
        ("chalon", "Chalon-sur-Saône"),
        ("le creusot", "Le Creusot"),
        ("creusot", "Le Creusot"),
        ("montceau", "Montceau-les-Mines"),
        ("paray", "Paray-le-Monial"),
        ("bourbon", "Bourbon-Lancy"),
        # Words around the name.
        ("j'habite à Mâcon", "Mâcon"),
        ("je suis sur montceau", "Montceau-les-Mines"),
        ("commune de Cluny merci", "Cluny"),
        ("Chalon 71", "Chalon-sur-Saône"),
    ],
)
def test_a_name_as_typed_finds_its_commune(communes, text, name):
    match = communes.match(text)

    assert match.is_exact
    assert match.commune.name == name
    assert not match.corrected
    assert match.message is None


@pytest.mark.parametrize(
    "text, name",
    [
        ("chalons sur saone", "Chalon-sur-Saône"),
        ("chalon sur saon", "Chalon-sur-Saône"),
        ("le creuzot", "Le Creusot"),
        ("montceau les mine", "Montceau-les-Mines"),
        ("monceau les mines", "Montceau-les-Mines"),
        ("paray le monal", "Paray-le-Monial"),
        ("gueugon", "Gueugnon"),
        ("charolle", "Charolles"),
        ("bourbon lanci", "Bourbon-Lancy"),
        ("ste ceciles", "Sainte-Cécile"),
    ],
)
def test_a_clear_typo_is_forgiven_and_marked_corrected(communes, text, name):
    match = communes.match(text)

    assert (match.status, match.commune.name, match.corrected) == (EXACT, name, True)


@pytest.mark.parametrize(
    "text, guess",
    [
        ("digion", "Digoin (71160)"),
        ("cluni", "Cluny (71250)"),
        ("macn", "Mâcon (71000)"),
        ("chalons", "Chalon-sur-Saône (71100)"),  # a typo in a short name
    ],
)
def test_a_short_name_with_a_typo_is_only_suggested(communes, text, guess):
    match = communes.match(text)

    assert match.status is AMBIGUOUS
    assert offered(match) == [guess]
    assert match.message == f"Vouliez-vous dire {guess.split(' (')[0]} ?"


def test_a_start_shared_by_several_communes_offers_them(communes):
    match = communes.match("charnay")

    assert match.status is AMBIGUOUS
    assert offered(match) == ["Charnay-lès-Mâcon (71850)", "Charnay-lès-Chalon (71350)"]
    assert match.message == "Plusieurs communes commencent ainsi : laquelle est la vôtre ?"


def test_a_start_shared_by_many_communes_asks_for_the_full_name(communes):
    match = communes.match("saint martin")

    assert match.status is AMBIGUOUS
    assert match.total == 12
    assert len(match.candidates) == 5
    assert all(commune.name.startswith("Saint-Martin-") for commune in match.candidates)
    assert match.message == "12 communes correspondent : écrivez le nom complet de la vôtre ou son code postal."


@pytest.mark.parametrize(
    "text, name",
    [
        ("71450", "Blanzy"),
        ("71 880", "Châtenoy-le-Royal"),
        ("21340", "Change"),  # a commune of 71 served from Côte-d'Or
        ("71100 chalon", "Chalon-sur-Saône"),
        ("Chalon-sur-Saône 71100", "Chalon-sur-Saône"),
        ("chalon 71000", "Chalon-sur-Saône"),  # wrong postcode, right name
        ("sevrey 71100", "Sevrey"),
    ],
)
def test_a_postcode_of_one_commune_or_with_a_name_is_exact(communes, text, name):
    match = communes.match(text)

    assert (match.status, match.commune.name) == (EXACT, name)


def test_a_postcode_of_several_communes_offers_them(communes):
    match = communes.match("71100")

    assert match.status is AMBIGUOUS
    assert offered(match) == [
        "Chalon-sur-Saône (71100)",
        "La Charmée (71100)",
        "Lux (71100)",
        "Saint-Rémy (71100)",
        "Sevrey (71100)",
    ]
    assert match.message == "Le code postal 71100 couvre plusieurs communes : laquelle est la vôtre ?"
    assert offered(communes.match("71000")) == ["Mâcon (71000)", "Sancé (71000)", "Varennes-lès-Mâcon (71000)"]


def test_a_postcode_of_many_communes_asks_for_the_name(communes):
    match = communes.match("71460")

    assert (match.status, match.total, len(match.candidates)) == (AMBIGUOUS, 34, 5)
    assert match.message == "Le code postal 71460 couvre 34 communes : écrivez le nom de la vôtre."


@pytest.mark.parametrize(
    "text, reason, message",
    [
        ("", CommuneProblem.EMPTY, "Je n'ai pas lu de commune : dans quelle commune est votre entreprise ?"),
        ("   ", CommuneProblem.EMPTY, "Je n'ai pas lu de commune : dans quelle commune est votre entreprise ?"),
        ("71", CommuneProblem.EMPTY, "Je n'ai pas lu de commune : dans quelle commune est votre entreprise ?"),
        (
            "75001",
            CommuneProblem.POSTCODE_OUTSIDE_DEPARTMENT,
            "Le code postal 75001 n'est pas en Saône-et-Loire.",
        ),
        (
            "71999",
            CommuneProblem.UNKNOWN_POSTCODE,
            "Je ne connais pas le code postal 71999 en Saône-et-Loire : pouvez-vous le vérifier "
            "ou écrire le nom de la commune ?",
        ),
    ],
)
def test_no_commune_says_why(communes, text, reason, message):
    match = communes.match(text)

    assert (match.status, match.commune, match.candidates, match.reason, match.message) == (
        NONE, None, (), reason, message,
    )


@pytest.mark.parametrize(
    "text",
    [
        "Paris",  # not Paris-l'Hôpital
        "paris",
        "Lyon",
        "Toulon",  # not Toulon-sur-Arroux
        "st etienne",  # not Saint-Étienne-en-Bresse
        "Nancy",  # not Rancy
        "je suis en Bresse",  # the region, not Bresse-sur-Grosne
        "Besançon",
        "bonjour",
        "oui",
        "boulanger",
    ],
)
def test_a_place_outside_the_department_is_unknown(communes, text):
    match = communes.match(text)

    assert (match.status, match.reason) == (NONE, CommuneProblem.UNKNOWN_COMMUNE)
    assert match.message == (
        "Je ne trouve pas cette commune en Saône-et-Loire : pouvez-vous vérifier l'orthographe "
        "ou donner son code postal ?"
    )


def test_a_well_known_name_still_finds_the_local_commune_written_in_full(communes):
    assert communes.match("Paris-l'Hôpital").commune.name == "Paris-l'Hôpital"
    assert communes.match("toulon sur arroux").commune.name == "Toulon-sur-Arroux"


def test_homonyms_are_offered_with_their_postcodes(tmp_path):
    data = tmp_path / "communes.csv"
    data.write_text(
        "insee_code,name,postcodes\n"
        "71401,Saint-Martin,71110\n"
        "71402,Saint-Martin,71220\n"
        "71403,Saint-Martin-du-Lac,71110\n",
        encoding="utf-8",
    )
    communes = CommuneDirectory.load(data)

    match = communes.match("st martin")

    assert match.status is AMBIGUOUS
    assert offered(match) == ["Saint-Martin (71110)", "Saint-Martin (71220)"]
    assert match.message == "Plusieurs communes portent ce nom : laquelle est la vôtre ?"
    assert communes.match("st martin 71220").commune.insee_code == "71402"


def test_the_department_and_its_wording_are_parameters(tmp_path):
    data = tmp_path / "communes-21.csv"
    data.write_text("insee_code,name,postcodes\n21231,Dijon,21000\n", encoding="utf-8")
    communes = CommuneDirectory.load(data, department="21", department_phrase="en Côte-d'Or")

    assert communes.match("dijon").commune.name == "Dijon"
    assert communes.match("71100").message == "Le code postal 71100 n'est pas en Côte-d'Or."
    assert communes.match("21999").reason is CommuneProblem.UNKNOWN_POSTCODE


@pytest.mark.parametrize(
    "content, error",
    [
        ("", "header insee_code,name,postcodes"),
        ("code,nom\n71001,A,71000\n", "header insee_code,name,postcodes"),
        ("insee_code,name,postcodes\n71001,A\n", "line 2: expected 3 columns"),
        ("insee_code,name,postcodes\n21001,A,21000\n", "line 2: '21001' is not the INSEE code of a commune of"),
        ("insee_code,name,postcodes\n71001,A,7100\n", "line 2: postcodes '7100' of A are not 5-digit"),
        ("insee_code,name,postcodes\n71001,A,71000\n71001,B,71000\n", "line 3: commune 71001 appears twice"),
        ("insee_code,name,postcodes\n", "has no commune"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line(tmp_path, content, error):
    data = tmp_path / "communes.csv"
    data.write_text(content, encoding="utf-8")

    with pytest.raises(CommuneDataError, match=error):
        CommuneDirectory.load(data)


def test_a_missing_file_says_how_to_make_it(tmp_path):
    with pytest.raises(CommuneDataError, match="cannot read the communes file .*extract_communes.py"):
        CommuneDirectory.load(tmp_path / "missing.csv")


def test_every_commune_is_found_by_its_name_with_or_without_accents(communes):
    for commune in communes.communes:
        for text in (commune.name, commune.name.upper(), commune.name.replace("-", " ")):
            match = communes.match(text)
            assert (match.status, match.commune) == (EXACT, commune), text


def test_a_one_letter_typo_never_picks_another_commune(communes):
    # Each name of 6 letters or more, with its middle letter replaced: either the right commune, or a choice
    # that includes it, never a wrong commune taken without asking.
    for commune in communes.communes:
        name = commune.name
        if len(name) < 6:
            continue
        middle = len(name) // 2
        typo = name[:middle] + ("x" if name[middle] != "x" else "z") + name[middle + 1 :]
        match = communes.match(typo)
        assert match.status is not NONE, typo
        assert commune in match.candidates, typo
        if match.status is EXACT:
            assert match.commune == commune, typo
