"""This module contains the `crisisbot` command and its subcommands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import subprocess
import sys
from pathlib import Path
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.errors import ConfigurationError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.storage.message_log import MessageLog

PARIS = ZoneInfo("Europe/Paris")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # Alembic narrates every plugin it loads; bot.storage says when the schema is up to date.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Train if needed, then start and supervise the action server, Rasa and the gateway."""
    from bot.supervisor import Supervisor, build_children
    from bot.training import ensure_model

    from bot.processes import raise_on_sigterm

    raise_on_sigterm()  # until the supervisor installs its own handlers
    settings = settings.with_engine_token()
    model = asyncio.run(_active_model(settings)) or ensure_model(settings)
    url = f"http://localhost:{settings.port}"

    def ready() -> None:
        print(
            f"\ncrisisbot is ready (model {model.name.removesuffix('.tar.gz')}).\n"
            f"  Web chat:  {url}/\n"
            f"  Health:    {url}/healthz\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )

    print("Starting the action server, Rasa (about a minute) and the gateway...", flush=True)
    supervisor = Supervisor(build_children(settings, model), cwd=settings.project_dir, on_ready=ready)
    return asyncio.run(supervisor.run())


async def _active_model(settings: Settings) -> Path | None:
    """The model the admins activated (bot/retrain/registry.py), when there is one and its file is here."""
    async with _retraining(settings) as (registry, _):
        record = await registry.active_record()
    if record is None:
        return None
    path = Path(record.path)
    if not record.file_present:
        print(f"The active model's file is missing ({path}): starting on the model for nlu/ instead.", file=sys.stderr)
        return None
    return path


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run the gateway alone (Rasa and the action server run elsewhere)."""
    from aiohttp import web

    from bot.app import create_app

    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None, shutdown_timeout=10)
    return 0


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    """Train a model from nlu/ and the admins' labels, register it and evaluate it (it is not activated).

    With --base: the model for nlu/ alone, reused when one exists (what `make run` and `make test` use).
    """
    if args.base:
        from bot.training import ensure_model

        print(ensure_model(settings, force=args.force))
        return 0
    return asyncio.run(_train(settings))


async def _train(settings: Settings) -> int:
    from bot.retrain.audit import Actor
    from bot.retrain.jobs import JobBusy

    async with _retraining(settings) as (registry, jobs):
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
async def _retraining(settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
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
    from bot.retrain.audit import Actor
    from bot.retrain.jobs import KEEP_UNUSED, JobBusy
    from bot.retrain.registry import RegistryError

    async with _retraining(settings) as (registry, jobs):
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


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("it cannot be negative")
    return value


def cmd_models(settings: Settings, args: argparse.Namespace) -> int:
    """The model registry: list, evaluate, activate, roll back."""
    return asyncio.run(_models(settings, args))


def cmd_model_path(settings: Settings, args: argparse.Namespace) -> int:
    from bot.training import current_model

    print(current_model(settings))
    return 0


def cmd_nlu_eval(settings: Settings, args: argparse.Namespace) -> int:
    """Score the current model on the held-out set: intent accuracy and macro-F1."""
    from bot.training import engine_environment, ensure_model, rasa_executable

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


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import migrate

    migrate(settings.database_url)
    return 0


@contextlib.asynccontextmanager
async def _message_log(settings: Settings) -> AsyncIterator[MessageLog]:
    """The message log on DATABASE_URL, for one command."""
    from bot.storage import create_engine, create_sessionmaker
    from bot.storage.message_log import MessageLog

    engine = create_engine(settings.database_url)
    try:
        yield MessageLog(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _transcript(settings: Settings, conversation_id: str) -> int:
    async with _message_log(settings) as log:
        if ":" in conversation_id:
            channel, external_id = conversation_id.split(":", 1)
            conversation = await log.find_conversation(channel, external_id)
            if conversation is None:
                print(f"No conversation {conversation_id}.", file=sys.stderr)
                return 1
            conversation_id = conversation.id
        messages = await log.transcript(conversation_id)
        if not messages:
            print(f"No conversation {conversation_id}.", file=sys.stderr)
            return 1
        for m in messages:
            when = m.created_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")
            understood = f"  [{m.intent} {m.confidence:.2f}]" if m.intent and m.confidence is not None else ""
            buttons = "  " + " ".join(f"[{b.get('title')}]" for b in m.buttons) if m.buttons else ""
            print(f"{when}  {m.author:<7} {m.text or ''}{buttons}{understood}")
        return 0


def cmd_transcript(settings: Settings, args: argparse.Namespace) -> int:
    """Print a conversation, by its id or as CHANNEL:SENDER (e.g. rest:1234)."""
    return asyncio.run(_transcript(settings, args.conversation))


async def _conversations(settings: Settings, limit: int) -> int:
    async with _message_log(settings) as log:
        for c, last_at in await log.recent_conversations(limit):
            when = last_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            print(f"{c.id}  {c.channel:<8} {c.state:<7} last message {when}")
        return 0


def cmd_conversations(settings: Settings, args: argparse.Namespace) -> int:
    """List the most recent conversations."""
    return asyncio.run(_conversations(settings, args.limit))


def _staff(command: str) -> Callable[[Settings, argparse.Namespace], int]:
    """A `staff` subcommand, imported when it runs: every other command starts without the staff package."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        from bot.staff import cli as staff_cli

        return getattr(staff_cli, command)(settings, args)

    return run


def _add_staff_commands(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts: advisers (agent) and admins")
    commands = staff.add_subparsers(dest="staff_command", required=True)
    stdin_help = "read the password from the first line of stdin"

    add = commands.add_parser("add", help="create an account (asks for its password twice)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=["agent", "admin"])  # StaffRole's values
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add.set_defaults(func=_staff("cmd_add"))
    commands.add_parser("list", help="list the accounts").set_defaults(func=_staff("cmd_list"))
    for name, help_text in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "enable a disabled account again"),
    ):
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("email")
        parser.set_defaults(func=_staff(f"cmd_{name}"))
    password = commands.add_parser("password", help="set a new password (ends the account's sessions)")
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true", help=stdin_help)
    password.set_defaults(func=_staff("cmd_password"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crisisbot", description="The CMA's crisis front desk.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="train if needed, start everything (web chat on PORT, 8080)").set_defaults(func=cmd_run)
    sub.add_parser("serve", help="run the gateway alone").set_defaults(func=cmd_serve)
    train = sub.add_parser(
        "train", help="train a model from nlu/ and the admins' labels, evaluate it and register it (not activated)"
    )
    train.add_argument("--base", action="store_true", help="the model for nlu/ alone, reused when one exists")
    train.add_argument("--force", action="store_true", help="with --base: train even if a matching model exists")
    train.set_defaults(func=cmd_train)
    models = sub.add_parser("models", help="the model registry: list, evaluate, activate, rollback")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("list", help="every model; * marks the active one").set_defaults(func=cmd_models)
    evaluate = models_sub.add_parser("evaluate", help="evaluate a model again, beside the active model")
    evaluate.add_argument("name")
    evaluate.set_defaults(func=cmd_models)
    activate = models_sub.add_parser("activate", help="activate a model (the evaluation gate applies)")
    activate.add_argument("name")
    activate.add_argument("--override-reason", help="activate despite the evaluation gate, for this reason")
    activate.set_defaults(func=cmd_models)
    rollback = models_sub.add_parser("rollback", help="go back to the previously active model")
    rollback.add_argument("--to", help="go back to this model instead (one that was active before)")
    rollback.set_defaults(func=cmd_models)
    prune = models_sub.add_parser("prune", help="delete the files of old models that were never active")
    prune.add_argument("--keep", type=_count, help="how many of the newest never-active models keep their file "
                       "(by default as after each training: 5)")
    prune.set_defaults(func=cmd_models)
    sub.add_parser("model-path", help="print the path of the model for the current data").set_defaults(func=cmd_model_path)
    sub.add_parser("nlu-eval", help="intent accuracy and macro-F1 on nlu/heldout").set_defaults(func=cmd_nlu_eval)
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations").set_defaults(func=cmd_db_upgrade)
    transcript = sub.add_parser("transcript", help="print a conversation")
    transcript.add_argument("conversation", help="conversation id, or CHANNEL:SENDER such as rest:my-sender-id")
    transcript.set_defaults(func=cmd_transcript)
    conversations = sub.add_parser("conversations", help="list recent conversations")
    conversations.add_argument("--limit", type=int, default=20)
    conversations.set_defaults(func=cmd_conversations)
    _add_staff_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        _configure_logging(settings.log_level)
        return args.func(settings, args)
    except ConfigurationError as exc:
        print(f"crisisbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

