"""This module contains the model registry: every trained model, its evaluations, which one is live, and the
switch of the running Rasa server to it.

The database says which model is active (the latest `model_activations` row); the gateway makes Rasa agree
(`ModelSwitcher`): right after an activation on the staff pages, and every few seconds, so an activation made
with `crisisbot models activate` or a restarted Rasa server is caught up too. Rasa loads the new model beside
the old one and swaps them between two messages (`PUT /model`); the gateway's message path waits and retries
while Rasa is busy loading, so no artisan message is lost or failed during the switch.

Activation goes through the evaluation gate (bot/retrain/evaluation.py): a model is activated only when its
latest evaluation was made against the model active now and shows no accuracy drop beyond
`MAX_ACCURACY_DROP`, unless an admin gives a reason to override. A rollback to a model that was active
before needs no evaluation: it is the way back when a new model misbehaves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import EngineError, EngineUnavailable, RegistryError
from bot.storage import audit
from bot.storage.audit import Actor
from bot.storage.models import ModelActivation, ModelEvaluation, ModelRecord, utcnow

logger = logging.getLogger(__name__)

MIN_REASON_CHARS = 10
RETRY_SECONDS = 1.0  # how soon the watch asks again when Rasa did not answer
SYSTEM = Actor(None, "système (premier démarrage)")


@dataclass(frozen=True)
class ModelView:
    """One model as the staff pages and `crisisbot models list` show it."""

    record: ModelRecord
    evaluation: ModelEvaluation | None
    active: bool
    was_active: bool

    @property
    def accuracy(self) -> float | None:
        return _figure(self.evaluation, "candidate", "accuracy")

    @property
    def macro_f1(self) -> float | None:
        return _figure(self.evaluation, "candidate", "macro_f1")

    @property
    def gate(self) -> dict[str, Any] | None:
        return (self.evaluation.report or {}).get("gate") if self.evaluation else None


def _figure(evaluation: ModelEvaluation | None, side: str, name: str) -> float | None:
    if evaluation is None:
        return None
    value = ((evaluation.report or {}).get(side) or {}).get(name)
    return float(value) if isinstance(value, (int, float)) else None


class ModelRegistry:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    # ------------------------------------------------------------------------------------------ reading
    async def active(self) -> ModelActivation | None:
        async with self._sessionmaker() as session:
            return await _active(session)

    async def active_record(self) -> ModelRecord | None:
        async with self._sessionmaker() as session:
            activation = await _active(session)
            return await session.get(ModelRecord, activation.model_name) if activation else None

    async def get(self, name: str) -> ModelRecord | None:
        async with self._sessionmaker() as session:
            return await session.get(ModelRecord, name)

    async def models(self) -> list[ModelView]:
        """Every model, newest first, with its latest evaluation and whether it is (or was) live."""
        async with self._sessionmaker() as session:
            records = list(await session.scalars(select(ModelRecord).order_by(ModelRecord.created_at.desc())))
            active = await _active(session)
            ever_active = set(await session.scalars(select(ModelActivation.model_name).distinct()))
            latest = await _latest_evaluations(session)
        return [
            ModelView(
                record=r,
                evaluation=latest.get(r.name),
                active=active is not None and active.model_name == r.name,
                was_active=r.name in ever_active,
            )
            for r in records
        ]

    async def latest_evaluation(self, name: str) -> ModelEvaluation | None:
        async with self._sessionmaker() as session:
            return await session.scalar(
                select(ModelEvaluation)
                .where(ModelEvaluation.model_name == name)
                .order_by(ModelEvaluation.id.desc())
                .limit(1)
            )

    async def activations(self, limit: int = 50) -> list[ModelActivation]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(ModelActivation).order_by(ModelActivation.id.desc()).limit(limit))
            return list(rows)

    # ------------------------------------------------------------------------------------------ writing
    async def add(
        self, name: str, path: Path, data_hash: str, label_count: int, actor: Actor, *, session: AsyncSession | None = None
    ) -> None:
        """A trained model joins the registry (not active: activation is a separate, gated step)."""

        async def write(s: AsyncSession) -> None:
            s.add(
                ModelRecord(
                    name=name, path=str(path), data_hash=data_hash, label_count=label_count,
                    account_id=actor.account_id, actor=actor.name,
                )
            )
            audit.record(s, actor, "train", name, f"{label_count} exemples des administrateurs, données {data_hash[:12]}")

        if session is not None:
            await write(session)
            return
        async with self._sessionmaker() as s, s.begin():
            await write(s)

    async def add_evaluation(
        self, name: str, baseline: str | None, examples: int, eval_set_hash: str, report: dict[str, Any], actor: Actor
    ) -> None:
        async with self._sessionmaker() as session, session.begin():
            session.add(
                ModelEvaluation(
                    model_name=name, baseline_name=baseline, examples=examples,
                    eval_set_hash=eval_set_hash, report=report,
                )
            )
            gate = report.get("gate") or {}
            audit.record(session, actor, "evaluate", name, gate.get("message"))

    async def adopt_first(self, name: str, path: Path, data_hash: str) -> bool:
        """The model Rasa was started with becomes the registry's first active model (a fresh install).
        False when the registry already has an active model."""
        async with self._sessionmaker() as session, session.begin():
            if await _active(session) is not None:
                return False
            if await session.get(ModelRecord, name) is None:
                session.add(
                    ModelRecord(name=name, path=str(path), data_hash=data_hash, label_count=0, actor=SYSTEM.name)
                )
                await session.flush()
            session.add(ModelActivation(model_name=name, kind="first", actor=SYSTEM.name, at=utcnow()))
            audit.record(session, SYSTEM, "activate", name, "modèle de départ, entraîné sur nlu/")
        return True

    async def activate(self, name: str, actor: Actor, *, override_reason: str | None = None) -> ModelActivation:
        """Make `name` the active model, through the evaluation gate (or an admin's reason to override it)."""
        reason = (override_reason or "").strip() or None
        async with self._sessionmaker() as session, session.begin():
            record = await self._usable(session, name)
            active = await _active(session)
            if active is not None and active.model_name == name:
                raise RegistryError(409, f"Le modèle {name} est déjà actif.")
            refusal = await _gate_refusal(session, record, active)
            if refusal and reason is None:
                raise RegistryError(409, refusal, gated=True)
            if reason is not None and len(reason) < MIN_REASON_CHARS:
                raise RegistryError(409,
                    f"Expliquez en quelques mots (au moins {MIN_REASON_CHARS} caractères) pourquoi vous passez outre."
                )
            kind = "override" if refusal else "activate"
            activation = ModelActivation(
                model_name=name, previous_name=active.model_name if active else None, kind=kind,
                account_id=actor.account_id, actor=actor.name, reason=reason if refusal else None, at=utcnow(),
            )
            session.add(activation)
            detail = f"passe outre : {refusal} Raison : {reason}" if refusal else None
            audit.record(session, actor, "activate", name, detail)
        return activation

    async def rollback(self, actor: Actor, to: str | None = None) -> ModelActivation:
        """Go back to the model active before this one, or to `to`, any model that was active once."""
        async with self._sessionmaker() as session, session.begin():
            active = await _active(session)
            if active is None:
                raise RegistryError(409, "Aucun modèle n'est actif : il n'y a rien à annuler.")
            if to is None:
                to = active.previous_name
                if to is None:
                    raise RegistryError(409, "Le modèle actif est le premier : il n'y a pas de modèle précédent.")
            if to == active.model_name:
                raise RegistryError(409, f"Le modèle {to} est déjà actif.")
            ever = await session.scalar(
                select(func.count()).select_from(ModelActivation).where(ModelActivation.model_name == to)
            )
            if not ever:
                raise RegistryError(409,
                    f"Le modèle {to} n'a jamais été actif : activez-le (après son évaluation) plutôt que d'y revenir."
                )
            await self._usable(session, to)
            activation = ModelActivation(
                model_name=to, previous_name=active.model_name, kind="rollback",
                account_id=actor.account_id, actor=actor.name, at=utcnow(),
            )
            session.add(activation)
            audit.record(session, actor, "rollback", to, f"à la place de {active.model_name}")
        return activation

    async def mark_loaded(self, activation_id: int) -> None:
        async with self._sessionmaker() as session, session.begin():
            activation = await session.get(ModelActivation, activation_id)
            if activation is not None and activation.loaded_at is None:
                activation.loaded_at = utcnow()

    async def _usable(self, session: AsyncSession, name: str) -> ModelRecord:
        record = await session.get(ModelRecord, name)
        if record is None:
            raise RegistryError(404, f"Aucun modèle ne s'appelle {name}.")
        if not record.file_present:
            raise RegistryError(409,
                f"Le fichier du modèle {name} a disparu ({record.path}) : il ne peut plus être mis en service. "
                "Choisissez un autre modèle, ou entraînez-en un nouveau."
            )
        return record


async def _active(session: AsyncSession) -> ModelActivation | None:
    return await session.scalar(select(ModelActivation).order_by(ModelActivation.id.desc()).limit(1))


async def _latest_evaluations(session: AsyncSession) -> dict[str, ModelEvaluation]:
    newest = select(func.max(ModelEvaluation.id)).group_by(ModelEvaluation.model_name)
    rows = await session.scalars(select(ModelEvaluation).where(ModelEvaluation.id.in_(newest)))
    return {row.model_name: row for row in rows}


async def _gate_refusal(session: AsyncSession, record: ModelRecord, active: ModelActivation | None) -> str | None:
    """Why the gate refuses this model (a French sentence), or None when it may go live."""
    if active is None:
        return None
    evaluation = await session.scalar(
        select(ModelEvaluation)
        .where(ModelEvaluation.model_name == record.name)
        .order_by(ModelEvaluation.id.desc())
        .limit(1)
    )
    if evaluation is None:
        return f"Le modèle {record.name} n'a pas encore été évalué : évaluez-le avant de l'activer."
    if evaluation.baseline_name != active.model_name:
        return (
            f"Le modèle {record.name} a été évalué face à {evaluation.baseline_name or 'aucun modèle'}, "
            f"mais le modèle actif est maintenant {active.model_name} : réévaluez-le avant de l'activer."
        )
    gate = (evaluation.report or {}).get("gate") or {}
    if not gate.get("allowed", False):
        return str(gate.get("message") or "L'évaluation refuse ce modèle.")
    return None


class ModelSwitcher:
    """Makes the running Rasa server serve the registry's active model.

    `sync()` compares the model Rasa reports with the active one and, when they differ, has Rasa load the
    active model; `watch()` does so every few seconds. One switch at a time.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        status: Callable[[], Awaitable[str | None]],
        load: Callable[[Path], Awaitable[None]],
        training_hash: Callable[[], str] | None = None,
        models_dir: Path | None = None,
    ) -> None:
        self._registry = registry
        self._status = status
        self._load = load
        self._training_hash = training_hash
        self._models_dir = models_dir
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.switches = 0
        self.last_error: str | None = None
        self._rasa_answered = False

    async def sync(self) -> bool:
        """True when Rasa serves the active model after the call."""
        async with self._lock:
            loaded = await self._status()
            self._rasa_answered = loaded is not None
            if loaded is None:
                return False  # Rasa is down, starting or busy: the next pass will see
            activation = await self._registry.active()
            if activation is None:
                await self._adopt(loaded)
                return True
            if loaded != activation.model_name:
                record = await self._registry.get(activation.model_name)
                if record is None:
                    return False
                logger.info("Rasa serves %s; loading the active model %s", loaded, activation.model_name)
                try:
                    await self._load(Path(record.path))
                except (EngineError, EngineUnavailable) as exc:
                    self.last_error = str(exc)
                    logger.error("Rasa could not load model %s: %s", activation.model_name, exc)
                    return False
                self.switches += 1
                self.last_error = None
                logger.info("Rasa now serves model %s", activation.model_name)
            if activation.loaded_at is None:
                await self._registry.mark_loaded(activation.id)
            return True

    async def _adopt(self, loaded: str) -> None:
        if self._models_dir is None:
            return
        path = self._models_dir / f"{loaded}.tar.gz"
        data_hash = self._training_hash() if self._training_hash else ""
        if await self._registry.adopt_first(loaded, path, data_hash):
            logger.info("Model %s is the registry's first active model", loaded)

    def start(self, every: float) -> None:
        """Check every `every` seconds, in the background, until `close()`."""
        self._track(asyncio.create_task(self._watch(every), name="model-watch"))

    def sync_soon(self) -> None:
        """Sync now in the background (after an activation): the admin's page does not wait for Rasa."""
        self._track(asyncio.create_task(self.sync(), name="model-switch"))

    async def close(self) -> None:
        """Stop checking; an unfinished check ends before the database it uses is closed."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Switching Rasa's model failed: %r", task.exception())

    async def _watch(self, every: float) -> None:
        """Every `every` seconds; every second while Rasa does not answer (starting, restarting or busy), so
        the registry knows the model Rasa serves as soon as it is up."""
        while True:
            try:
                await self.sync()
            except Exception:
                logger.exception("Checking which model Rasa serves failed")
            await asyncio.sleep(every if self._rasa_answered else min(every, RETRY_SECONDS))
