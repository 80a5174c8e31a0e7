"""This module contains CommuneTable: the department's communes as the gateway reads them (COMMUNES_FILE, the file
the action server's forms read too), found by INSEE code, postcode or exact name.

Pure standard library. The action server's own directory (actions/validation/communes.py) also forgives typos,
for artisans; this one serves staff, who pick from what it lists.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["Commune", "CommuneTable", "normalize_name"]


@dataclass(frozen=True)
class Commune:
    insee_code: str
    name: str
    postcodes: Tuple[str, ...]
    # Its territories (data/communes-71-territories.csv): the intercommunality and the arrondissement.
    epci_code: Optional[str] = None
    epci_name: Optional[str] = None
    arrondissement: Optional[str] = None


def normalize_name(text: str) -> str:
    """Lowercase ASCII words: "Saint-Rémy" and "saint remy" agree."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe"))
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


class CommuneTable:
    """The communes of one file: `by_code`, and `find` for what a person typed (code, postcode or name)."""

    def __init__(self, communes: List[Commune]) -> None:
        self.communes = sorted(communes, key=lambda c: normalize_name(c.name))
        self._by_code: Dict[str, Commune] = {c.insee_code: c for c in communes}
        self._by_name: Dict[str, List[Commune]] = {}
        self._by_postcode: Dict[str, List[Commune]] = {}
        for commune in communes:
            self._by_name.setdefault(normalize_name(commune.name), []).append(commune)
            for postcode in commune.postcodes:
                self._by_postcode.setdefault(postcode, []).append(commune)

    @classmethod
    def load(cls, path: Path) -> "CommuneTable":
        """Read a file with the header insee_code,name,postcodes (data/README.md), and the territories beside it
        (`<name>-territories.csv`) when there is such a file."""
        path = Path(path)
        with open(path, encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        territories: Dict[str, Dict[str, str]] = {}
        beside = path.with_name(f"{path.stem}-territories.csv")
        if beside.is_file():
            with open(beside, encoding="utf-8", newline="") as file:
                territories = {r["insee_code"]: r for r in csv.DictReader(file)}
        communes = []
        for row in rows:
            code = row["insee_code"].strip()
            territory = territories.get(code, {})
            communes.append(
                Commune(
                    code,
                    row["name"].strip(),
                    tuple(row["postcodes"].split()),
                    territory.get("epci_code") or None,
                    territory.get("epci_name") or None,
                    territory.get("arrondissement_code") or None,
                )
            )
        return cls(communes)

    def nearness(self, origin_code: str, other_code: str) -> int:
        """How near `other_code` is to `origin_code`, by what they share: 0 the same commune, 1 a postcode (one
        post office's round), 2 the intercommunality, 3 the arrondissement, 4 only the department."""
        if origin_code == other_code:
            return 0
        origin, other = self._by_code.get(origin_code), self._by_code.get(other_code)
        if origin is None or other is None:
            return 4
        if set(origin.postcodes) & set(other.postcodes):
            return 1
        if origin.epci_code and origin.epci_code == other.epci_code:
            return 2
        if origin.arrondissement and origin.arrondissement == other.arrondissement:
            return 3
        return 4

    def by_code(self, insee_code: str) -> Optional[Commune]:
        return self._by_code.get(insee_code.strip())

    def by_postcode(self, postcode: str) -> List[Commune]:
        return list(self._by_postcode.get(postcode.strip(), []))

    def find(self, text: str) -> List[Commune]:
        """The communes `text` names: an INSEE code, a postcode (maybe several communes), or an exact name."""
        text = text.strip()
        if text in self._by_code:
            return [self._by_code[text]]
        if text in self._by_postcode:
            return list(self._by_postcode[text])
        return list(self._by_name.get(normalize_name(text), []))
