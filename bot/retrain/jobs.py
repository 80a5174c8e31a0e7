"""This module contains training and evaluation jobs: one at a time, in the background, their log live.

A training job exports the training data (nlu/ and the admins' labels, bot/retrain/export.py), runs
`rasa train` in the engine environment, registers the model, then evaluates it beside the active model
(bot/retrain/evaluation.py). It never touches the active model: a failed job leaves everything as it was,
and says why. Activation is a separate step, through the evaluation gate (bot/retrain/registry.py).

The staff pages start jobs in the gateway's process; `crisisbot train` runs one in its own process. Both
write the job's log to the database as it goes (the staff pages show it live), and both take the same lock
file as `make run`'s first training, so two trainings never run at once on one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import EvaluationFailed, JobBusy, JobFailed
from bot.retrain.evaluation import report, run_evaluation, score
from bot.retrain.export import NewIntent, build_training_data, evaluation_set, evaluation_set_hash
from bot.retrain.inbox import Inbox
from bot.retrain.intents import AdminIntents
from bot.retrain.job_log import JobLog
from bot.retrain.registry import ModelRegistry
from bot.runtime.processes import background_child
from bot.runtime.rasa_env import engine_environment, rasa_executable
from bot.settings import Settings
from bot.shared.french import PARIS
from bot.storage import audit
from bot.storage.audit import Actor
from bot.storage.models import Answer, JobStatus, TrainingJob, utcnow

logger = logging.getLogger(__name__)

LOG_FLUSH_SECONDS = 1.0
BUSY = "Un entraînement ou une évaluation est déjà en cours : attendez qu'il se termine."
# Models never put live whose files are kept (the newest); older ones lose their file (about 20 MB each) after
# a training. A model that was live once keeps its file, for rollback.
KEEP_UNUSED = 5


class TrainingJobs:
    """Starts, runs and records the training and evaluation jobs; prunes the files of old models."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        registry: ModelRegistry,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._registry = registry
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------------------------- reading
    async def get(self, job_id: int) -> TrainingJob | None:
        async with self._sessionmaker() as session:
            return await session.get(TrainingJob, job_id)

    async def recent(self, limit: int = 10) -> list[TrainingJob]:
        async with self._sessionmaker() as session:
            return list(await session.scalars(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)))

    async def current(self) -> TrainingJob | None:
        async with self._sessionmaker() as session:
            return await session.scalar(
                select(TrainingJob)
                .where(TrainingJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
                .order_by(TrainingJob.id.desc())
                .limit(1)
            )

    # ------------------------------------------------------------------------------------- starting
    async def start_training(self, actor: Actor) -> int:
        """Start a training in the background; its job id. JobBusy when one is running."""
        return await self._start("train", None, actor)

    async def start_evaluation(self, model_name: str, actor: Actor) -> int:
        """Evaluate a registered model again, beside the model active now."""
        if await self._registry.get(model_name) is None:
            raise JobFailed(f"Aucun modèle ne s'appelle {model_name}.")
        return await self._start("evaluate", model_name, actor)

    async def _start(self, kind: str, model_name: str | None, actor: Actor) -> int:
        lock, job_id = await self._begin(kind, model_name, actor)
        self._task = asyncio.create_task(self._run_locked(lock, job_id, kind, model_name, actor, None), name=f"job-{job_id}")
        return job_id

    async def run(self, kind: str, actor: Actor, *, model_name: str | None = None, echo: Callable[[str], None] | None = None) -> TrainingJob:
        """Run a job in this process and wait for it (`crisisbot train`); the finished job."""
        lock, job_id = await self._begin(kind, model_name, actor)
        await self._run_locked(lock, job_id, kind, model_name, actor, echo)
        job = await self.get(job_id)
        assert job is not None
        return job

    async def _begin(self, kind: str, model_name: str | None, actor: Actor) -> tuple[IO[str], int]:
        """The machine's training lock, then the job's row; JobBusy when another job holds the lock."""
        lock = self._lock()
        try:
            return lock, await self._create(kind, model_name, actor)
        except BaseException:
            lock.close()
            raise

    def _lock(self) -> IO[str]:
        """The machine-wide training lock (shared with bot.runtime.base_model.ensure_model), or JobBusy."""
        self._settings.models_dir.mkdir(parents=True, exist_ok=True)
        lock = open(self._settings.models_dir / ".train.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise JobBusy(BUSY) from None
        return lock

    async def _create(self, kind: str, model_name: str | None, actor: Actor) -> int:
        async with self._sessionmaker() as session, session.begin():
            job = TrainingJob(
                kind=kind, status=JobStatus.RUNNING, model_name=model_name, account_id=actor.account_id,
                actor=actor.name, started_at=utcnow(), log="",
            )
            session.add(job)
            audit.record(session, actor, "start_" + kind, model_name)
            await session.flush()
            return job.id

    async def recover(self) -> int:
        """Jobs a stop interrupted are failed, unless another process is running one right now."""
        try:
            lock = self._lock()
        except JobBusy:
            return 0
        try:
            async with self._sessionmaker() as session, session.begin():
                jobs = list(
                    await session.scalars(
                        select(TrainingJob).where(TrainingJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
                    )
                )
                for job in jobs:
                    job.status = JobStatus.FAILED
                    job.error = "Interrompu par un arrêt du service : relancez-le."
                    job.finished_at = utcnow()
            return len(jobs)
        finally:
            lock.close()

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # ------------------------------------------------------------------------------------- running
    async def _run_locked(
        self, lock: IO[str], job_id: int, kind: str, model_name: str | None, actor: Actor,
        echo: Callable[[str], None] | None,
    ) -> None:
        log = JobLog(echo)
        flusher = asyncio.create_task(self._flush_every(job_id, log))
        status, error, result_name = JobStatus.FAILED, None, model_name
        try:
            if kind == "train":
                result_name = await self._train(job_id, log, actor)
            else:
                assert model_name is not None
                await self._evaluate(model_name, log, actor)
            status = JobStatus.SUCCEEDED
        except (JobFailed, EvaluationFailed) as exc:
            error = str(exc)
            log.say(f"Échec : {error}")
        except asyncio.CancelledError:
            error = "Interrompu par un arrêt du service : relancez-le."
            log.say(error)
            raise
        except Exception as exc:
            logger.exception("Job %s failed", job_id)
            error = f"Erreur inattendue : {exc}"
            log.say(error)
        finally:
            flusher.cancel()
            await asyncio.shield(self._finish(job_id, log, status, error, result_name))
            lock.close()

    async def _flush_every(self, job_id: int, log: JobLog) -> None:
        while True:
            await asyncio.sleep(LOG_FLUSH_SECONDS)
            if log.changed:
                log.changed = False
                try:
                    async with self._sessionmaker() as session, session.begin():
                        job = await session.get(TrainingJob, job_id)
                        if job is not None:
                            job.log = log.text()
                except Exception:
                    logger.exception("Saving job %s's log failed", job_id)

    async def _finish(self, job_id: int, log: JobLog, status: str, error: str | None, model_name: str | None) -> None:
        async with self._sessionmaker() as session, session.begin():
            job = await session.get(TrainingJob, job_id)
            if job is None:
                return
            job.status, job.error, job.model_name = status, error, model_name
            job.log = log.text()
            job.finished_at = utcnow()

    async def _train(self, job_id: int, log: JobLog, actor: Actor) -> str:
        settings = self._settings
        inbox = Inbox(self._sessionmaker, settings)
        examples = await inbox.training_examples()
        new_intents = await self._new_intents()
        log.say(
            f"Données : nlu/ et {len(examples)} exemples étiquetés par les administrateurs, "
            f"{len(new_intents)} nouvelles intentions."
        )
        workspace = settings.project_dir / "var" / "training" / f"job-{job_id}"
        scratch = settings.models_dir / f".training-job-{job_id}"
        try:
            data = await asyncio.to_thread(
                build_training_data, settings.project_dir, workspace, examples, new_intents
            )
            if data.dropped:
                log.say(f"{data.dropped} exemples ignorés : ils figurent déjà, mot pour mot, dans nlu/.")
            if data.conflicting:
                log.say(f"{data.conflicting} exemples ignorés : le même texte a reçu deux intentions différentes.")
            if data.unknown_intent:
                log.say(f"{data.unknown_intent} exemples ignorés : leur intention n'existe plus.")
            now = settings.clock().astimezone(PARIS)
            name = f"crisisbot-{now:%Y%m%d-%H%M%S}-{data.data_hash[:6]}"
            log.say(f"Entraînement du modèle {name} (environ 2 minutes)…")
            started = time.monotonic()
            command = [
                str(rasa_executable(settings)), "train",
                "--data", str(data.data_dir),
                "--domain", str(data.domain_dir),
                "--config", str(data.config_path),
                "--out", str(scratch),
                "--fixed-model-name", name,
            ]
            returncode = await self._subprocess(command, log)
            trained = scratch / f"{name}.tar.gz"
            if returncode != 0 or not trained.is_file():
                raise JobFailed(
                    f"rasa train s'est arrêté avec le code {returncode} : le modèle actif ne change pas. "
                    "La cause est dans le journal ci-dessus."
                )
            target = settings.models_dir / trained.name
            trained.replace(target)
            log.say(f"Modèle {name} entraîné en {time.monotonic() - started:.0f} s.")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(workspace, ignore_errors=True)
        await self._registry.add(name, target, data.data_hash, data.written, actor)
        await self._evaluate(name, log, actor)
        for removed, size in await self._prune(KEEP_UNUSED, actor):
            log.say(f"Fichier du modèle {removed} supprimé ({size / 1e6:.0f} Mo) : jamais activé, et plus ancien "
                    f"que les {KEEP_UNUSED} derniers.")
        return name

    # ------------------------------------------------------------------------------------- pruning
    async def prune(self, keep: int, actor: Actor) -> list[tuple[str, int]]:
        """`crisisbot models prune`: what `_prune` deletes, once no job runs; JobBusy otherwise."""
        lock = self._lock()
        try:
            return await self._prune(keep, actor)
        finally:
            lock.close()

    async def _prune(self, keep: int, actor: Actor) -> list[tuple[str, int]]:
        """Delete the files of the models never put live, but the `keep` newest; (name, bytes) of each deleted.

        The registry keeps their records and scores. The active model, and every model that was live once (a
        rollback may need it), keep their files. Called with the training lock held: no job uses a file.
        """
        removed: list[tuple[str, int]] = []
        unused = [v.record for v in await self._registry.models() if not v.active and not v.was_active]
        for record in unused[keep:]:
            path = Path(record.path)
            if not path.is_file():
                continue
            size = path.stat().st_size
            path.unlink()
            removed.append((record.name, size))
        if removed:
            async with self._sessionmaker() as session, session.begin():
                detail = f"{len(removed)} fichiers supprimés, {sum(size for _, size in removed) / 1e6:.0f} Mo libérés"
                audit.record(session, actor, "prune", ", ".join(name for name, _ in removed), detail)
        return removed

    async def _new_intents(self) -> list[NewIntent]:
        intents = await AdminIntents(self._sessionmaker, self._settings).created()
        async with self._sessionmaker() as session:
            answers = {
                a.response: a
                for a in await session.scalars(
                    select(Answer).where(Answer.response.in_([f"utter_{i.name}" for i in intents]))
                )
            }
        found = []
        for intent in intents:
            answer = answers.get(f"utter_{intent.name}")
            if answer is not None:
                found.append(NewIntent(intent.name, intent.title, answer.text, list(answer.buttons or [])))
        return found

    async def _evaluate(self, name: str, log: JobLog, actor: Actor) -> None:
        settings = self._settings
        record = await self._registry.get(name)
        if record is None:
            raise JobFailed(f"Aucun modèle ne s'appelle {name}.")
        active = await self._registry.active_record()
        inbox = Inbox(self._sessionmaker, settings)
        examples = evaluation_set(settings.project_dir, await inbox.heldout_examples())
        paths = [Path(record.path)]
        baseline = active if active is not None and active.name != name and Path(active.path).is_file() else None
        if baseline is not None:
            paths.append(Path(baseline.path))
        inbox_count = sum(1 for e in examples if e.source == "inbox")
        log.say(
            f"Évaluation sur {len(examples)} messages ({len(examples) - inbox_count} du jeu de test nlu/heldout, "
            f"{inbox_count} messages étiquetés mis de côté)"
            + (f", à côté du modèle actif {baseline.name}." if baseline else ".")
        )
        predictions = await run_evaluation(settings, paths, examples, log.say)
        candidate = score(examples, predictions[paths[0]])
        base = score(examples, predictions[paths[1]]) if baseline is not None else None
        result = report(candidate, base, name, baseline.name if baseline else None, settings.max_accuracy_drop)
        await self._registry.add_evaluation(
            name, baseline.name if baseline else None, len(examples), evaluation_set_hash(examples), result, actor
        )
        gate = result.get("gate") or {}
        log.say(f"{gate.get('message', '')} F1 macro {candidate.macro_f1:.3f}.".strip())

    async def _subprocess(self, command: list[str], log: JobLog) -> int:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=self._settings.project_dir,
            env=engine_environment(self._settings),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=background_child,
        )
        assert process.stdout is not None
        try:
            while chunk := await process.stdout.read(4096):
                log.feed(chunk.decode("utf-8", errors="replace"))
            return await process.wait()
        finally:
            if process.returncode is None:  # cancelled: no training left running behind us
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


__all__ = ["TrainingJobs"]
