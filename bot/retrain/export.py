"""This module contains the export of training data for `rasa train`, and the evaluation set.

Training data: a fresh directory holding a copy of nlu/train, domain.yml and config.yml, plus three files of
the admins' work: `data/admin_labels.yml` (their labelled examples), `data/admin_rules.yml` (one rule per
intent they created: the intent, then its answer `utter_<name>`) and `domain/admin_domain.yml` (those intents
and their answers). Rasa merges every file of a domain directory, so domain.yml itself is never rewritten.

An admin's example is dropped when nlu/ already holds the same text (compared case- and space-insensitively):
under its own intent it adds nothing, under another one it would teach the model a contradiction, and an
example from nlu/heldout would leak the test set into training. Two admins labelling the same text with
two different intents is a contradiction too: both labels are left out.

Evaluation set: nlu/heldout (never trained on) plus the labels the inbox kept aside (`source` "inbox").
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.runtime.rasa_env import RASA_VERSION

__all__ = [
    "Example",
    "NewIntent",
    "TrainingData",
    "build_training_data",
    "clean_example",
    "evaluation_set",
    "evaluation_set_hash",
    "normalise",
]

# An intent name Rasa and our response names accept as is: `utter_<name>` must be a plain YAML key.
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Rasa's entity annotations: [text](entity), [text](entity:value), [text]{"entity": ...}, [text][{...}].
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+?)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
# What YAML accepts in a document (YAML 1.1/1.2 printable set), minus NEL, which YAML reads as a line break.
YAML_PRINTABLE = re.compile(r"[^\x09\x0A\x0D\x20-\x7E\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
# Brackets and braces would read as entity annotations in Rasa's YAML: round ones read the same to a person.
BRACKETS = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")"})

ADMIN_LABELS = "admin_labels.yml"
ADMIN_RULES = "admin_rules.yml"
ADMIN_DOMAIN = "admin_domain.yml"


@dataclass(frozen=True)
class NewIntent:
    """An intent an admin created; the assistant answers it with the response `utter_<name>`."""

    name: str
    title: str
    answer: str
    buttons: list[dict[str, str]]

    @property
    def response(self) -> str:
        return f"utter_{self.name}"


@dataclass(frozen=True)
class TrainingData:
    """What `rasa train --data data_dir --domain domain_dir --config config_path` trains from."""

    data_dir: Path
    domain_dir: Path
    config_path: Path
    # sha256 (hex) of the Rasa version, config.yml and every file written: same data, same hash.
    data_hash: str
    # Admin examples left out because nlu/ already holds the same text.
    dropped: int = 0
    # Admin examples left out because admins gave the same text two different intents.
    conflicting: int = 0
    # Admin examples left out because their intent is neither in domain.yml nor created by admins.
    unknown_intent: int = 0
    # Admin examples written to admin_labels.yml.
    written: int = 0


@dataclass(frozen=True)
class Example:
    """One message of the evaluation set: its text, the intent it should get, where it comes from."""

    text: str
    intent: str
    source: str  # "heldout" (nlu/heldout) or "inbox" (an admin's label kept aside)

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "intent": self.intent, "source": self.source}


# ------------------------------------------------------------------------------------------ texts
def clean_example(text: str) -> str:
    """`text` as one safe line of a Rasa `examples: |` block: no line breaks, nothing read as an entity."""
    text = unicodedata.normalize("NFC", text)
    text = YAML_PRINTABLE.sub(" ", text).translate(BRACKETS)
    text = " ".join(text.split())
    # "/greet" would be read as an intent given directly, not as words.
    return text.lstrip("/").strip()


def normalise(text: str) -> str:
    """The form two examples are compared in: annotations, case and spacing aside."""
    text = ANNOTATION.sub(lambda m: m.group("text"), text)
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _strip_annotations(text: str) -> str:
    return " ".join(ANNOTATION.sub(lambda m: m.group("text"), text).split())


def nlu_examples(files: Iterable[Path]) -> list[tuple[str, str]]:
    """(text, intent) of every example in Rasa NLU YAML files, entity annotations removed."""
    found: list[tuple[str, str]] = []
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            if not isinstance(block, dict) or "intent" not in block:
                continue  # synonyms, regexes, lookup tables
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.append((_strip_annotations(line[2:]), str(block["intent"])))
    return found


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))


# ---------------------------------------------------------------------------------- training data
def build_training_data(
    project_dir: Path,
    out_dir: Path,
    examples: Sequence[tuple[str, str]],
    new_intents: Sequence[NewIntent],
) -> TrainingData:
    """Write the training data into `out_dir` (emptied first): nlu/train and domain.yml, plus the admins' work.

    `examples` are (text, intent) pairs labelled by admins; `new_intents` the intents they created.
    """
    project_dir, out_dir = project_dir.resolve(), out_dir.resolve()
    if out_dir == project_dir or out_dir in project_dir.parents:
        raise ValueError(f"Refusing to empty {out_dir}: it holds the project.")
    for intent in new_intents:
        if not INTENT_NAME.fullmatch(intent.name):
            raise ValueError(f"Invalid intent name {intent.name!r}: lowercase letters, digits and _ only.")

    shutil.rmtree(out_dir, ignore_errors=True)
    data_dir, domain_dir = out_dir / "data", out_dir / "domain"
    data_dir.mkdir(parents=True)
    domain_dir.mkdir()

    train_dir = project_dir / "nlu" / "train"
    for source in _yaml_files(train_dir):
        target = data_dir / source.relative_to(train_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    shutil.copyfile(project_dir / "domain.yml", domain_dir / "domain.yml")
    config_path = out_dir / "config.yml"
    shutil.copyfile(project_dir / "config.yml", config_path)

    known = {normalise(text) for text, _ in nlu_examples(_yaml_files(project_dir / "nlu"))}
    intents = set(domain_intents(project_dir)) | {intent.name for intent in new_intents}
    answerable = [(text, intent) for text, intent in examples if intent in intents]
    kept, dropped, conflicting = _admin_examples(answerable, known)
    (data_dir / ADMIN_LABELS).write_text(_labels_yaml(kept), encoding="utf-8")
    (data_dir / ADMIN_RULES).write_text(_rules_yaml(new_intents), encoding="utf-8")
    (domain_dir / ADMIN_DOMAIN).write_text(_domain_yaml(new_intents), encoding="utf-8")

    return TrainingData(
        data_dir=data_dir,
        domain_dir=domain_dir,
        config_path=config_path,
        data_hash=_hash_tree(out_dir),
        dropped=dropped,
        conflicting=conflicting,
        unknown_intent=len(examples) - len(answerable),
        written=sum(len(texts) for texts in kept.values()),
    )


def domain_intents(project_dir: Path) -> list[str]:
    """The intents of the project's domain.yml (an intent may be a name or a mapping with its options)."""
    path = project_dir / "domain.yml"
    try:
        version = path.stat().st_mtime_ns
    except FileNotFoundError:
        return []
    return list(_parsed_intents(path, version))


@functools.lru_cache(maxsize=4)
def _parsed_intents(path: Path, version: int) -> tuple[str, ...]:
    # Parsing the domain takes tens of milliseconds: once per version of the file, not once per page.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    domain = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    names: list[str] = []
    for entry in domain.get("intents") or []:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            names.extend(str(key) for key in entry)
    return tuple(names)


def _admin_examples(
    examples: Sequence[tuple[str, str]], known: set[str]
) -> tuple[dict[str, list[str]], int, int]:
    """The admins' examples to write, by intent and sorted; how many nlu/ already had; how many conflicted."""
    intents_of: dict[str, set[str]] = defaultdict(set)
    text_of: dict[tuple[str, str], str] = {}
    dropped = 0
    for raw_text, intent in examples:
        text = clean_example(raw_text)
        key = normalise(text)
        if not key:
            continue
        if key in known:
            dropped += 1
            continue
        intents_of[key].add(intent)
        # Of several spellings of one text, the smallest wins: the same inputs always write the same file.
        text_of[(key, intent)] = min(text, text_of.get((key, intent), text))
    kept: dict[str, list[str]] = defaultdict(list)
    conflicting = 0
    for (key, intent), text in text_of.items():
        if len(intents_of[key]) > 1:
            conflicting += 1
        else:
            kept[intent].append(text)
    return {intent: sorted(kept[intent]) for intent in sorted(kept)}, dropped, conflicting


def _header(what: str) -> str:
    return f"# Written by bot/retrain/export.py: {what}. Do not edit, it is rewritten for every training.\n"


def _labels_yaml(kept: dict[str, list[str]]) -> str:
    lines = [_header("the examples labelled by admins"), 'version: "3.1"', "nlu:" if kept else "nlu: []"]
    for intent, texts in kept.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in texts)
    return "\n".join(lines) + "\n"


def _rules_yaml(new_intents: Sequence[NewIntent]) -> str:
    rules = [
        {"rule": f"admin intent {intent.name}", "steps": [{"intent": intent.name}, {"action": intent.response}]}
        for intent in sorted(new_intents, key=lambda i: i.name)
    ]
    body = yaml.safe_dump({"version": "3.1", "rules": rules}, allow_unicode=True, sort_keys=False, width=120)
    return _header("one rule per intent created by admins") + body


def _domain_yaml(new_intents: Sequence[NewIntent]) -> str:
    ordered = sorted(new_intents, key=lambda i: i.name)
    responses: dict[str, list[dict[str, object]]] = {}
    for intent in ordered:
        response: dict[str, object] = {"text": intent.answer}
        if intent.buttons:
            response["buttons"] = [
                {str(key): str(value) for key, value in button.items()} for button in intent.buttons
            ]
        responses[intent.response] = [response]
    document: dict[str, object] = {"version": "3.1", "intents": [i.name for i in ordered], "responses": responses}
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
    return _header("the intents created by admins and their answers") + body


def _hash_tree(out_dir: Path) -> str:
    """sha256 of the Rasa version and every file under `out_dir` (config.yml included), names and bytes."""
    digest = hashlib.sha256(RASA_VERSION.encode() + b"\0")
    for path in sorted((p for p in out_dir.rglob("*") if p.is_file()), key=lambda p: p.relative_to(out_dir).as_posix()):
        digest.update(path.relative_to(out_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# -------------------------------------------------------------------------------- evaluation set
def evaluation_set(project_dir: Path, heldout_labels: Sequence[tuple[str, str]]) -> list[Example]:
    """nlu/heldout's examples (in file order), then the (text, intent) labels the inbox kept aside (sorted)."""
    examples = [
        Example(text, intent, "heldout")
        for text, intent in nlu_examples(_yaml_files(project_dir / "nlu" / "heldout"))
        if text
    ]
    inbox = {(" ".join(text.split()), intent) for text, intent in heldout_labels}
    examples += [Example(text, intent, "inbox") for text, intent in sorted(inbox) if text]
    return examples


def evaluation_set_hash(examples: Sequence[Example]) -> str:
    """sha256 (hex) of the examples, whatever their order: two evaluations on the same set compare."""
    rows = sorted((e.text, e.intent, e.source) for e in examples)
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
