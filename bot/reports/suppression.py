"""This module contains the statistical secret of the reports: a figure behind fewer than THRESHOLD artisans is
never shown ("< 5"), and neither is any figure that, with the totals and the other figures shown, would give it
back ("masqué").

`protect` takes a set of cells and the sums that bind them (a row's total, a column's total, an EPCI's sum of its
communes, the department's sum of its EPCIs) and decides what is hidden:

- primary suppression: a cell counting 1 to 4 artisans is hidden; 0 is shown as 0 (nobody is behind it);
- secondary suppression: as long as a "< 5" cell can still be worked out, another cell of one of its sums is
  hidden too ("masqué"), the smallest shown one first, a part before a total. "Worked out" is checked two
  ways: by linear algebra over every sum at once (the cell is a combination of what is shown), and by bounds
  narrowed sum after sum until nothing moves (a reader knows a "< 5" cell is at least 1, and 1 to 4 when it
  counts artisans; a "masqué" one at least 5; and a "masqué" cell the sums fix is as good as shown). Bounds are
  narrowed along the sums given, not along every combination of them: give every sum a reader can see (a
  table's grand total both as its rows' and as its columns').

Cells are protected together when they appear together anywhere: a report protects a whole hierarchy (the
department, its EPCIs, their communes) at once, then shows its part of it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["THRESHOLD", "Cell", "Sum", "format_count", "protect"]

THRESHOLD = 5
_PRIME = 2**61 - 1
_ROUNDS = 50  # of narrowing the hidden cells' bounds: enough for the sums of a report  # the field of the rank computation: exact for the small systems of a report


def format_count(value: int) -> str:
    """A number the French way, thousands apart by a narrow no-break space: "1 250"."""
    return f"{value:,}".replace(",", "\u202f")


@dataclass(frozen=True)
class Cell:
    """One figure of a report: its value (None when hidden) and how many artisans are behind it (never shown).

    `secondary` tells a cell hidden only so that the others cannot give back a "< 5" one ("masqué"); `derived`
    is the text of a figure worked out from shown cells only (a trend "+12 %", a share "83 %")."""

    value: int | None
    artisans: int
    secondary: bool = False
    derived: str | None = None

    @classmethod
    def of_text(cls, text: str) -> "Cell":
        """A derived figure: its text, no count behind it."""
        return cls(None, 0, derived=text)

    @property
    def suppressed(self) -> bool:
        return self.value is None and self.derived is None

    @property
    def text(self) -> str:
        """"< 5" when fewer than 5 artisans are behind it, "masqué" when hidden for another, else "1 250"."""
        if self.derived is not None:
            return self.derived
        if self.value is None:
            return "masqué" if self.secondary else f"< {THRESHOLD}"
        return format_count(self.value)


@dataclass(frozen=True)
class Sum:
    """`total` is the sum of `parts` (the keys of the cells given to `protect`)."""

    total: Hashable
    parts: Sequence[Hashable]


def protect(
    counts: Mapping[Hashable, tuple[int, int]],
    sums: Iterable[Sum],
    *,
    counts_artisans: bool = False,
    hidden: Mapping[Hashable, Cell] | None = None,
) -> dict[Hashable, Cell]:
    """The cells of `counts` ({key: (value, artisans)}), with what must be hidden hidden.

    `counts_artisans`: each value counts artisans (one per artisan, as the topics and the barometer do), so a
    reader knows a "< 5" cell holds 1 to 4; otherwise (masks, requests) only that it holds at least 1. A
    "masqué" cell holds at least 5 either way (5 artisans, each behind at least 1).

    `hidden`: cells already hidden elsewhere (another table of the same figures, protected first), which stay
    hidden here, so the two never differ by a hidden cell."""
    equations = [(s.total, list(s.parts)) for s in sums]
    for total, parts in equations:
        missing = [k for k in (total, *parts) if k not in counts]
        if missing:
            raise KeyError(f"sum over unknown cells: {missing!r}")
    already = {key: cell.secondary for key, cell in (hidden or {}).items() if cell.suppressed and key in counts}
    hidden_now: dict[Hashable, bool] = {  # key -> secondary
        key: False for key, (_, artisans) in counts.items() if 0 < artisans < THRESHOLD
    }
    hidden_now.update(already)
    hidden = hidden_now
    by_key: dict[Hashable, list[int]] = {}
    for index, (total, parts) in enumerate(equations):
        for key in (total, *parts):
            by_key.setdefault(key, []).append(index)

    # First the obvious, cheaply: a sum with one hidden cell gives it back.
    changed = True
    while changed:
        changed = False
        for index, (total, parts) in enumerate(equations):
            alone = [key for key in (total, *parts) if key in hidden]
            if len(alone) == 1 and not hidden[alone[0]]:
                shown = [
                    (key == total, counts[key][0], counts[key][1], repr(key), key)
                    for key in (total, *parts)
                    if key not in hidden and counts[key][0] > 0
                ]
                if shown:
                    hidden[min(shown)[-1]] = True
                    changed = True
    while True:
        revealed = _revealed(counts, equations, hidden, counts_artisans)
        if not revealed:
            break
        complement = _complement(revealed, counts, equations, by_key, hidden)
        if complement is None:
            break  # every cell of its sums is hidden already
        hidden[complement] = True

    return {
        key: Cell(None, artisans, hidden[key]) if key in hidden else Cell(value, artisans)
        for key, (value, artisans) in counts.items()
    }


def _complement(
    revealed: Hashable,
    counts: Mapping[Hashable, tuple[int, int]],
    equations: list[tuple[Hashable, list[Hashable]]],
    by_key: dict[Hashable, list[int]],
    hidden: dict[Hashable, bool],
) -> Hashable | None:
    """The cell to hide next for `revealed`: in one of its sums, the smallest shown figure other than zero (a
    part before a total); else in the sums of the hidden cells of those sums, and so on; a zero only when
    nothing else is left (a zero gives nobody away, but hiding it blurs the sums around it)."""
    seen_keys, seen_sums = {revealed}, set()
    frontier = [revealed]
    zeros = []
    while frontier:
        candidates, following = [], []
        for cell in frontier:
            for index in by_key.get(cell, []):
                if index in seen_sums:
                    continue
                seen_sums.add(index)
                total, parts = equations[index]
                for key in (total, *parts):
                    if key in hidden:
                        if key not in seen_keys:
                            seen_keys.add(key)
                            following.append(key)
                        continue
                    value, artisans = counts[key]
                    entry = (key == total, value, artisans, repr(key), key)
                    (zeros if value == 0 else candidates).append(entry)
        if candidates:
            return min(candidates)[-1]
        frontier = following
    return min(zeros)[-1] if zeros else None


def _bounds(
    key: Hashable, counts: Mapping[Hashable, tuple[int, int]], hidden: dict[Hashable, bool], counts_artisans: bool
) -> tuple[float, float]:
    """What a reader knows of a cell: its value when shown, else the range its symbol tells."""
    if key not in hidden:
        value = counts[key][0]
        return value, value
    if hidden[key]:
        return THRESHOLD, math.inf  # "masqué": at least 5 artisans, each behind at least 1
    return (1, THRESHOLD - 1) if counts_artisans else (1, math.inf)


def _revealed(
    counts: Mapping[Hashable, tuple[int, int]],
    equations: list[tuple[Hashable, list[Hashable]]],
    hidden: dict[Hashable, bool],
    counts_artisans: bool,
) -> Hashable | None:
    """A cell of 1 to 4 artisans that a reader can work out from what is shown, or None. (Working out a zero
    hidden as a last resort, or a "masqué" cell, gives nobody away: only the cells they protect count.)"""
    if not any(not secondary for secondary in hidden.values()):
        return None
    # Across every sum at once: a hidden cell that is a linear combination of what is shown. A "masqué" one
    # worked out is as good as shown for what follows.
    determined = _determined(equations, hidden)
    for key in determined:
        if not hidden[key]:
            return key
    # By bounds: each sum narrows what its hidden cells can hold, from what the others can, until nothing moves.
    known = {key: _bounds(key, counts, hidden, counts_artisans) for key in hidden}
    known.update({key: (counts[key][0],) * 2 for key in determined})
    involved = [
        [(key, sign) for key, sign in [(total, 1)] + [(p, -1) for p in parts]]
        for total, parts in equations
        if any(key in hidden for key in (total, *parts))
    ]
    for _ in range(_ROUNDS):
        moved = False
        for terms in involved:
            for j, (key, sign) in enumerate(terms):
                if key not in hidden:
                    continue
                # sign * x = -(the others' signed sum), whose range follows from their bounds.
                low = high = 0.0
                for i, (other, other_sign) in enumerate(terms):
                    if i == j:
                        continue
                    lo, hi = known[other] if other in known else (counts[other][0],) * 2
                    low += lo if other_sign > 0 else -hi
                    high += hi if other_sign > 0 else -lo
                x_low, x_high = (-high, -low) if sign > 0 else (low, high)
                lo, hi = known[key]
                narrowed = (max(lo, x_low), min(hi, x_high))
                if narrowed[0] > narrowed[1]:
                    # The reader's premises are wrong here (a zero hidden as a last resort): nothing to learn.
                    continue
                if narrowed != (lo, hi):
                    known[key], moved = narrowed, True
                    if narrowed[0] == narrowed[1] and not hidden[key]:
                        return key
        if not moved:
            break
    return None


def _determined(equations: list[tuple[Hashable, list[Hashable]]], hidden: dict[Hashable, bool]) -> list[Hashable]:
    """The hidden cells the sums fix on their own (their unit vector in the sums' row space): Gauss-Jordan
    elimination over the hidden cells, modulo a large prime."""
    columns = {key: n for n, key in enumerate(sorted(hidden, key=repr))}
    rows: list[dict[int, int]] = []
    for total, parts in equations:
        row: dict[int, int] = {}
        for key, sign in [(total, 1)] + [(p, -1) for p in parts]:
            if key in columns:
                column = columns[key]
                row[column] = (row.get(column, 0) + sign) % _PRIME
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> its row, normalised to 1 there
    for row in rows:
        for column, reduced in list(pivots.items()):
            factor = row.get(column)
            if factor:
                for c, v in reduced.items():
                    row[c] = (row.get(c, 0) - factor * v) % _PRIME
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        column = min(row)
        inverse = pow(row[column], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        for other_column, other in pivots.items():
            factor = other.get(column)
            if factor:
                for c, v in row.items():
                    other[c] = (other.get(c, 0) - factor * v) % _PRIME
                pivots[other_column] = {c: v for c, v in other.items() if v}
        pivots[column] = row
    keys = {n: key for key, n in columns.items()}
    return [keys[column] for column, row in sorted(pivots.items()) if len(row) == 1]
