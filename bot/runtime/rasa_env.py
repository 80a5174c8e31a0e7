"""This module contains the engine environment as the gateway runs it: where Rasa is, with what environment."""

from __future__ import annotations

import os
from pathlib import Path

from bot.errors import ConfigurationError
from bot.settings import Settings

# The Rasa release the engine environment pins (requirements/engine.txt); part of every model's name.
RASA_VERSION = "3.6.21"


def rasa_executable(settings: Settings) -> Path:
    rasa = settings.rasa_venv / "bin" / "rasa"
    if not rasa.exists():
        raise ConfigurationError(
            f"The engine environment is missing ({rasa} not found): run `make setup` first."
        )
    return rasa


def rasa_python(settings: Settings) -> Path:
    """The engine environment's interpreter, for our launchers in engine/ (engine/rasa_server.py)."""
    rasa_executable(settings)
    return settings.rasa_venv / "bin" / "python"


def engine_environment(settings: Settings) -> dict[str, str]:
    """The environment Rasa and the action server run with: our modules importable, no telemetry."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(settings.project_dir),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "MPLCONFIGDIR": str(settings.project_dir / "var" / "matplotlib"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env
