"""This module draws the department as an inline SVG (no tiles, nothing fetched): its outline
(data/department-71-outline.csv, scripts/extract_coordinates.py) and one circle per commune with initiatives,
sized by their count. The projection is equirectangular, longitudes scaled by cos(mean latitude), so the shape is
right at the department's scale."""

import csv
import math
from html import escape
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

__all__ = ["OUTLINE_FILE", "department_svg", "load_outline"]

OUTLINE_FILE = Path(__file__).resolve().parents[2] / "data" / "department-71-outline.csv"
WIDTH = 400.0  # the viewBox's width; its height follows the department's shape
MARGIN = 12.0
LABELLED = 6  # how many of the largest counts get a visible label

Point = Tuple[float, float, str, int]  # latitude, longitude, label, count
Ring = List[Tuple[float, float]]  # (latitude, longitude)


def load_outline(path: Path = OUTLINE_FILE) -> List[Ring]:
    """The rings of the outline file (header ring,latitude,longitude); none when the file is missing."""
    rings: dict = {}
    try:
        with open(path, encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                rings.setdefault(int(row["ring"]), []).append((float(row["latitude"]), float(row["longitude"])))
    except (OSError, ValueError, KeyError):
        return []
    return [rings[index] for index in sorted(rings)]


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def department_svg(
    points: Sequence[Point],
    highlight: Optional[str] = None,
    outline: Optional[List[Ring]] = None,
    title: str = "Carte de la Saône-et-Loire : les communes où des initiatives sont proposées",
    unit: Tuple[str, str] = ("initiative", "initiatives"),
) -> str:
    """An accessible inline SVG (role="img", <title>, aria-label): the outline as a path, one circle per point
    whose count is positive (radius growing with the square root of the count), the labels of the largest
    counts and of `highlight` (a label, e.g. the commune chosen in the filter). Labels are escaped. `unit` is
    what the counts count, singular and plural, as the summary and each circle's title say it."""
    rings = load_outline() if outline is None else outline
    shown = [(float(lat), float(lon), str(label), int(count)) for lat, lon, label, count in points if int(count) > 0]
    lats = [lat for ring in rings for lat, _ in ring] + [p[0] for p in shown]
    lons = [lon for ring in rings for _, lon in ring] + [p[1] for p in shown]
    if not lats:
        lats, lons = [46.15, 47.16], [3.62, 5.47]  # Saône-et-Loire's extent, for an empty drawing
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    kx = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * kx, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = (WIDTH - 2 * MARGIN) / span_x
    height = span_y * scale + 2 * MARGIN

    def project(lat: float, lon: float) -> Tuple[float, float]:
        return MARGIN + (lon - west) * kx * scale, MARGIN + (north - lat) * scale

    total = sum(p[3] for p in shown)
    summary = (
        f"{title}. {len(shown)} commune{'s' if len(shown) != 1 else ''}, "
        f"{total} {unit[0] if total == 1 else unit[1]}."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(WIDTH)} {_fmt(height)}" '
        f'role="img" aria-label="{escape(summary)}" class="department-map">',
        f"<title>{escape(summary)}</title>",
    ]
    if rings:
        d = " ".join(
            "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in (project(lat, lon) for lat, lon in ring)) + " Z"
            for ring in rings
            if ring
        )
        parts.append(f'<path class="outline" d="{d}" fill="#f4f1ea" stroke="#555" stroke-width="1" '
                     f'fill-rule="evenodd"/>')
    largest = {p[2] for p in sorted(shown, key=lambda p: (-p[3], p[2]))[:LABELLED]}
    labels = []
    for lat, lon, label, count in sorted(shown, key=lambda p: -p[3]):
        x, y = project(lat, lon)
        radius = 3 + 2.5 * math.sqrt(count)
        marked = highlight is not None and label == highlight
        css = "commune highlight" if marked else "commune"
        fill = "#c0392b" if marked else "#1f6f8b"
        text = f"{label} : {count} {unit[0] if count == 1 else unit[1]}"
        parts.append(
            f'<circle class="{css}" cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(radius)}" fill="{fill}" '
            f'fill-opacity="0.75" stroke="#fff" stroke-width="1"><title>{escape(text)}</title></circle>'
        )
        if label in largest or marked:
            anchor = "end" if x > WIDTH * 0.7 else "start"
            dx = -(radius + 2) if anchor == "end" else radius + 2
            labels.append(
                f'<text x="{_fmt(x + dx)}" y="{_fmt(y + 4)}" text-anchor="{anchor}" font-size="11" '
                f'fill="#222" aria-hidden="true">{escape(label)}</text>'
            )
    parts.extend(labels)  # above the circles
    parts.append("</svg>")
    return "".join(parts)
