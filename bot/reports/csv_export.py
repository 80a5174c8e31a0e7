"""This module contains the CSV of a report: every figure on a line of its own (table;row;column;value), as the
page shows it ("< 5" and "masqué" kept), for a spreadsheet."""

from __future__ import annotations

import csv
import io

from bot.reports.figures import Report
from bot.reports.suppression import Cell

__all__ = ["report_csv"]

HEADER = ["tableau", "ligne", "colonne", "valeur"]
CUMULATIVE = "Masques cumulés par jour"


def report_csv(report: Report) -> str:
    """The report as CSV text: a byte order mark first (Excel then reads UTF-8), ';' between fields, a header
    line, the period and the territory, then one line per figure. Counts are plain integers ("1250"), so a
    spreadsheet reads them as numbers; hidden cells and derived figures are written as the page shows them."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(["Rapport", "Territoire", "", report.territory.label])
    writer.writerow(["Rapport", "Période", "du", report.period.start.isoformat()])
    writer.writerow(["Rapport", "Période", "au", report.period.end.isoformat()])
    writer.writerow(["Rapport", "Établi le", "", report.generated_at.isoformat(timespec="minutes")])
    for table in report.tables():
        for label, cells in table.rows:
            for column, cell in zip(table.columns, cells):
                writer.writerow([table.title, label, column, _value(cell)])
    writer.writerow(
        [report.callbacks.title, "Rappelées dans le délai promis (%)", "", report.callbacks_within_promise_percent]
    )
    for day, pledged, collected, handed in report.masks_cumulative:
        for column, value in (("Promis", pledged), ("Collectés", collected), ("Remis à la préfecture", handed)):
            writer.writerow([CUMULATIVE, day.isoformat(), column, "masqué" if value is None else value])
    return out.getvalue()


def _value(cell: Cell) -> str:
    return str(cell.value) if cell.value is not None and cell.derived is None else cell.text
