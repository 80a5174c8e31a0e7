"""Training jobs: one job at a time on the machine, jobs a stop interrupted marked as failed, old model files pruned
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import fcntl
from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import JobBusy
from bot.retrain.jobs import TrainingJobs
from bot.retrain.registry import ModelRegistry
from bot.settings import Settings
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.audit import Actor
from bot.storage.models import JobStatus

ADMIN = Actor(None, "admin@cma-exemple.fr")


@pytest.fixture
async def jobs(database_url: str, tmp_path: Path):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    settings = replace(Settings(), database_url=database_url, models_dir=tmp_path / "models")
    yield TrainingJobs(sessionmaker, settings, ModelRegistry(sessionmaker))
    await engine.dispose()


async def test_a_second_job_waits_for_the_first(jobs: TrainingJobs, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    with open(tmp_path / "models" / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process trains
        with pytest.raises(JobBusy, match="déjà en cours"):
            await jobs.start_training(ADMIN)
        assert await jobs.recover() == 0  # its job is not ours to fail
    assert await jobs.recent() == []


async def test_jobs_a_stop_interrupted_are_failed_with_the_reason(jobs: TrainingJobs) -> None:
    job_id = await jobs._create("train", None, ADMIN)  # as a gateway killed mid-training left it
    assert (await jobs.current()).id == job_id
    assert await jobs.recover() == 1
    job = await jobs.get(job_id)
    assert job.status == JobStatus.FAILED and "Interrompu" in job.error and job.finished_at is not None
    assert await jobs.current() is None


async def test_old_models_never_put_live_lose_their_file_and_the_rest_stay(jobs: TrainingJobs, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    registry = jobs._registry

    async def trained(name: str) -> None:
        (models / f"{name}.tar.gz").write_bytes(b"x" * 1000)
        await registry.add(name, models / f"{name}.tar.gz", "ab" * 32, 3, ADMIN)
        await asyncio.sleep(0.01)  # registered one after the other

    await registry.adopt_first("first", models / "first.tar.gz", "ab" * 32)
    (models / "first.tar.gz").write_bytes(b"x" * 1000)
    for name in ("tried-1", "live-once", "tried-2", "tried-3", "tried-4"):
        await trained(name)
    await registry.activate("live-once", ADMIN, override_reason="pour revenir ensuite")
    await registry.rollback(ADMIN)  # "first" is active again; "live-once" was live once

    assert await jobs.prune(2, ADMIN) == [("tried-2", 1000), ("tried-1", 1000)]
    assert sorted(p.name for p in models.glob("*.tar.gz")) == [
        "first.tar.gz", "live-once.tar.gz", "tried-3.tar.gz", "tried-4.tar.gz"
    ]
    views = {v.record.name: v for v in await registry.models()}
    assert len(views) == 6 and not views["tried-1"].record.file_present and views["tried-4"].record.file_present
    assert await jobs.prune(2, ADMIN) == []  # nothing more to delete

    with open(models / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a training runs: its model is not deleted under it
        with pytest.raises(JobBusy):
            await jobs.prune(0, ADMIN)
    assert len(list(models.glob("*.tar.gz"))) == 4
