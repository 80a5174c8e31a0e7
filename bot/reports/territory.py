"""This module contains Territory: the communes a report counts (the whole department, an EPCI's communes, or a
list of communes), read from what an admin types or from a partner's account."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import CrisisbotError
from bot.shared.communes import Commune, CommuneTable, normalize_name

__all__ = ["DEPARTMENT", "BadTerritory", "Territory", "epci_choices"]

DEPARTMENT = "Saône-et-Loire"
# What names the whole department in a territory's spec.
_WHOLE = {"departement", "71", "tout", "tout le departement", normalize_name(DEPARTMENT)}
_NAMED = 3  # a list of communes is labelled by its first names, then "et N autres communes"


class BadTerritory(CrisisbotError):
    """A territory's spec that names nothing known; `message` says in French what was not understood."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Territory:
    """What a report counts: `communes` (INSEE codes), or None for the whole department; `label` as it reads."""

    label: str
    communes: frozenset[str] | None

    @property
    def whole(self) -> bool:
        return self.communes is None

    def contains(self, insee_code: str | None) -> bool:
        """Whether a figure of this commune counts here; an unknown commune (None) counts only for the whole
        department."""
        if self.communes is None:
            return True
        return insee_code is not None and insee_code in self.communes

    @classmethod
    def whole_department(cls) -> "Territory":
        return cls(DEPARTMENT, None)

    @classmethod
    def parse(cls, spec: str, communes: CommuneTable) -> "Territory":
        """Read what an admin typed: "departement" (or "71", "tout") for the whole department; "epci:<SIREN>" or
        an EPCI's exact name for its communes; else communes, comma-separated, by name, INSEE code or postcode.

        Raises BadTerritory naming what was not understood."""
        text = (spec or "").strip()
        if not text:
            raise BadTerritory("Territoire vide : indiquez « departement », un EPCI ou des communes.")
        if normalize_name(text) in _WHOLE:
            return cls.whole_department()
        epcis = dict(epci_choices(communes))
        if text.lower().startswith("epci:"):
            code = text[5:].strip()
            if code not in epcis:
                raise BadTerritory(f"EPCI inconnu : « {code} » (le code SIREN de l'EPCI est attendu).")
            return cls._of_epci(code, epcis[code], communes)
        for code, name in epcis.items():
            if normalize_name(name) == normalize_name(text):
                return cls._of_epci(code, name, communes)
        found: dict[str, Commune] = {}
        unknown = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            matches = communes.find(part)
            if not matches:
                unknown.append(part)
            for commune in matches:
                found.setdefault(commune.insee_code, commune)
        if unknown:
            listed = ", ".join(f"« {u} »" for u in unknown)
            raise BadTerritory(
                f"Commune{'s' if len(unknown) > 1 else ''} inconnue{'s' if len(unknown) > 1 else ''} "
                f"en Saône-et-Loire : {listed}."
            )
        if not found:
            raise BadTerritory("Territoire vide : indiquez « departement », un EPCI ou des communes.")
        return cls(_communes_label([c.name for c in found.values()]), frozenset(found))

    @classmethod
    def _of_epci(cls, code: str, name: str, communes: CommuneTable) -> "Territory":
        return cls(name, frozenset(c.insee_code for c in communes.communes if c.epci_code == code))

    @classmethod
    def of_account(cls, territory: list[str] | None, label: str | None) -> "Territory":
        """A staff account's territory (StaffAccount.territory, territory_label): None is the whole department."""
        if territory is None:
            return cls(label or DEPARTMENT, None)
        return cls(label or ", ".join(territory), frozenset(territory))

    def epcis(self, communes: CommuneTable) -> list[tuple[str, str]]:
        """The (code, name) of the EPCIs this territory touches, sorted by name."""
        if self.communes is None:
            return epci_choices(communes)
        touched = {}
        for code in self.communes:
            commune = communes.by_code(code)
            if commune is not None and commune.epci_code:
                touched[commune.epci_code] = commune.epci_name or commune.epci_code
        return sorted(touched.items(), key=lambda item: normalize_name(item[1]))


def epci_choices(communes: CommuneTable) -> list[tuple[str, str]]:
    """Every EPCI of the department's communes, (code, name), sorted by name."""
    found = {c.epci_code: c.epci_name or c.epci_code for c in communes.communes if c.epci_code}
    return sorted(found.items(), key=lambda item: normalize_name(item[1]))


def _communes_label(names: list[str]) -> str:
    """"Givry, Mercurey", or "Givry, Mercurey, Buxy et 2 autres communes"."""
    if len(names) <= _NAMED + 1:
        return ", ".join(names)
    rest = len(names) - _NAMED
    return f"{', '.join(names[:_NAMED])} et {rest} autres communes"
