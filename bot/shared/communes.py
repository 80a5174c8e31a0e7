"""This module contains CommuneTable: the department's communes as the gateway reads them (COMMUNES_FILE, the file
the action server's forms read too), found by INSEE code, postcode or exact name, and how near two of them are (by
the territories they share, or by the distance between their points).

Pure standard library. The action server's own directory (actions/validation/communes.py) also forgives typos,
for artisans; this one serves staff, who pick from what it lists.
"""

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["Commune", "CommuneTable", "haversine_km", "normalize_name"]

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


@dataclass(frozen=True)
class Commune:
    insee_code: str
    name: str
    postcodes: Tuple[str, ...]
    # Its territories (data/communes-71-territories.csv): the intercommunality and the arrondissement.
    epci_code: Optional[str] = None
    epci_name: Optional[str] = None
    arrondissement: Optional[str] = None
    # Its point, the centroid of its area (data/communes-71-coordinates.csv): WGS 84 degrees.
    latitude: Optional[float] = None
    longitude: Optional[float] = None


def normalize_name(text: str) -> str:
    """Lowercase ASCII words: "Saint-Rémy" and "saint remy" agree."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe"))
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def haversine_km(latitude_a: float, longitude_a: float, latitude_b: float, longitude_b: float) -> float:
    """The great-circle distance between two points (degrees), in kilometres."""
    phi_a, phi_b = math.radians(latitude_a), math.radians(latitude_b)
    d_phi, d_lambda = phi_b - phi_a, math.radians(longitude_b - longitude_a)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _read_beside(path: Path, suffix: str) -> Dict[str, Dict[str, str]]:
    """The rows of `<name>-<suffix>.csv` beside `path`, by INSEE code; none when there is no such file."""
    beside = path.with_name(f"{path.stem}-{suffix}.csv")
    if not beside.is_file():
        return {}
    with open(beside, encoding="utf-8", newline="") as file:
        return {r["insee_code"].strip(): r for r in csv.DictReader(file)}


def _degrees(text: Optional[str]) -> Optional[float]:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


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
        """Read a file with the header insee_code,name,postcodes (data/README.md), and beside it, when there are
        such files, the territories (`<name>-territories.csv`) and the points (`<name>-coordinates.csv`, the header
        insee_code,latitude,longitude)."""
        path = Path(path)
        with open(path, encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        territories = _read_beside(path, "territories")
        coordinates = _read_beside(path, "coordinates")
        communes = []
        for row in rows:
            code = row["insee_code"].strip()
            territory = territories.get(code, {})
            point = coordinates.get(code, {})
            latitude, longitude = _degrees(point.get("latitude")), _degrees(point.get("longitude"))
            if latitude is None or longitude is None:
                latitude = longitude = None
            communes.append(
                Commune(
                    code,
                    row["name"].strip(),
                    tuple(row["postcodes"].split()),
                    territory.get("epci_code") or None,
                    territory.get("epci_name") or None,
                    territory.get("arrondissement_code") or None,
                    latitude,
                    longitude,
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

    def distance_km(self, code_a: str, code_b: str) -> Optional[float]:
        """The distance between two communes' points (great circle), in kilometres; None when either is unknown
        or has no point (no coordinates file)."""
        a, b = self._by_code.get(code_a.strip()), self._by_code.get(code_b.strip())
        if a is None or b is None or a.latitude is None or a.longitude is None:
            return None
        if b.latitude is None or b.longitude is None:
            return None
        return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)

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
