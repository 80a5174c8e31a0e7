"""This module contains how initiatives are found for a commune: those serving it first, then the others, nearest
first (in kilometres when the communes have coordinates, CommuneTable.distance_km; else, or between equals, by
CommuneTable.nearness), in one sort key."""

from __future__ import annotations

from dataclasses import dataclass

from bot.shared.communes import CommuneTable
from bot.storage.models import Initiative

# Past the department's width: a commune without coordinates comes after those with.
FAR_KM = 10_000.0


@dataclass(frozen=True)
class Found:
    """An initiative found for a commune: `here` when it serves that commune; how far its nearest commune is, in
    km (None without coordinates) and by CommuneTable.nearness (0 the same commune … 4 only the department)."""

    initiative: Initiative
    here: bool
    distance_km: float | None
    nearness: int


def _km(communes: CommuneTable, origin: str, other: str) -> float | None:
    if origin == other:
        return 0.0
    distance_km = getattr(communes, "distance_km", None)
    return distance_km(origin, other) if distance_km is not None else None


def found(initiative: Initiative, commune_code: str, communes: CommuneTable) -> Found:
    codes = initiative.commune_codes
    known = [km for km in (_km(communes, commune_code, code) for code in codes) if km is not None]
    nearness = min((communes.nearness(commune_code, code) for code in codes), default=4)
    return Found(initiative, commune_code in codes, min(known) if known else None, nearness)


def sort_key(item: Found) -> tuple[bool, float, int, str, int]:
    """Serving the commune first, then nearest first, then the one ending soonest, then the oldest."""
    km = item.distance_km if item.distance_km is not None else FAR_KM
    return (not item.here, km, item.nearness, item.initiative.ends_on.isoformat(), item.initiative.id)


def ranked(initiatives: list[Initiative], commune_code: str, communes: CommuneTable) -> list[Found]:
    return sorted((found(initiative, commune_code, communes) for initiative in initiatives), key=sort_key)
