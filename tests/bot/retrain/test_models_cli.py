"""`crisisbot models ...` and the model `crisisbot run` starts on, against a real database (SQLite)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import _active_model, main
from bot.retrain.audit import Actor
from bot.retrain.registry import ModelRegistry
from bot.settings import Settings
from bot.storage import create_engine, create_sessionmaker, migrate

SYSTEM = Actor(None, "système")


async def seed(database_url: str, models: Path) -> None:
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    registry = ModelRegistry(create_sessionmaker(engine))
    for name in ("crisisbot-base", "crisisbot-new"):
        (models / f"{name}.tar.gz").write_bytes(b"model")
    await registry.adopt_first("crisisbot-base", models / "crisisbot-base.tar.gz", "ab" * 32)
    await registry.add("crisisbot-new", models / "crisisbot-new.tar.gz", "cd" * 32, 12, SYSTEM)
    report = {"candidate": {"accuracy": 0.97, "macro_f1": 0.96}, "gate": {"allowed": True, "message": "hausse de 1,0 point."}}
    await registry.add_evaluation("crisisbot-new", "crisisbot-base", 230, "h", report, SYSTEM)
    await engine.dispose()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    models = tmp_path / "models"
    models.mkdir()
    url = f"sqlite:///{tmp_path / 'crisisbot.db'}"
    asyncio.run(seed(url, models))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MODELS_DIR", str(models))
    return replace(Settings(), database_url=url, models_dir=models)


def test_list_activate_and_rollback(world: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("  crisisbot-new") and "97.0%" in lines[0]
    assert lines[1].startswith("* crisisbot-base")

    assert main(["models", "activate", "crisisbot-new"]) == 0
    assert "Model crisisbot-new is active (instead of crisisbot-base)" in capsys.readouterr().out
    assert asyncio.run(_active_model(world)) == world.models_dir / "crisisbot-new.tar.gz"  # what `crisisbot run` starts on

    assert main(["models", "rollback"]) == 0
    assert "Model crisisbot-base is active" in capsys.readouterr().out
    assert main(["models", "rollback", "--to", "crisisbot-nothing"]) == 1
    assert "jamais été actif" in capsys.readouterr().err


def test_run_starts_on_the_model_for_nlu_when_the_active_file_is_gone(world: Settings, capsys) -> None:
    (world.models_dir / "crisisbot-base.tar.gz").unlink()
    assert asyncio.run(_active_model(world)) is None
    assert "missing" in capsys.readouterr().err


def test_a_model_the_gate_refuses_says_how_to_go_on(world: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "activate", "crisisbot-new"]) == 0
    capsys.readouterr()
    assert main(["models", "activate", "crisisbot-base"]) == 1  # never evaluated against crisisbot-new
    err = capsys.readouterr().err
    assert "évaluez-le" in err and "crisisbot models evaluate crisisbot-base" in err and "--override-reason" in err


def test_prune_deletes_the_files_of_models_never_active(world: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "prune", "--keep", "0"]) == 0
    out = capsys.readouterr().out
    assert "deleted the file of crisisbot-new" in out and "1 model files deleted" in out
    assert [p.name for p in world.models_dir.glob("*.tar.gz")] == ["crisisbot-base.tar.gz"]  # the active one stays
    assert main(["models", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("(file deleted)")
    assert main(["models", "activate", "crisisbot-new"]) == 1
    assert "a disparu" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["models", "prune", "--keep", "-1"])
    assert "cannot be negative" in capsys.readouterr().err
