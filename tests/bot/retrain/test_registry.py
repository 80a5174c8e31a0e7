"""The model registry: the evaluation gate at activation, overriding it with a reason, rollback, the audit, and
the switch that makes Rasa serve the active model (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.errors import EngineError, RegistryError
from bot.retrain.registry import ModelRegistry, ModelSwitcher
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.audit import Actor
from bot.storage.models import AdminAuditEvent

ADMIN = Actor(None, "admin@cma-exemple.fr")


def gate_report(allowed: bool, accuracy: float = 0.95) -> dict:
    message = "Exactitude en hausse." if allowed else "Exactitude 90,0 % contre 95,0 % : baisse de 5,0 points."
    return {"candidate": {"accuracy": accuracy, "macro_f1": accuracy - 0.01}, "gate": {"allowed": allowed, "message": message}}


@pytest.fixture
async def registry(database_url: str, tmp_path: Path):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    registry = ModelRegistry(create_sessionmaker(engine))
    registry.sessionmaker = create_sessionmaker(engine)  # for the tests' own queries
    yield registry
    await engine.dispose()


async def model(registry: ModelRegistry, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.tar.gz"
    path.write_bytes(b"model")
    await registry.add(name, path, "f" * 64, 12, ADMIN)
    return path


async def test_first_model_rasa_serves_becomes_active_once(registry: ModelRegistry, tmp_path: Path) -> None:
    (tmp_path / "crisisbot-base.tar.gz").write_bytes(b"model")
    assert await registry.adopt_first("crisisbot-base", tmp_path / "crisisbot-base.tar.gz", "abc")
    assert not await registry.adopt_first("crisisbot-other", tmp_path / "crisisbot-other.tar.gz", "abc")
    active = await registry.active()
    assert active is not None and active.model_name == "crisisbot-base" and active.kind == "first"


async def test_a_model_not_evaluated_against_the_active_one_is_refused(registry: ModelRegistry, tmp_path: Path) -> None:
    await model(registry, tmp_path, "m1")
    await registry.adopt_first("m1", tmp_path / "m1.tar.gz", "x")
    await model(registry, tmp_path, "m2")
    with pytest.raises(RegistryError, match="pas encore été évalué"):
        await registry.activate("m2", ADMIN)
    await registry.add_evaluation("m2", "m0", 10, "h", gate_report(True), ADMIN)
    with pytest.raises(RegistryError, match="réévaluez-le"):
        await registry.activate("m2", ADMIN)
    await registry.add_evaluation("m2", "m1", 10, "h", gate_report(True), ADMIN)
    activation = await registry.activate("m2", ADMIN)
    assert (activation.model_name, activation.previous_name, activation.kind) == ("m2", "m1", "activate")
    assert (await registry.active()).model_name == "m2"


async def test_a_worse_model_is_refused_unless_an_admin_gives_a_reason(registry: ModelRegistry, tmp_path: Path) -> None:
    await model(registry, tmp_path, "m1")
    await registry.adopt_first("m1", tmp_path / "m1.tar.gz", "x")
    await model(registry, tmp_path, "worse")
    await registry.add_evaluation("worse", "m1", 10, "h", gate_report(False, 0.90), ADMIN)
    with pytest.raises(RegistryError, match="baisse de 5,0 points"):
        await registry.activate("worse", ADMIN)
    with pytest.raises(RegistryError, match="au moins 10 caractères"):
        await registry.activate("worse", ADMIN, override_reason="parce que")
    assert (await registry.active()).model_name == "m1"
    activation = await registry.activate("worse", ADMIN, override_reason="la nouvelle intention masques est urgente")
    assert activation.kind == "override" and activation.reason == "la nouvelle intention masques est urgente"
    async with registry.sessionmaker() as session:
        entries = list(await session.scalars(select(AdminAuditEvent).where(AdminAuditEvent.action == "activate")))
    forced = [e for e in entries if e.target == "worse"]
    assert forced and "la nouvelle intention masques est urgente" in forced[0].detail
    assert forced[0].actor == "admin@cma-exemple.fr"


async def test_rollback_goes_back_one_step_or_to_any_model_once_active(registry: ModelRegistry, tmp_path: Path) -> None:
    await model(registry, tmp_path, "m1")
    await registry.adopt_first("m1", tmp_path / "m1.tar.gz", "x")
    with pytest.raises(RegistryError, match="premier"):
        await registry.rollback(ADMIN)
    for previous, name in (("m1", "m2"), ("m2", "m3")):
        await model(registry, tmp_path, name)
        await registry.add_evaluation(name, previous, 10, "h", gate_report(True), ADMIN)
        await registry.activate(name, ADMIN)
    await model(registry, tmp_path, "never")
    with pytest.raises(RegistryError, match="jamais été actif"):
        await registry.rollback(ADMIN, "never")
    back = await registry.rollback(ADMIN)
    assert (back.model_name, back.previous_name, back.kind) == ("m2", "m3", "rollback")
    back = await registry.rollback(ADMIN, "m1")
    assert back.model_name == "m1"
    views = {v.record.name: v for v in await registry.models()}
    assert views["m1"].active and views["m3"].was_active and not views["never"].was_active


async def test_a_model_whose_file_is_gone_cannot_go_live(registry: ModelRegistry, tmp_path: Path) -> None:
    await model(registry, tmp_path, "m1")
    await registry.adopt_first("m1", tmp_path / "m1.tar.gz", "x")
    path = await model(registry, tmp_path, "m2")
    await registry.add_evaluation("m2", "m1", 10, "h", gate_report(True), ADMIN)
    path.unlink()
    with pytest.raises(RegistryError, match="a disparu"):
        await registry.activate("m2", ADMIN)


class FakeRasa:
    def __init__(self, serving: str | None) -> None:
        self.serving = serving
        self.loads: list[Path] = []
        self.fail = False

    async def status(self) -> str | None:
        return self.serving

    async def load(self, path: Path) -> None:
        if self.fail:
            raise EngineError("Rasa could not load it: 400")
        self.loads.append(path)
        self.serving = path.name.removesuffix(".tar.gz")


async def test_the_switch_makes_rasa_serve_the_active_model(registry: ModelRegistry, tmp_path: Path) -> None:
    rasa = FakeRasa(None)
    (tmp_path / "m1.tar.gz").write_bytes(b"model")
    switcher = ModelSwitcher(registry, rasa.status, rasa.load, training_hash=lambda: "abc", models_dir=tmp_path)
    assert not await switcher.sync()  # Rasa still starting
    rasa.serving = "m1"
    assert await switcher.sync()  # a fresh install: what Rasa serves is the first active model
    assert (await registry.active()).model_name == "m1" and rasa.loads == []

    await model(registry, tmp_path, "m2")
    await registry.add_evaluation("m2", "m1", 10, "h", gate_report(True), ADMIN)
    await registry.activate("m2", ADMIN)
    assert (await registry.active()).loaded_at is None
    assert await switcher.sync()
    assert rasa.loads == [tmp_path / "m2.tar.gz"] and rasa.serving == "m2"
    assert (await registry.active()).loaded_at is not None
    assert await switcher.sync() and len(rasa.loads) == 1  # already serving it: nothing to do

    rasa.serving = "m1"  # Rasa restarted on its start-up model: caught up on the next pass
    assert await switcher.sync() and rasa.serving == "m2"

    await registry.rollback(ADMIN)
    rasa.fail = True
    assert not await switcher.sync()
    assert "could not load" in switcher.last_error and rasa.serving == "m2"
    rasa.fail = False
    assert await switcher.sync() and rasa.serving == "m1" and switcher.last_error is None


async def test_the_watch_asks_every_second_until_rasa_answers_then_at_its_pace(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    # Rasa takes a minute to start: the registry knows its model a second after it is up, not a whole
    # check interval later, and once it answered the watch keeps to its interval.
    rasa = FakeRasa(None)
    asked: list[float] = []

    async def status() -> str | None:
        asked.append(asyncio.get_running_loop().time())
        if len(asked) == 3:
            rasa.serving = "m1"
        return await rasa.status()

    switcher = ModelSwitcher(registry, status, rasa.load, training_hash=lambda: "abc", models_dir=tmp_path)
    switcher.start(every=60)
    try:
        for _ in range(100):
            if await registry.active() is not None:
                break
            await asyncio.sleep(0.1)
        assert (await registry.active()).model_name == "m1"
        await asyncio.sleep(1.5)
        assert len(asked) == 3  # two unanswered checks a second apart, then the 60 s interval
    finally:
        await switcher.close()
