"""`crisisbot models ...` and the model `crisisbot run` starts on, against a real database (SQLite)."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.settings import Settings


def test_list_activate_and_rollback(world: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("  crisisbot-new") and "97.0%" in lines[0]
    assert lines[1].startswith("* crisisbot-base")

    assert main(["models", "activate", "crisisbot-new"]) == 0
    assert "Model crisisbot-new is active (instead of crisisbot-base)" in capsys.readouterr().out

    assert main(["models", "rollback"]) == 0
    assert "Model crisisbot-base is active" in capsys.readouterr().out
    assert main(["models", "rollback", "--to", "crisisbot-nothing"]) == 1
    assert "jamais été actif" in capsys.readouterr().err


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
