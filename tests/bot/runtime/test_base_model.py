"""Models are named by their training data: a change to it, and only that, asks for a new model."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.runtime.base_model import current_model, model_name, training_hash
from bot.settings import ROOT, Settings


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "nlu", tmp_path / "nlu")
    return tmp_path


def test_the_hash_is_stable(project: Path) -> None:
    assert training_hash(project) == training_hash(project)
    assert model_name(project).startswith("crisisbot-")


@pytest.mark.parametrize("path", ["config.yml", "domain.yml", "nlu/train/extra.yml"])
def test_any_training_input_changes_the_hash(project: Path, path: str) -> None:
    before = training_hash(project)
    target = project / path
    target.write_text((target.read_text() if target.exists() else "") + "\n# changed\n")
    assert training_hash(project) != before


def test_the_held_out_set_is_not_part_of_training(project: Path) -> None:
    before = training_hash(project)
    (project / "nlu" / "heldout" / "more.yml").write_text('version: "3.1"\nnlu: []\n')
    assert training_hash(project) == before


def test_the_model_path_lives_in_models_dir(project: Path, tmp_path: Path) -> None:
    settings = replace(Settings(), project_dir=project, models_dir=tmp_path / "m")
    assert current_model(settings) == tmp_path / "m" / f"{model_name(project)}.tar.gz"
