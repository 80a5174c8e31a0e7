"""The training data export: the files written, safe examples, duplicates left out, a stable hash, and Rasa
accepting the result (one real `rasa data validate`); the evaluation set."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.retrain.export import (
    Example,
    NewIntent,
    build_training_data,
    clean_example,
    evaluation_set,
    evaluation_set_hash,
)
from bot.runtime.rasa_env import engine_environment, rasa_executable
from bot.settings import ROOT, Settings

MARCHE = NewIntent(
    "marche_noel",
    "Marché de Noël",
    "Le marché de Noël des artisans ouvre le 5 décembre.\nInscriptions : 03 85 00 00 00.",
    [{"title": "Être rappelé", "payload": "/request_callback"}],
)
LABELS = [
    ("quand ouvre le marché de noël", "marche_noel"),
    ("inscription marche de noel artisans", "marche_noel"),
    ("j'ai pas eu mon PGE", "faq_pge"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's training inputs, so tests can change them."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "nlu", root / "nlu")
    return root


def admin_examples(data_dir: Path) -> dict[str, list[str]]:
    document = yaml.safe_load((data_dir / "admin_labels.yml").read_text())
    return {
        block["intent"]: [line[2:] for line in block["examples"].splitlines()]
        for block in document["nlu"] or []
    }


def test_the_export_holds_nlu_the_domain_and_the_admins_work(project: Path, tmp_path: Path) -> None:
    data = build_training_data(project, tmp_path / "out", LABELS, [MARCHE])

    assert data.data_dir == tmp_path / "out" / "data"
    assert data.config_path.read_bytes() == (project / "config.yml").read_bytes()
    for source in (project / "nlu" / "train").glob("*.yml"):
        assert (data.data_dir / source.name).read_bytes() == source.read_bytes()
    assert (data.domain_dir / "domain.yml").read_bytes() == (project / "domain.yml").read_bytes()

    assert admin_examples(data.data_dir) == {
        "faq_pge": ["j'ai pas eu mon PGE"],
        "marche_noel": ["inscription marche de noel artisans", "quand ouvre le marché de noël"],
    }
    rules = yaml.safe_load((data.data_dir / "admin_rules.yml").read_text())
    assert rules["rules"] == [
        {"rule": "admin intent marche_noel", "steps": [{"intent": "marche_noel"}, {"action": "utter_marche_noel"}]}
    ]
    domain = yaml.safe_load((data.domain_dir / "admin_domain.yml").read_text())
    assert domain == {
        "version": "3.1",
        "intents": ["marche_noel"],
        "responses": {"utter_marche_noel": [{"text": MARCHE.answer, "buttons": MARCHE.buttons}]},
    }
    assert (data.written, data.dropped, data.conflicting, data.unknown_intent) == (3, 0, 0, 0)


def test_the_output_directory_starts_empty(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    (out / "data" / "left_over.yml").write_text("nlu: []\n")
    data = build_training_data(project, out, [], [])
    assert not (data.data_dir / "left_over.yml").exists()
    assert yaml.safe_load((data.data_dir / "admin_labels.yml").read_text())["nlu"] == []


def test_an_export_never_empties_the_project(project: Path) -> None:
    with pytest.raises(ValueError):
        build_training_data(project, project, [], [])


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("je veux [ouvrir](subject) un compte", "je veux (ouvrir)(subject) un compte"),
        ('mon [pge]{"entity": "subject"} svp', 'mon (pge)("entity": "subject") svp'),
        ("ligne un\nligne deux\r\n  trois\u2028quatre\x85cinq", "ligne un ligne deux trois quatre cinq"),
        ("tab\tet\x00nul", "tab et nul"),
        ("/greet", "greet"),
        ("   ", ""),
    ],
)
def test_examples_are_one_line_and_never_read_as_annotations(text: str, written: str) -> None:
    assert clean_example(text) == written


def test_tricky_examples_survive_the_round_trip_through_yaml(project: Path, tmp_path: Path) -> None:
    tricky = [
        ("#pas un commentaire: [x](y) {z}", "faq_pge"),
        ("- tiret | barre > chevron 'apostrophe' \"guillemets\"", "faq_pge"),
        ("multi\nligne", "faq_pge"),
    ]
    data = build_training_data(project, tmp_path / "out", tricky, [])
    assert admin_examples(data.data_dir) == {
        "faq_pge": [
            "#pas un commentaire: (x)(y) (z)",
            "- tiret | barre > chevron 'apostrophe' \"guillemets\"",
            "multi ligne",
        ]
    }


def test_admin_examples_already_in_nlu_are_dropped(project: Path, tmp_path: Path) -> None:
    labels = [
        ("Bonjour", "greet"),  # in nlu/train as "bonjour", same intent: adds nothing
        ("BONJOUR  ", "thank"),  # same text, another intent: would contradict nlu/train
        ("comment obtenir le pret garantit par l etat", "faq_pge"),  # in nlu/heldout: would leak the test set
        ("une vraie nouvelle question", "faq_pge"),
    ]
    data = build_training_data(project, tmp_path / "out", labels, [])
    assert data.dropped == 3
    assert admin_examples(data.data_dir) == {"faq_pge": ["une vraie nouvelle question"]}


def test_contradicting_and_unknown_labels_are_left_out(project: Path, tmp_path: Path) -> None:
    labels = [
        ("mon loyer de decembre", "faq_loyers_factures"),
        ("Mon loyer de décembre", "faq_loyers_factures"),  # another spelling (accent): kept
        ("ma facture edf", "faq_loyers_factures"),
        ("Ma facture  EDF", "faq_report_charges"),  # two admins, two intents: both left out
        ("ma facture edf", "faq_loyers_factures"),  # repeated label: written once
        ("une question", "intention_inconnue"),  # no such intent: no answer for it
    ]
    data = build_training_data(project, tmp_path / "out", labels, [])
    assert (data.conflicting, data.unknown_intent, data.written) == (2, 1, 2)
    assert admin_examples(data.data_dir) == {
        "faq_loyers_factures": ["Mon loyer de décembre", "mon loyer de decembre"]
    }


def test_invalid_intent_names_are_refused(project: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_training_data(project, tmp_path / "out", [], [NewIntent("Marché: noël", "x", "y", [])])


def test_the_hash_depends_on_the_data_not_on_order(project: Path, tmp_path: Path) -> None:
    first = build_training_data(project, tmp_path / "a", LABELS, [MARCHE])
    again = build_training_data(project, tmp_path / "b", list(reversed(LABELS)), [MARCHE])
    assert first.data_hash == again.data_hash
    assert len(first.data_hash) == 64

    more_labels = [*LABELS, ("pge pour une scop de charpentiers", "faq_pge")]
    more = build_training_data(project, tmp_path / "c", more_labels, [MARCHE])
    other_answer = NewIntent(MARCHE.name, MARCHE.title, "Autre réponse.", MARCHE.buttons)
    answer = build_training_data(project, tmp_path / "d", LABELS, [other_answer])
    (project / "config.yml").write_text((project / "config.yml").read_text() + "\n# changed\n")
    config = build_training_data(project, tmp_path / "e", LABELS, [MARCHE])
    assert len({first.data_hash, more.data_hash, answer.data_hash, config.data_hash}) == 4


def test_rasa_accepts_the_exported_data(tmp_path: Path) -> None:
    """A real `rasa data validate`: the domain directory merges, the new intent has its rule and response."""
    settings = Settings()
    data = build_training_data(settings.project_dir, tmp_path / "out", LABELS, [MARCHE])
    result = subprocess.run(
        [
            str(rasa_executable(settings)), "data", "validate",
            "--data", str(data.data_dir),
            "--domain", str(data.domain_dir),
            "--config", str(data.config_path),
        ],
        cwd=settings.project_dir,
        env=engine_environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    complaints = [line for line in output.splitlines() if "marche_noel" in line or "multiple different intents" in line]
    assert complaints == []


def test_the_evaluation_set_is_heldout_then_the_inbox(project: Path) -> None:
    (project / "nlu" / "heldout" / "heldout.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: faq_pge\n  examples: |\n    - mon [pge](subject) svp\n    - pret garanti\n'
        "- synonym: pge\n  examples: |\n    - pret garanti par l etat\n"
    )
    examples = evaluation_set(project, [("zz  dernier", "thank"), ("aa premier", "greet")])
    assert examples == [
        Example("mon pge svp", "faq_pge", "heldout"),
        Example("pret garanti", "faq_pge", "heldout"),
        Example("aa premier", "greet", "inbox"),
        Example("zz dernier", "thank", "inbox"),
    ]


def test_the_real_heldout_set_is_read_whole() -> None:
    examples = evaluation_set(ROOT, [])
    assert len(examples) > 200
    assert {e.source for e in examples} == {"heldout"}
    assert all(e.text and "\n" not in e.text for e in examples)


def test_the_evaluation_set_hash_ignores_order_only() -> None:
    examples = [Example("a", "greet", "heldout"), Example("b", "thank", "inbox")]
    assert evaluation_set_hash(examples) == evaluation_set_hash(list(reversed(examples)))
    assert evaluation_set_hash(examples) != evaluation_set_hash([Example("a", "greet", "inbox"), examples[1]])
