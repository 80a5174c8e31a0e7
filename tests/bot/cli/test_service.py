"""The commands that run the assistant (bot/cli/service.py): the model `crisisbot run` starts on."""

from __future__ import annotations

import asyncio

from bot.cli import main
from bot.cli.service import active_model
from bot.settings import Settings


def test_run_starts_on_the_active_model(world: Settings) -> None:
    assert asyncio.run(active_model(world)) == world.models_dir / "crisisbot-base.tar.gz"
    assert main(["models", "activate", "crisisbot-new"]) == 0
    assert asyncio.run(active_model(world)) == world.models_dir / "crisisbot-new.tar.gz"


def test_run_starts_on_the_model_for_nlu_when_the_active_file_is_gone(world: Settings, capsys) -> None:
    (world.models_dir / "crisisbot-base.tar.gz").unlink()
    assert asyncio.run(active_model(world)) is None
    assert "missing" in capsys.readouterr().err


