"""The engine environment as the gateway runs it (bot/runtime/rasa_env.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.runtime.rasa_env import engine_environment, rasa_executable
from bot.settings import ROOT, Settings


def test_rasa_and_the_actions_import_our_modules_and_send_no_telemetry() -> None:
    env = engine_environment(Settings())
    assert env["PYTHONPATH"] == str(ROOT) and env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["PYTHONUNBUFFERED"] == "1", "their output reaches the supervisor's log as it comes"


def test_a_missing_engine_environment_says_to_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="make setup"):
        rasa_executable(replace(Settings(), rasa_venv=tmp_path / "nowhere"))
    assert rasa_executable(Settings()).name == "rasa"
