"""This script writes, for one department's communes, the territories they belong to: their intercommunality
(EPCI) and their arrondissement, from the @etalab/decoupage-administratif package.

Where the data comes from: the npm package ``@etalab/decoupage-administratif``
(https://github.com/etalab/decoupage-administratif, MIT licence), published by Etalab (DINUM) from INSEE's Code
officiel géographique and the DGCL's list of intercommunalities. Its ``data/communes.json`` gives each commune's
arrondissement; ``data/epci.json`` each EPCI's member communes; ``data/arrondissements.json`` their names.
``data/README.md`` says which version the checked-in CSV was made from.

The output has one row per commune of the department's ``communes-<department>.csv`` (the forms' list), in its
order, UTF-8, with the columns ``insee_code,epci_code,epci_name,arrondissement_code,arrondissement_name``. A
commune the package does not know (merged or created since) keeps empty territories, and is listed on stderr.

Regenerate (Python 3.11 or newer, stdlib only)::

    mkdir -p /tmp/decoupage && cd /tmp/decoupage
    npm pack @etalab/decoupage-administratif && tar xzf etalab-decoupage-administratif-*.tgz
    cd /path/to/crisisbot
    python3 scripts/extract_territories.py /tmp/decoupage/package/data

It writes ``data/communes-71-territories.csv``; ``--department 21`` reads ``data/communes-21.csv`` and writes
``data/communes-21-territories.csv``; ``--output -`` prints.
"""

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("insee_code", "epci_code", "epci_name", "arrondissement_code", "arrondissement_name")


class ExtractionError(Exception):
    """The package's JSON is not what this script expects; the message says what is wrong."""


def territories(
    insee_codes: list[str], communes: list[Any], epcis: list[Any], arrondissements: list[Any]
) -> tuple[list[tuple[str, str, str, str, str]], list[str]]:
    """Return the rows for ``insee_codes`` (in their order), and the codes the package does not know."""
    try:
        arrondissement_of = {
            c["code"]: c.get("arrondissement") or "" for c in communes if c.get("type") == "commune-actuelle"
        }
        arrondissement_names = {a["code"]: a["nom"] for a in arrondissements}
        epci_of: dict[str, tuple[str, str]] = {}
        for epci in epcis:
            for member in epci["membres"]:
                epci_of[member["code"]] = (epci["code"], epci["nom"])
    except (KeyError, TypeError) as exc:
        raise ExtractionError(f"unexpected structure in the package's JSON: missing {exc}") from None
    rows, unknown = [], []
    for code in insee_codes:
        if code not in arrondissement_of:
            unknown.append(code)
        epci_code, epci_name = epci_of.get(code, ("", ""))
        arrondissement = arrondissement_of.get(code, "")
        rows.append((code, epci_code, epci_name, arrondissement, arrondissement_names.get(arrondissement, "")))
    return rows, unknown


def to_csv(rows: list[tuple[str, str, str, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the package's data/ directory")
    parser.add_argument("--department", default="71", help="department code (default: 71)")
    parser.add_argument("--output", help="CSV path, '-' for standard output")
    args = parser.parse_args(argv)
    department = args.department.upper()
    communes_file = REPO_ROOT / "data" / f"communes-{department}.csv"
    try:
        with communes_file.open(encoding="utf-8", newline="") as file:
            insee_codes = [row["insee_code"] for row in csv.DictReader(file)]
        loaded = [
            json.loads((args.data_dir / name).read_text(encoding="utf-8"))
            for name in ("communes.json", "epci.json", "arrondissements.json")
        ]
    except (OSError, ValueError, KeyError) as exc:
        print(f"extract_territories: cannot read the communes or the package: {exc}", file=sys.stderr)
        return 1
    try:
        rows, unknown = territories(insee_codes, *loaded)
    except ExtractionError as exc:
        print(f"extract_territories: {exc}", file=sys.stderr)
        return 1
    for code in unknown:
        print(f"extract_territories: {code} is not a current commune of the package: no territory", file=sys.stderr)
    text = to_csv(rows)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        output = Path(args.output) if args.output else REPO_ROOT / "data" / f"communes-{department}-territories.csv"
        output.write_text(text, encoding="utf-8")
        print(f"extract_territories: wrote {len(rows)} communes of department {department} to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
