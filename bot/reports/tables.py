"""This module contains Table, one table of a report (a row's label, one protected cell per column), and the note
that explains its hidden cells."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.reports.suppression import THRESHOLD, Cell

__all__ = ["Table", "secret_note"]


@dataclass(frozen=True)
class Table:
    """One table of a report: a row's label and one cell per column, and a note under it."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    note: str | None = None

    def cell(self, row: str, column: str) -> Cell:
        """The cell of a row (by label) and a column (by header); KeyError when there is no such row."""
        index = self.columns.index(column)
        for label, cells in self.rows:
            if label == row:
                return cells[index]
        raise KeyError(row)

    @property
    def row_labels(self) -> list[str]:
        return [label for label, _ in self.rows]


def secret_note(cells: Iterable[Cell], note: str | None = None) -> str | None:
    """A table's note, with the legend of its hidden cells when it has any."""
    cells = list(cells)
    parts = [note] if note else []
    if any(c.suppressed and not c.secondary for c in cells):
        parts.append(f"« < {THRESHOLD} » : moins de {THRESHOLD} artisans, pour que personne ne soit reconnu.")
    if any(c.suppressed and c.secondary for c in cells):
        parts.append(f"« masqué » : caché pour qu’aucun total ne permette de retrouver une case « < {THRESHOLD} ».")
    return " ".join(parts) or None
