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
        """Read a file with the header insee_code,name,postcodes (data/README.md)."""
        with open(path, encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        return cls([Commune(r["insee_code"].strip(), r["name"].strip(), tuple(r["postcodes"].split())) for r in rows])

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
