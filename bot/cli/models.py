"""This module contains the commands of the models: `train`, `models list|evaluate|activate|rollback|prune`,
`model-path` and `nlu-eval`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

from bot.errors import JobBusy, RegistryError
from bot.settings import Settings
from bot.shared.french import PARIS


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    """Train a model from nlu/ and the admins' labels, register it and evaluate it (it is not activated).

    With --base: the model for nlu/ alone, reused when one exists (what `make run` and `make test` use).
    """
    if args.base:
        from bot.runtime.base_model import ensure_model

        print(ensure_model(settings, force=args.force))
        return 0
    return asyncio.run(_train(settings))


async def _train(settings: Settings) -> int:
    from bot.storage.audit import Actor

    async with retraining(settings) as (registry, jobs):
        try:
            job = await jobs.run("train", Actor.command_line(), echo=lambda line: print(line, flush=True))
        except JobBusy as exc:
            print(exc.message, file=sys.stderr)
            return 1
        if job.status != "succeeded":
            print(f"Training failed: {job.error}", file=sys.stderr)
            return 1
        print(f"\nModel {job.model_name} is registered (not active). To put it live: crisisbot models activate {job.model_name}")
        return 0


@contextlib.asynccontextmanager
async def retraining(settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
    """The model registry and the jobs on DATABASE_URL, for one command."""
    from bot.retrain.jobs import TrainingJobs
    from bot.retrain.registry import ModelRegistry
    from bot.storage import create_engine, create_sessionmaker, migrate

    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        registry = ModelRegistry(sessionmaker)
        yield registry, TrainingJobs(sessionmaker, settings, registry)
    finally:
        await engine.dispose()


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


async def _models(settings: Settings, args: argparse.Namespace) -> int:
    from bot.retrain.jobs import KEEP_UNUSED
    from bot.storage.audit import Actor

    async with retraining(settings) as (registry, jobs):
        actor = Actor.command_line()
        try:
            if args.models_command == "list":
                views = await registry.models()
                if not views:
                    print("No model registered yet: the first one is when the assistant first starts (make run).")
                for view in views:
                    r = view.record
                    when = r.created_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
                    mark = "*" if view.active else " "
                    print(
                        f"{mark} {r.name:<40} {when}  {r.actor:<32} data {r.data_hash[:12]:<12} "
                        f"accuracy {_percent(view.accuracy):>6}  macro-F1 {_decimal(view.macro_f1)}"
                        + ("" if r.file_present else "  (file deleted)")
                    )
                return 0
            if args.models_command == "prune":
                keep = KEEP_UNUSED if args.keep is None else args.keep
                removed = await jobs.prune(keep, actor)
                for name, size in removed:
                    print(f"deleted the file of {name} ({size / 1e6:.0f} MB)")
                freed = sum(size for _, size in removed) / 1e6
                print(
                    f"{len(removed)} model files deleted, {freed:.0f} MB freed. Kept: the active model, every model "
                    f"that was active once, and the {keep} newest never activated; the registry keeps every record."
                )
                return 0
            if args.models_command == "evaluate":
                job = await jobs.run("evaluate", actor, model_name=args.name, echo=lambda line: print(line, flush=True))
                return 0 if job.status == "succeeded" else 1
            if args.models_command == "activate":
                activation = await registry.activate(args.name, actor, override_reason=args.override_reason)
            else:
                activation = await registry.rollback(actor, args.to)
        except JobBusy as exc:  # a training or an evaluation is running
            print(exc.message, file=sys.stderr)
            return 1
        except RegistryError as exc:
            print(exc.message, file=sys.stderr)
            if exc.gated:
                print(
                    f"Evaluate it against the active model: crisisbot models evaluate {args.name}; or, knowing why, "
                    f'activate it anyway: crisisbot models activate {args.name} --override-reason "..."',
                    file=sys.stderr,
                )
            return 1
        print(
            f"Model {activation.model_name} is active (instead of {activation.previous_name or 'none'}). "
            f"The running assistant loads it within {settings.model_check_seconds:.0f} seconds, without interrupting anyone."
        )
        return 0


def cmd_models(settings: Settings, args: argparse.Namespace) -> int:
    """The model registry: list, evaluate, activate, roll back."""
    return asyncio.run(_models(settings, args))


def cmd_model_path(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.base_model import current_model

    print(current_model(settings))
    return 0


def cmd_nlu_eval(settings: Settings, args: argparse.Namespace) -> int:
    """Score the current model on the held-out set: intent accuracy and macro-F1."""
    from bot.runtime.base_model import ensure_model
    from bot.runtime.rasa_env import engine_environment, rasa_executable

    model = ensure_model(settings)
    out = settings.project_dir / "results" / "nlu-heldout"
    command = [
        str(rasa_executable(settings)), "test", "nlu",
        "--nlu", str(settings.project_dir / "nlu" / "heldout"),
        "--model", str(model),
        "--out", str(out),
    ]
    print(f"Evaluating {model.name} on nlu/heldout...", flush=True)
    result = subprocess.run(
        command, cwd=settings.project_dir, env=engine_environment(settings), capture_output=True, text=True
    )
    if result.returncode != 0:
        print(result.stdout[-3000:] + result.stderr[-3000:], file=sys.stderr)
        print("rasa test nlu failed (its output is above).", file=sys.stderr)
        return result.returncode
    report = json.loads((out / "intent_report.json").read_text())
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v and k not in ("macro avg", "weighted avg", "micro avg")}
    print(f"Held-out NLU evaluation of {model.name} ({sum(v['support'] for v in intents.values())} messages, {len(intents)} intents)")
    print(f"  intent accuracy: {report['accuracy']:.3f}")
    print(f"  macro-F1:        {report['macro avg']['f1-score']:.3f}")
    weakest = sorted(intents.items(), key=lambda kv: kv[1]["f1-score"])[:5]
    print("  weakest intents: " + ", ".join(f"{name} {v['f1-score']:.2f}" for name, v in weakest))
    print(f"  details: {out}/intent_report.json, {out}/intent_errors.json")
    return 0
