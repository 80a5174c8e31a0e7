"""The `crisisbot` command: its parser, and one module per group of subcommands, each imported only when one of its
commands runs (the command starts in a tenth of a second).

service        run, serve, db upgrade
models         train, models list|evaluate|activate|rollback|prune, model-path, nlu-eval
conversations  conversations, transcript
staff          staff add|list|disable|enable|password|territory|weekly-report
news           news list|show|create|edit|publish|send|schedule|unschedule|stop
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

from bot.errors import ConfigurationError
from bot.settings import Settings

Command = Callable[[Settings, argparse.Namespace], int]


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # Alembic narrates every plugin it loads; bot.storage says when the schema is up to date.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _command(module: str, name: str) -> Command:
    """The command `name` of `bot.cli.<module>`, imported when it runs."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        command: Command = getattr(importlib.import_module(f"bot.cli.{module}"), name)
        return command(settings, args)

    return run


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("it cannot be negative")
    return value


def _add_staff_commands(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts: advisers (agent), admins, and partners (their reports)")
    commands = staff.add_subparsers(dest="staff_command", required=True)
    stdin_help = "read the password from the first line of stdin"
    territory_help = ("the communes a partner's reports count: departement, an EPCI (epci:SIREN or its exact "
                      "name), or communes by name or INSEE code, comma-separated")

    add = commands.add_parser("add", help="create an account (asks for its password twice)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=["agent", "admin", "partner"])  # StaffRole's values
    add.add_argument("--territory", metavar="SPEC", help=territory_help + " (partners only, required for them)")
    add.add_argument("--weekly-report", action="store_true", help="e-mail the partner the weekly report")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add.set_defaults(func=_command("staff", "cmd_add"))
    commands.add_parser("list", help="list the accounts").set_defaults(func=_command("staff", "cmd_list"))
    for name, help_text in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "enable a disabled account again"),
    ):
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("email")
        parser.set_defaults(func=_command("staff", f"cmd_{name}"))
    password = commands.add_parser("password", help="set a new password (ends the account's sessions)")
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true", help=stdin_help)
    password.set_defaults(func=_command("staff", "cmd_password"))
    territory = commands.add_parser("territory", help="give a partner another territory")
    territory.add_argument("email")
    territory.add_argument("territory", metavar="SPEC", help=territory_help)
    territory.set_defaults(func=_command("staff", "cmd_territory"))
    weekly = commands.add_parser("weekly-report", help="e-mail a partner the weekly report every Monday, or stop")
    weekly.add_argument("email")
    weekly.add_argument("state", choices=["on", "off"])
    weekly.set_defaults(func=_command("staff", "cmd_weekly_report"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crisisbot", description="The CMA's crisis front desk.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="train if needed, start everything (web chat on PORT, 8080)").set_defaults(func=_command("service", "cmd_run"))
    sub.add_parser("serve", help="run the gateway alone").set_defaults(func=_command("service", "cmd_serve"))
    train = sub.add_parser(
        "train", help="train a model from nlu/ and the admins' labels, evaluate it and register it (not activated)"
    )
    train.add_argument("--base", action="store_true", help="the model for nlu/ alone, reused when one exists")
    train.add_argument("--force", action="store_true", help="with --base: train even if a matching model exists")
    train.set_defaults(func=_command("models", "cmd_train"))
    models = sub.add_parser("models", help="the model registry: list, evaluate, activate, rollback")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("list", help="every model; * marks the active one").set_defaults(func=_command("models", "cmd_models"))
    evaluate = models_sub.add_parser("evaluate", help="evaluate a model again, beside the active model")
    evaluate.add_argument("name")
    evaluate.set_defaults(func=_command("models", "cmd_models"))
    activate = models_sub.add_parser("activate", help="activate a model (the evaluation gate applies)")
    activate.add_argument("name")
    activate.add_argument("--override-reason", help="activate despite the evaluation gate, for this reason")
    activate.set_defaults(func=_command("models", "cmd_models"))
    rollback = models_sub.add_parser("rollback", help="go back to the previously active model")
    rollback.add_argument("--to", help="go back to this model instead (one that was active before)")
    rollback.set_defaults(func=_command("models", "cmd_models"))
    prune = models_sub.add_parser("prune", help="delete the files of old models that were never active")
    prune.add_argument("--keep", type=_count, help="how many of the newest never-active models keep their file "
                       "(by default as after each training: 5)")
    prune.set_defaults(func=_command("models", "cmd_models"))
    sub.add_parser("model-path", help="print the path of the model for the current data").set_defaults(func=_command("models", "cmd_model_path"))
    sub.add_parser("nlu-eval", help="intent accuracy and macro-F1 on nlu/heldout").set_defaults(func=_command("models", "cmd_nlu_eval"))
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations").set_defaults(func=_command("service", "cmd_db_upgrade"))
    transcript = sub.add_parser("transcript", help="print a conversation")
    transcript.add_argument("conversation", help="conversation id, or CHANNEL:SENDER such as rest:my-sender-id")
    transcript.set_defaults(func=_command("conversations", "cmd_transcript"))
    conversations = sub.add_parser("conversations", help="list recent conversations")
    conversations.add_argument("--limit", type=int, default=20)
    conversations.set_defaults(func=_command("conversations", "cmd_conversations"))
    _add_staff_commands(sub)
    from bot.cli.news import add_parser as add_news_parser

    add_news_parser(sub, _command("news", "cmd_news"))
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

