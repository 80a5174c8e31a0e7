"""This module contains CommuneDirectory, the communes of one department, and how an artisan's answer matches one.

The directory is read from a CSV file made by ``scripts/extract_communes.py`` (``data/communes-71.csv`` for
Saône-et-Loire): columns ``insee_code,name,postcodes``, postcodes separated by spaces. The caller passes its
path and department (the forms read them from settings such as ``COMMUNES_FILE``); nothing is read at import.

``CommuneDirectory.match`` forgives what artisans type on a phone: case, accents, hyphens, apostrophes, "st"
and "ste" for Saint and Sainte, "s/" or "/" for "sur", a leading article left out, a few words around the name
("j'habite à Mâcon"), a postcode with or instead of the name, the usual short names ("Chalon", "Montceau",
"Paray") and typos. It answers in order, the first stage that finds something winning:

1. the whole name, once normalized: one commune is exact, several (homonyms) are ambiguous;
2. the first words of names ("chalon" starts Chalon-sur-Saône only): one is exact, several ambiguous; but the
   name of a big town elsewhere in France goes no further than stage 1 ("paris" is not Paris-l'Hôpital,
   "nancy" is not Rancy, "bresse" is the region: see ``WELL_KNOWN_PLACES``);
3. a typo of a whole name (rapidfuzz, optimal string alignment): one clear winner with a high score is exact
   and marked ``corrected``; otherwise the close ones are ambiguous, to confirm;
4. a typo of the first words of names: ambiguous, to confirm.

Everything here is pure and fast (a few milliseconds): load once at start, match on every message.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Union

from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = [
    "Commune",
    "CommuneDataError",
    "CommuneDirectory",
    "CommuneMatch",
    "CommuneMatchStatus",
    "CommuneProblem",
    "MAX_CANDIDATES",
    "WELL_KNOWN_PLACES",
    "normalize_name",
]

CSV_COLUMNS = ("insee_code", "name", "postcodes")
MAX_CANDIDATES = 5
# Similarity (0 to 1, 1 - edits / length) for a typo to count: one edit in five letters ("cluni", 0.8).
FUZZY_CUTOFF = 0.79
# A typo is taken without asking only from one edit in seven letters, and ahead of the next commune by
# FUZZY_MARGIN: "chalons sur saone" (0.94) is Chalon-sur-Saône, "digion" (0.83) only suggests Digoin.
FUZZY_SURE = 0.84
FUZZY_MARGIN = 0.05

# Big towns elsewhere in France, and regions. Their name alone never selects a local commune whose name merely
# starts like it: "Paris" means Paris, not Paris-l'Hôpital; "Toulon" is not Toulon-sur-Arroux; "je suis en
# Bresse" names the region, not Bresse-sur-Grosne.
WELL_KNOWN_PLACES: FrozenSet[str] = frozenset(
    {
        "paris", "marseille", "lyon", "toulouse", "nice", "nantes", "montpellier", "strasbourg", "bordeaux",
        "lille", "rennes", "toulon", "reims", "saint etienne", "le havre", "grenoble", "dijon", "angers",
        "nimes", "clermont", "besancon", "nevers", "bourg", "moulins", "roanne", "auxerre", "sens", "beaune",
        "vichy", "villefranche", "lons", "orleans", "tours", "limoges", "metz", "nancy", "troyes",
        "bresse", "bourgogne", "morvan", "charolais", "brionnais", "maconnais", "chalonnais",
    }
)

_POSTCODE = re.compile(r"(?<!\d)(\d{2}) ?(\d{3})(?!\d)")
_INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_POSTCODE_FIELD = re.compile(r"^\d{5}$")
_ARTICLES = ("l", "le", "la", "les")
# Corsica's departments share the 20xxx postcodes.
_POSTCODE_PREFIXES = {"2A": "20", "2B": "20"}
# Said around a commune's name: "j'habite à Chalon", "je suis sur Mâcon", "commune de Cluny, merci".
_LEADING_WORDS = re.compile(
    r"^(?:(?:j habite|je suis|je travaille|je vis|on est|nous sommes|c est|mon entreprise est|"
    r"mon atelier est|(?:la )?(?:commune|ville|mairie) (?:de|d))\s+)*"
    r"(?:(?:a|au|sur|en|dans|pres de|vers)\s+)?(?=\S)"
)
_TRAILING_WORDS = re.compile(r"(?:\s+(?:svp|stp|s il vous plait|merci|bcp|beaucoup))+$")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "lez": "les"}


class CommuneDataError(ValueError):
    """The communes file is missing or not in the expected format; the message names the file and line."""


class CommuneMatchStatus(str, Enum):
    """How an answer matched: one commune, several to choose from (or one to confirm), or none."""

    EXACT = "exact"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


class CommuneProblem(str, Enum):
    """Why an answer matched no commune."""

    EMPTY = "empty"
    UNKNOWN_COMMUNE = "unknown_commune"
    UNKNOWN_POSTCODE = "unknown_postcode"
    POSTCODE_OUTSIDE_DEPARTMENT = "postcode_outside_department"


@dataclass(frozen=True)
class Commune:
    """One commune: its INSEE code (stable, store this), official name and postcodes."""

    insee_code: str
    name: str
    postcodes: Tuple[str, ...]

    @property
    def label(self) -> str:
        """Name with postcodes, as shown on a button: "Marigny (71210, 71300, 71460)"."""
        return f"{self.name} ({', '.join(self.postcodes)})"


@dataclass(frozen=True)
class CommuneMatch:
    """What an answer matched, and the French sentence to say when the form must ask again.

    ``exact``: ``commune`` is the one. ``ambiguous``: ``candidates`` (at most MAX_CANDIDATES, best first) are
    the choices to offer, ``total`` how many matched in all (a postcode may cover 34 communes); a single
    candidate is a guess to confirm. ``none``: ``reason`` says why. ``corrected`` is true when a typo was
    forgiven, if the form wants to confirm the name it understood.
    """

    status: CommuneMatchStatus
    commune: Optional[Commune] = None
    candidates: Tuple[Commune, ...] = ()
    total: int = 0
    reason: Optional[CommuneProblem] = None
    message: Optional[str] = None
    corrected: bool = False

    @property
    def is_exact(self) -> bool:
        """Tell whether the answer named one commune."""
        return self.status is CommuneMatchStatus.EXACT


@dataclass(frozen=True)
class _Entry:
    key: str
    commune: Commune


class CommuneDirectory:
    """The communes of one department, indexed for ``match``."""

    def __init__(
        self,
        communes: Iterable[Commune],
        department: str = "71",
        department_phrase: str = "en Saône-et-Loire",
    ) -> None:
        """Index ``communes``; ``department_phrase`` completes French sentences ("… en Saône-et-Loire")."""
        self.department = department
        self.department_phrase = department_phrase
        self.communes: Tuple[Commune, ...] = tuple(sorted(communes, key=_sort_key))
        self._by_code: Dict[str, Commune] = {commune.insee_code: commune for commune in self.communes}
        self._by_postcode: Dict[str, List[Commune]] = {}
        entries: List[_Entry] = []
        for commune in self.communes:
            for postcode in commune.postcodes:
                self._by_postcode.setdefault(postcode, []).append(commune)
            key = normalize_name(commune.name)
            entries.append(_Entry(key, commune))
            # "Creusot" for Le Creusot, "abergement de cuisery" for L'Abergement-de-Cuisery.
            first, _, rest = key.partition(" ")
            if first in _ARTICLES and rest:
                entries.append(_Entry(rest, commune))
        self._entries: Tuple[_Entry, ...] = tuple(entries)

    @classmethod
    def load(
        cls,
        path: Union[str, Path],
        department: str = "71",
        department_phrase: str = "en Saône-et-Loire",
    ) -> "CommuneDirectory":
        """Read a communes CSV; raise CommuneDataError if it is missing, empty or malformed."""
        path = Path(path)
        try:
            with path.open(encoding="utf-8", newline="") as csv_file:
                communes = list(_read_communes(csv_file, path, department))
        except OSError as exc:
            raise CommuneDataError(
                f"cannot read the communes file {path}: {exc.strerror or exc}; "
                "make it with scripts/extract_communes.py"
            ) from exc
        if not communes:
            raise CommuneDataError(f"{path} has no commune")
        return cls(communes, department=department, department_phrase=department_phrase)

    def __len__(self) -> int:
        return len(self.communes)

    def by_code(self, insee_code: str) -> Optional[Commune]:
        """Return the commune with this INSEE code (a button's payload), or None."""
        return self._by_code.get(insee_code)

    def match(self, text: str) -> CommuneMatch:
        """Find the commune an artisan meant by ``text``: a name, a postcode, or both."""
        key = normalize_name(text)
        postcodes = [first + last for first, last in _POSTCODE.findall(key)]
        words = _POSTCODE.sub(" ", key).split()
        # A lone department number ("Chalon 71", "Mâcon (71)") says nothing more.
        name_key = self._strip_filler(" ".join(word for word in words if word != self.department.lower()))
        if postcodes:
            return self._match_postcode(postcodes[0], name_key)
        if not name_key:
            return self._none(
                CommuneProblem.EMPTY, "Je n'ai pas lu de commune : dans quelle commune est votre entreprise ?"
            )
        found = self._match_name(name_key, self._entries)
        if found is not None:
            return found
        return self._none(
            CommuneProblem.UNKNOWN_COMMUNE,
            f"Je ne trouve pas cette commune {self.department_phrase} : pouvez-vous vérifier l'orthographe "
            "ou donner son code postal ?",
        )

    def _match_postcode(self, postcode: str, name_key: str) -> CommuneMatch:
        communes = self._by_postcode.get(postcode, [])
        if name_key:
            # "71100 Chalon": the name picks among the postcode's communes, else in the whole department
            # (a wrong postcode next to a right name).
            entries = [entry for entry in self._entries if entry.commune in communes]
            found = self._match_name(name_key, entries) or self._match_name(name_key, self._entries)
            if found is not None:
                return found
        if not communes:
            if not postcode.startswith(_POSTCODE_PREFIXES.get(self.department, self.department)):
                return self._none(
                    CommuneProblem.POSTCODE_OUTSIDE_DEPARTMENT,
                    f"Le code postal {postcode} n'est pas {self.department_phrase}.",
                )
            return self._none(
                CommuneProblem.UNKNOWN_POSTCODE,
                f"Je ne connais pas le code postal {postcode} {self.department_phrase} : pouvez-vous le vérifier "
                "ou écrire le nom de la commune ?",
            )
        return _one_or_choice(
            communes,
            f"Le code postal {postcode} couvre plusieurs communes : laquelle est la vôtre ?",
            f"Le code postal {postcode} couvre {len(communes)} communes : écrivez le nom de la vôtre.",
        )

    def _match_name(self, key: str, entries: Sequence[_Entry]) -> Optional[CommuneMatch]:
        exact = _unique(entry.commune for entry in entries if entry.key == key)
        if exact:
            return _one_or_choice(exact, "Plusieurs communes portent ce nom : laquelle est la vôtre ?")
        if key in WELL_KNOWN_PLACES:
            return None  # "Nancy" is Nancy: neither Rancy nor the start of a local name.
        prefixed = _unique(entry.commune for entry in entries if entry.key.startswith(key + " "))
        if prefixed:
            prefixed.sort(key=lambda commune: (len(commune.name), _sort_key(commune)))
            return _one_or_choice(prefixed, "Plusieurs communes commencent ainsi : laquelle est la vôtre ?")
        typo = self._match_typo(key, [(entry.key, entry.commune) for entry in entries], sure_allowed=True)
        if typo is not None:
            return typo
        # Typo in a short name ("chalons", "monceau"): compare with names cut to as many words as the answer.
        length = len(key.split())
        heads = [(" ".join(entry.key.split()[:length]), entry.commune) for entry in entries]
        return self._match_typo(key, [(head, commune) for head, commune in heads if head != key], False)

    def _match_typo(
        self, key: str, choices: List[Tuple[str, Commune]], sure_allowed: bool
    ) -> Optional[CommuneMatch]:
        scored = process.extract(
            key,
            [choice_key for choice_key, _ in choices],
            scorer=OSA.normalized_similarity,
            score_cutoff=FUZZY_CUTOFF,
            limit=None,
        )
        best: Dict[Commune, float] = {}
        for _, score, index in scored:
            commune = choices[index][1]
            best[commune] = max(score, best.get(commune, 0.0))
        if not best:
            return None
        ranked = sorted(best, key=lambda commune: (-best[commune], _sort_key(commune)))
        top = best[ranked[0]]
        runner_up = best[ranked[1]] if len(ranked) > 1 else 0.0
        if sure_allowed and top >= FUZZY_SURE and top - runner_up >= FUZZY_MARGIN:
            return CommuneMatch(
                CommuneMatchStatus.EXACT, commune=ranked[0], candidates=(ranked[0],), total=1, corrected=True
            )
        if len(ranked) == 1:
            return _ambiguous(ranked, f"Vouliez-vous dire {ranked[0].name} ?")
        return _ambiguous(ranked, "Vouliez-vous dire l'une de ces communes ?")

    def _strip_filler(self, key: str) -> str:
        stripped = _LEADING_WORDS.sub("", _TRAILING_WORDS.sub("", key), count=1)
        if stripped != key and any(
            entry.key == key or entry.key.startswith(key + " ") for entry in self._entries
        ):
            return key  # A name that starts like a sentence is still a name.
        return stripped

    def _none(self, reason: CommuneProblem, message: str) -> CommuneMatch:
        return CommuneMatch(CommuneMatchStatus.NONE, reason=reason, message=message)


def normalize_name(text: str) -> str:
    """Reduce a commune's name or an answer to lowercase ASCII words: "St-Rémy" and "saint remy" agree."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    # "Chalon s/ Saône", "Chalon/Saône": the slash stands for "sur".
    text = re.sub(r"\bs\s*/\s*", " sur ", text)
    text = re.sub(r"(?<=[a-z])\s*/\s*(?=[a-z])", " sur ", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _read_communes(csv_file: Iterable[str], path: Path, department: str) -> Iterable[Commune]:
    reader = csv.reader(csv_file)
    header = next(reader, None)
    if header is None or tuple(column.strip() for column in header) != CSV_COLUMNS:
        raise CommuneDataError(
            f"{path}: the first line must be the header {','.join(CSV_COLUMNS)}, found {header!r}"
        )
    seen = set()
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            raise CommuneDataError(f"{path}, line {line}: expected {len(CSV_COLUMNS)} columns, found {len(row)}")
        insee_code, name, postcodes_field = (field.strip() for field in row)
        if not _INSEE_CODE.match(insee_code) or not insee_code.startswith(department):
            raise CommuneDataError(
                f"{path}, line {line}: {insee_code!r} is not the INSEE code of a commune of department {department}"
            )
        if insee_code in seen:
            raise CommuneDataError(f"{path}, line {line}: commune {insee_code} appears twice")
        seen.add(insee_code)
        if not name:
            raise CommuneDataError(f"{path}, line {line}: commune {insee_code} has no name")
        postcodes = tuple(postcodes_field.split())
        if not postcodes or not all(_POSTCODE_FIELD.match(postcode) for postcode in postcodes):
            raise CommuneDataError(
                f"{path}, line {line}: postcodes {postcodes_field!r} of {name} are not 5-digit codes "
                "separated by spaces"
            )
        yield Commune(insee_code, name, postcodes)


def _unique(communes: Iterable[Commune]) -> List[Commune]:
    return list(dict.fromkeys(communes))


def _one_or_choice(
    communes: Sequence[Commune], message: str, too_many_message: Optional[str] = None
) -> CommuneMatch:
    if len(communes) == 1:
        return CommuneMatch(CommuneMatchStatus.EXACT, commune=communes[0], candidates=(communes[0],), total=1)
    return _ambiguous(communes, message, too_many_message)


def _ambiguous(
    communes: Sequence[Commune], message: str, too_many_message: Optional[str] = None
) -> CommuneMatch:
    if len(communes) > MAX_CANDIDATES:
        # Buttons would hide most of them: ask for more of the name instead, still offering the first ones.
        message = too_many_message or (
            f"{len(communes)} communes correspondent : écrivez le nom complet de la vôtre ou son code postal."
        )
    return CommuneMatch(
        CommuneMatchStatus.AMBIGUOUS,
        candidates=tuple(communes[:MAX_CANDIDATES]),
        total=len(communes),
        message=message,
    )


def _sort_key(commune: Commune) -> Tuple[str, str]:
    return (normalize_name(commune.name), commune.insee_code)
