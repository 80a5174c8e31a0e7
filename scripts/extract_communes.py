"""This script writes one department's communes and their postcodes as CSV, from the codes-postaux package.

Where the data comes from: the npm package ``codes-postaux`` (https://github.com/BaseAdresseNationale/codes-postaux,
MIT licence), published by the Base Adresse Nationale (IGN, DINUM, ANCT). Its ``codes-postaux.json`` is a list of
``{"codeCommune", "nomCommune", "codePostal", "libelleAcheminement"}`` rows, one per commune and postcode, built
from INSEE's Code officiel géographique and the DGFiP's FIMOCT file. ``data/README.md`` says which version the
checked-in CSV was made from.

The output has one row per commune (INSEE code), sorted by name, UTF-8, with the columns
``insee_code,name,postcodes`` (postcodes separated by spaces). A commune keeps every postcode it has, even one
of a neighbouring department (Change, in Saône-et-Loire, is served by 21340).

Regenerate, for Saône-et-Loire or another department (run with Python 3.11 or newer, stdlib only)::

    mkdir -p /tmp/codes-postaux && cd /tmp/codes-postaux
    npm pack codes-postaux && tar xzf codes-postaux-*.tgz
    cd /path/to/crisisbot
    python3 scripts/extract_communes.py /tmp/codes-postaux/package/codes-postaux.json
    python3 scripts/extract_communes.py /tmp/codes-postaux/package/codes-postaux.json --department 21

The second command writes ``data/communes-21.csv``; ``--output`` picks another path, ``--output -`` prints.
"""

import argparse
import csv
import io
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("insee_code", "name", "postcodes")
# Metropolitan departments are two digits (Corsica 2A, 2B); overseas ones three (971 to 976).
_DEPARTMENT = re.compile(r"^(?:\d{2}|2[AB]|97[1-6])$")
_INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_POSTCODE = re.compile(r"^\d{5}$")


class ExtractionError(Exception):
    """The package's JSON is not what this script expects; the message says what is wrong and where."""


def extract(rows: list[Any], department: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Return ``(insee_code, name, postcodes)`` for each commune of ``department``, sorted by name."""
    names: dict[str, str] = {}
    postcodes: dict[str, set[str]] = {}
    for index, row in enumerate(rows):
        try:
            insee_code, name, postcode = row["codeCommune"], row["nomCommune"], row["codePostal"]
        except (KeyError, TypeError):
            raise ExtractionError(
                f"row {index} is not a codes-postaux entry with codeCommune, nomCommune and codePostal: {row!r}"
            ) from None
        if not (isinstance(insee_code, str) and _INSEE_CODE.match(insee_code)):
            raise ExtractionError(f"row {index}: codeCommune {insee_code!r} is not a 5-character INSEE code")
        if not insee_code.startswith(department):
            continue
        if not (isinstance(postcode, str) and _POSTCODE.match(postcode)):
            raise ExtractionError(f"row {index}: codePostal {postcode!r} of {insee_code} is not 5 digits")
        if not (isinstance(name, str) and name.strip()):
            raise ExtractionError(f"row {index}: commune {insee_code} has no name")
        if names.setdefault(insee_code, name) != name:
            raise ExtractionError(
                f"row {index}: commune {insee_code} is named both {names[insee_code]!r} and {name!r}"
            )
        postcodes.setdefault(insee_code, set()).add(postcode)
    communes = [(code, names[code], tuple(sorted(postcodes[code]))) for code in names]
    communes.sort(key=lambda commune: (_sort_key(commune[1]), commune[0]))
    return communes


def to_csv(communes: list[tuple[str, str, tuple[str, ...]]]) -> str:
    """Write communes as the CSV text that ``actions.validation.communes`` loads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for insee_code, name, postcodes in communes:
        writer.writerow((insee_code, name, " ".join(postcodes)))
    return out.getvalue()


def _sort_key(name: str) -> str:
    # Alphabetical as a French reader expects: "Écuisses" among the E, not after Z.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def main(argv: list[str] | None = None) -> int:
    """Read the package's JSON, keep one department, write the CSV; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json_file", type=Path, help="codes-postaux.json from the codes-postaux npm package")
    parser.add_argument("--department", default="71", help="department code, e.g. 71, 2A, 974 (default: 71)")
    parser.add_argument(
        "--output", help="CSV path, '-' for standard output (default: data/communes-<department>.csv)"
    )
    args = parser.parse_args(argv)
    department = args.department.upper()
    if not _DEPARTMENT.match(department):
        parser.error(f"--department {args.department!r} is not a department code such as 71, 2A or 974")
    try:
        rows = json.loads(args.json_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"extract_communes: cannot read {args.json_file}: {exc}", file=sys.stderr)
        return 1
    if not isinstance(rows, list):
        print(f"extract_communes: {args.json_file} is not a JSON list of codes-postaux rows", file=sys.stderr)
        return 1
    try:
        communes = extract(rows, department)
    except ExtractionError as exc:
        print(f"extract_communes: {args.json_file}: {exc}", file=sys.stderr)
        return 1
    if not communes:
        print(f"extract_communes: no commune of department {department} in {args.json_file}", file=sys.stderr)
        return 1
    text = to_csv(communes)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        output = Path(args.output) if args.output else REPO_ROOT / "data" / f"communes-{department}.csv"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"extract_communes: wrote {len(communes)} communes of department {department} to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
