"""This script writes, for one department's communes, a point each (the centroid of its area) and a simplified
outline of the department, from the GeoJSON outlines of the gregoiredavid/france-geojson repository.

Where the data comes from: https://github.com/gregoiredavid/france-geojson (IGN's ADMIN EXPRESS COG, edition
2018, simplified by the repository's author; Licence Ouverte / Etalab open licence), files
``departements/<code>-<name>/communes-<code>-<name>.geojson`` (one Polygon or MultiPolygon per commune, with its
INSEE ``code``) and ``departements/<code>-<name>/departement-<code>-<name>.geojson`` (the department).
``data/README.md`` says which commit the checked-in files were made from.

Outputs (UTF-8, coordinates in WGS 84 degrees with 5 decimals, about a metre):

- ``data/communes-<department>-coordinates.csv``: ``insee_code,latitude,longitude``, one row per commune of
  ``data/communes-<department>.csv`` (the forms' list), in its order. The point is the area-weighted centroid of
  the commune's polygons (holes subtracted). A commune made since the outlines' edition from older ones (a
  "commune nouvelle") gets the centroid of all its former communes' polygons: ``MERGED`` lists them for 71
  (from ``anciensCodes`` in @etalab/decoupage-administratif), ``--merge OLD=NEW`` adds others. A commune of the list
  without any polygon is an error: nothing is guessed.
- ``data/department-<department>-outline.csv``: ``ring,latitude,longitude``, the department's outline simplified
  (Visvalingam, smallest triangles removed first) to at most ``--outline-points`` points (400), ring 0 the outer
  one; each ring is listed open (its last point is not the first repeated).

Regenerate (Python 3.10 or newer, stdlib only)::

    git clone https://github.com/gregoiredavid/france-geojson /tmp/france-geojson
    cd /path/to/crisisbot
    python3 scripts/extract_coordinates.py /tmp/france-geojson/departements/71-saone-et-loire

``--department 21`` reads ``data/communes-21.csv`` (give that department's folder); ``--output-dir`` writes
elsewhere than ``data/``.
"""

import argparse
import csv
import io
import json
import sys
from math import cos, radians
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
# Communes nouvelles of department 71 made after the 2018 outlines: former code -> current code
# (@etalab/decoupage-administratif 6.0.0, data/communes.json, "anciensCodes"; both on 1 January 2019).
MERGED: Dict[str, Dict[str, str]] = {
    "71": {
        "71055": "71134",  # Brandon -> Navour-sur-Grosne (with Clermain, 71134)
        "71304": "71134",  # Montagny-sur-Grosne -> Navour-sur-Grosne
        "71492": "71042",  # Saint-Ythaire -> Bonnay-Saint-Ythaire (with Bonnay, 71042)
    }
}
OUTLINE_POINTS = 400

Ring = List[Tuple[float, float]]  # (longitude, latitude), as in GeoJSON


class ExtractionError(Exception):
    """The GeoJSON is not what this script expects, or a commune has no polygon; the message says which."""


def polygons_of(geometry: Any) -> List[List[Ring]]:
    """The polygons (outer ring, then holes) of a Polygon or MultiPolygon geometry."""
    try:
        kind, coordinates = geometry["type"], geometry["coordinates"]
        if kind == "Polygon":
            polygons = [coordinates]
        elif kind == "MultiPolygon":
            polygons = coordinates
        else:
            raise ExtractionError(f"unexpected geometry type {kind!r}")
        return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in polygons]
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise ExtractionError(f"unexpected geometry: {exc!r}") from None


def _ring_moments(ring: Ring) -> Tuple[float, float, float]:
    """Signed area and first moments (shoelace) of a ring, in squared degrees."""
    area = mx = my = 0.0
    if len(ring) < 3:
        return 0.0, 0.0, 0.0
    points = ring if ring[0] == ring[-1] else ring + [ring[0]]
    x0, y0 = points[0]  # relative to a vertex: fewer rounding errors
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        xa, ya, xb, yb = xa - x0, ya - y0, xb - x0, yb - y0
        cross = xa * yb - xb * ya
        area += cross
        mx += (xa + xb) * cross
        my += (ya + yb) * cross
    return area / 2, mx / 6 + x0 * area / 2, my / 6 + y0 * area / 2


def centroid(polygons: Iterable[List[Ring]]) -> Tuple[float, float]:
    """(latitude, longitude) of the area-weighted centroid of polygons (outer ring first, holes after).

    Planar in degrees: over a commune the cos(latitude) scale of longitudes is constant, and cancels out."""
    total = sx = sy = 0.0
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            area, mx, my = _ring_moments(ring)
            sign = 1.0 if index == 0 else -1.0  # the outer ring counts, holes subtract, whatever their winding
            if area < 0:
                area, mx, my = -area, -mx, -my
            total += sign * area
            sx += sign * mx
            sy += sign * my
    if total <= 0:
        raise ExtractionError("a geometry without area")
    return sy / total, sx / total


def commune_points(
    insee_codes: Sequence[str], features: Sequence[Any], merged: Optional[Dict[str, str]] = None
) -> Tuple[List[Tuple[str, float, float]], List[str]]:
    """Rows (insee_code, latitude, longitude) for ``insee_codes``, in their order, and the features' codes that
    are neither in the list nor merged into one of it (ignored). A code without polygon raises ExtractionError."""
    merged = merged or {}
    wanted = set(insee_codes)
    polygons: Dict[str, List[List[Ring]]] = {}
    ignored = []
    for feature in features:
        try:
            code = str(feature["properties"]["code"])
            geometry = feature["geometry"]
        except (KeyError, TypeError):
            raise ExtractionError("a feature without properties.code or geometry") from None
        target = code if code in wanted else merged.get(code)
        if target not in wanted:
            ignored.append(code)
            continue
        polygons.setdefault(target, []).extend(polygons_of(geometry))
    missing = [code for code in insee_codes if code not in polygons]
    if missing:
        raise ExtractionError(f"no polygon for {len(missing)} commune(s): {', '.join(missing)}")
    rows = []
    for code in insee_codes:
        latitude, longitude = centroid(polygons[code])
        rows.append((code, round(latitude, 5), round(longitude, 5)))
    return rows, ignored


def _triangle(a: Tuple[float, float], b: Tuple[float, float], c: Tuple[float, float], scale: float) -> float:
    return abs((b[0] - a[0]) * scale * (c[1] - a[1]) - (c[0] - a[0]) * scale * (b[1] - a[1])) / 2


def simplify_ring(ring: Ring, keep: int, scale: float = 1.0) -> Ring:
    """The ring (open: no repeated last point) with only ``keep`` points (3 at least), removing first the point
    whose triangle with its neighbours is smallest (Visvalingam). ``scale`` multiplies longitudes (cos latitude)."""
    points = list(ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring)
    keep = max(3, keep)
    while len(points) > keep:
        count = len(points)
        areas = [_triangle(points[i - 1], points[i], points[(i + 1) % count], scale) for i in range(count)]
        del points[min(range(count), key=areas.__getitem__)]
    return points


def outline(polygons: List[List[Ring]], max_points: int = OUTLINE_POINTS) -> List[Ring]:
    """The department's rings (outer rings and holes, in order), simplified to at most ``max_points`` in all,
    each ring keeping a share of points in proportion to its own (4 at least)."""
    rings = [ring for polygon in polygons for ring in polygon]
    sizes = [max(0, len(r) - 1) for r in rings]
    total = sum(sizes)
    latitudes = [p[1] for ring in rings for p in ring]
    scale = cos(radians((min(latitudes) + max(latitudes)) / 2))
    if total <= max_points:
        return [simplify_ring(r, len(r), scale) for r in rings]
    shares = [max(4, max_points * size // total) for size in sizes]
    while sum(shares) > max_points and max(shares) > 4:
        shares[shares.index(max(shares))] -= 1
    return [simplify_ring(ring, min(share, size), scale) for ring, share, size in zip(rings, shares, sizes)]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{value:.5f}" if isinstance(value, float) else value for value in row])
    return out.getvalue()


def _features(path: Path) -> List[Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        return list(data["features"])
    if data.get("type") == "Feature":
        return [data]
    raise ExtractionError(f"{path.name}: neither a Feature nor a FeatureCollection")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("department_dir", type=Path, help="the repository's departements/<code>-<name>/ folder")
    parser.add_argument("--department", default="71", help="department code (default: 71)")
    parser.add_argument("--merge", action="append", default=[], metavar="OLD=NEW",
                        help="count the polygon of former commune OLD in commune NEW (repeatable)")
    parser.add_argument("--outline-points", type=int, default=OUTLINE_POINTS, help="at most this many (400)")
    parser.add_argument("--output-dir", type=Path, default=REPO_ROOT / "data", help="where to write (data/)")
    args = parser.parse_args(argv)
    department = args.department.upper()
    merged = dict(MERGED.get(department, {}))
    try:
        merged.update(dict(item.split("=", 1) for item in args.merge))
    except ValueError:
        parser.error("--merge takes OLD=NEW")
    try:
        with (REPO_ROOT / "data" / f"communes-{department}.csv").open(encoding="utf-8", newline="") as file:
            insee_codes = [row["insee_code"].strip() for row in csv.DictReader(file)]
        (communes_file,) = sorted(args.department_dir.glob(f"communes-{department.lower()}-*.geojson"))
        (department_file,) = sorted(args.department_dir.glob(f"departement-{department.lower()}-*.geojson"))
        communes, departments = _features(communes_file), _features(department_file)
    except (OSError, ValueError, KeyError) as exc:
        print(f"extract_coordinates: cannot read the communes or the GeoJSON files: {exc!r}", file=sys.stderr)
        return 1
    try:
        rows, ignored = commune_points(insee_codes, communes, merged)
        rings = outline([p for feature in departments for p in polygons_of(feature["geometry"])], args.outline_points)
    except (ExtractionError, KeyError, TypeError) as exc:
        print(f"extract_coordinates: {exc}", file=sys.stderr)
        return 1
    for code in ignored:
        print(f"extract_coordinates: {code} is not in the communes list, nor merged into one: ignored", file=sys.stderr)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    points_path = args.output_dir / f"communes-{department}-coordinates.csv"
    outline_path = args.output_dir / f"department-{department}-outline.csv"
    points_path.write_text(to_csv(("insee_code", "latitude", "longitude"), rows), encoding="utf-8")
    outline_rows = [(index, lat, lon) for index, ring in enumerate(rings) for lon, lat in ring]
    outline_path.write_text(
        to_csv(("ring", "latitude", "longitude"), [(i, round(lat, 5), round(lon, 5)) for i, lat, lon in outline_rows]),
        encoding="utf-8",
    )
    print(f"extract_coordinates: wrote {len(rows)} communes to {points_path} and {len(outline_rows)} outline points "
          f"({len(rings)} rings) to {outline_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
