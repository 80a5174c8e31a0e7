"""This module contains the commands that run the assistant: `run` (everything, supervised), `serve` (the gateway
alone), and `db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.models import retraining
from bot.settings import Settings


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Train if needed, then start and supervise the action server, Rasa and the gateway."""
    from bot.runtime.base_model import ensure_model
    from bot.runtime.processes import raise_on_sigterm
    from bot.runtime.supervisor import Supervisor, build_children

    raise_on_sigterm()  # until the supervisor installs its own handlers
    settings = settings.with_engine_token()
    model = asyncio.run(active_model(settings)) or ensure_model(settings)
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


async def active_model(settings: Settings) -> Path | None:
    """The model the admins activated (bot/retrain/registry.py), when there is one and its file is here."""
    async with retraining(settings) as (registry, _):
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
    from bot.web.access_log import AccessLog

    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        shutdown_timeout=10,
        access_log_class=AccessLog,
    )
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import migrate

    migrate(settings.database_url)
    return 0
