"""A proposal is checked field by field before anything is recorded: each refusal names its field and says, in
French, what to write instead."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import BadMessage
from bot.initiatives.proposal import check_proposal
from bot.shared.initiatives import initiative_id, initiative_reference
from tests.bot.initiatives.conftest import COMMUNES, MACON, SANCE, body

TODAY = date(2020, 4, 6)


def test_a_good_proposal_is_read_tidied() -> None:
    proposal = check_proposal(
        body(description="  Je livre   les courses\n le soir. ", commune_codes=[SANCE, MACON, SANCE],
             phone="+33 6 12 34 56 78", website="www.exemple.fr"),
        COMMUNES, TODAY,
    )
    assert proposal.description == "Je livre les courses le soir."
    assert proposal.communes == ((SANCE, "Sancé"), (MACON, "Mâcon"))
    assert (proposal.phone, proposal.website) == ("+33612345678", "https://www.exemple.fr")
    assert proposal.ends_on == date(2020, 6, 30)


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"description": None}, "description", "Décrivez l’initiative"),
        ({"description": "Trop court"[:9]}, "description", "au moins 10 caractères"),
        ({"description": "x" * 501}, "description", "ne doit pas dépasser 500 caractères (501)"),
        ({"category": "bricolage"}, "category", "Choisissez le type d’aide : Transport, Courses et livraison"),
        ({"category": None}, "category", "Choisissez le type d’aide"),
        ({"audience": "enfants"}, "audience", "Choisissez à qui elle s’adresse : Tout le monde, Soignants"),
        ({"commune_codes": []}, "commune_codes", "Donnez au moins une commune"),
        ({"commune_codes": "71270"}, "commune_codes", "Donnez au moins une commune"),
        ({"commune_codes": ["75056"]}, "commune_codes", "« 75056 » n’est pas le code INSEE d’une commune"),
        ({"commune_codes": [c.insee_code for c in COMMUNES.communes[:11]]}, "commune_codes", "10 communes au plus"),
        ({"phone": "0612345678"}, "phone", "format international (+33612345678)"),
        ({"phone": 33612345678}, "phone", "format international"),
        ({"phone": None, "website": None}, "phone", "Donnez un téléphone ou un site"),
        ({"website": "pas un site"}, "website", "Le site doit être une adresse web"),
        ({"website": "ftp://exemple.fr"}, "website", "Le site doit être une adresse web"),
        ({"website": "https://" + "a" * 500 + ".fr"}, "website", "Le site doit être une adresse web"),
        ({"contact_consent": False}, "contact_consent", "Sans votre accord, votre contact ne peut pas être publié."),
        ({"contact_consent": "oui"}, "contact_consent", "Sans votre accord"),
        ({"consent_text": "  "}, "consent_text", "« consent_text »"),
        ({"consent_text": "x" * 2001}, "consent_text", "« consent_text »"),
        ({"ends_on": "30/06/2020"}, "ends_on", "La date de fin doit être une date (AAAA-MM-JJ)."),
        ({"ends_on": None}, "ends_on", "AAAA-MM-JJ"),
        ({"ends_on": "2020-04-05"}, "ends_on", "La date de fin est déjà passée"),
        ({"ends_on": "2020-10-07"}, "ends_on", "dans les six prochains mois au plus"),
    ],
)
def test_each_field_that_is_not_right_is_named(changes: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(BadMessage) as refused:
        check_proposal(body(**changes), COMMUNES, TODAY)
    assert (refused.value.status, refused.value.field) == (400, field)
    assert words in refused.value.message


def test_the_limits_themselves_are_accepted() -> None:
    proposal = check_proposal(
        body(description="x" * 500, ends_on="2020-10-06", phone=None, website="https://exemple.fr"), COMMUNES, TODAY
    )
    assert proposal.ends_on == date(2020, 10, 6) and proposal.phone is None
    assert check_proposal(body(ends_on="2020-04-06"), COMMUNES, TODAY).ends_on == TODAY


@pytest.mark.parametrize("reference, expected", [
    ("INI-000123", 123), ("ini-123", 123), (" INI123 ", 123), ("INI-000000", None), ("DEM-000123", None), ("", None),
])
def test_references(reference: str, expected: int | None) -> None:
    assert initiative_id(reference) == expected


def test_a_reference_is_six_digits() -> None:
    assert initiative_reference(42) == "INI-000042"
