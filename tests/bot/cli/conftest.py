"""The `world` of the command line's tests: a SQLite database whose registry holds two models, with their files."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from bot.retrain.registry import ModelRegistry
from bot.settings import Settings
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.audit import Actor

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
