"""This module contains Settings, the gateway's configuration, read once from the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}.") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}.") from None


def async_database_url(url: str) -> str:
    """The SQLAlchemy URL with the asyncio driver the gateway uses (aiosqlite, asyncpg)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigurationError(
        f"DATABASE_URL must start with sqlite:// or postgresql://, not {url.split('://', 1)[0]!r}."
    )


@dataclass(frozen=True)
class Settings:
    """Everything the gateway and `crisisbot run` need to know, with the defaults of a local run.

    Build it with `Settings.from_env()`; tests use `dataclasses.replace` on it.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = f"sqlite:///{ROOT / 'var' / 'crisisbot.db'}"
    rasa_port: int = 5005
    actions_port: int = 5055
    # Shared secret between the gateway, Rasa and the action server. `crisisbot run` makes a fresh one per
    # run when none is set; `crisisbot serve` on its own needs it from the environment.
    engine_token: str = ""
    models_dir: Path = ROOT / "models"
    log_level: str = "INFO"
    # How long the REST webhook waits for the bot's answer before answering with what it has.
    reply_timeout: float = 25.0
    # Longer messages are stored and answered politely, without asking Rasa.
    max_message_chars: int = 2000
    # How many conversations are handled by Rasa at once.
    engine_concurrency: int = 8
    engine_timeout: float = 20.0
    rasa_venv: Path = ROOT / ".venv-rasa"
    # Rasa's input channels; the benchmark adds Rasa's own REST channel to compare with.
    rasa_credentials: Path = ROOT / "credentials.yml"
    project_dir: Path = field(default=ROOT)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        settings = cls(
            host=env.get("HOST", defaults.host),
            port=_int(env, "PORT", defaults.port),
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            rasa_port=_int(env, "RASA_PORT", defaults.rasa_port),
            actions_port=_int(env, "ACTIONS_PORT", defaults.actions_port),
            engine_token=env.get("CRISISBOT_ENGINE_TOKEN", ""),
            models_dir=Path(env.get("MODELS_DIR") or defaults.models_dir),
            log_level=env.get("LOG_LEVEL", defaults.log_level).upper(),
            reply_timeout=_float(env, "REPLY_TIMEOUT", defaults.reply_timeout),
            max_message_chars=_int(env, "MAX_MESSAGE_CHARS", defaults.max_message_chars),
            engine_concurrency=_int(env, "ENGINE_CONCURRENCY", defaults.engine_concurrency),
            engine_timeout=_float(env, "ENGINE_TIMEOUT", defaults.engine_timeout),
            rasa_venv=Path(env.get("RASA_VENV") or defaults.rasa_venv),
            rasa_credentials=Path(env.get("RASA_CREDENTIALS") or defaults.rasa_credentials),
        )
        async_database_url(settings.database_url)  # fail now on a URL we cannot use
        return settings

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def async_database_url(self) -> str:
        return async_database_url(self.database_url)

    def with_engine_token(self) -> Settings:
        """These settings, with a fresh random engine token when none was configured."""
        if self.engine_token:
            return self
        return replace(self, engine_token=secrets.token_urlsafe(32))

    def require_engine_token(self) -> None:
        if not self.engine_token:
            raise ConfigurationError(
                "CRISISBOT_ENGINE_TOKEN is missing, and has no default: set it to the token Rasa was "
                "started with (`crisisbot run` sets it for you)."
            )
