"""This module contains Supervisor, which runs the action server, Rasa and the gateway as one assistant.

`crisisbot run` starts the three processes, waits until each answers, says where to go, restarts any that
crashes (with a growing delay, logged), and on Ctrl-C or SIGTERM stops them all, leaving no process behind.
In production each runs as its own service instead; this is for one machine.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url

from bot.runtime.processes import die_with_parent, signal_group
from bot.runtime.rasa_env import engine_environment, rasa_executable, rasa_python
from bot.settings import ROOT, Settings

logger = logging.getLogger("crisisbot.supervisor")

STOP_GRACE_SECONDS = 15
RESTART_DELAYS = (1, 2, 5, 10, 30)
# A child that ran this long before crashing starts again from the shortest delay.
STABLE_AFTER_SECONDS = 120


# Rasa and the action server run at a lower priority than the gateway: when Rasa is saturated, the CPU goes
# first to the gateway, which must answer the platforms' webhooks within milliseconds (Rasa's backlog waits).
ENGINE_NICENESS = 5


def prepare_child(niceness: int) -> None:
    """Run in a child before exec: stop with the supervisor, and take its CPU priority."""
    die_with_parent()
    if niceness:
        os.nice(niceness)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    niceness: int = 0
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
    output_task: asyncio.Task[None] | None = field(default=None, repr=False)


def tracker_store_environment(settings: Settings) -> dict[str, str]:
    """Rasa's tracker store on the gateway's database server: its own file (SQLite) or schema (PostgreSQL)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database or ROOT / "var" / "crisisbot.db")
        return {
            "CRISISBOT_TRACKER_DIALECT": "sqlite",
            "CRISISBOT_TRACKER_URL": "",
            "CRISISBOT_TRACKER_DB": str(database.with_name(database.stem + "-rasa.db")),
        }
    plain = url.set(drivername="postgresql")
    return {
        "CRISISBOT_TRACKER_DIALECT": "postgresql",
        "CRISISBOT_TRACKER_URL": plain.render_as_string(hide_password=False),
        "CRISISBOT_TRACKER_DB": plain.database or "",
        "POSTGRESQL_SCHEMA": "rasa",
    }


def build_children(settings: Settings, model: Path) -> list[Child]:
    rasa = str(rasa_executable(settings))
    engine_env = engine_environment(settings)
    engine_env.update(tracker_store_environment(settings))
    engine_env.update(
        {
            "CRISISBOT_ENGINE_TOKEN": settings.engine_token,
            "CRISISBOT_ACTIONS_URL": f"{settings.actions_url}/webhook",
            # The action server calls the gateway's internal API (bot/desk/internal_api.py).
            "CRISISBOT_GATEWAY_URL": f"http://127.0.0.1:{settings.port}",
            "SANIC_HOST": "127.0.0.1",
        }
    )
    gateway_env = dict(os.environ, CRISISBOT_ENGINE_TOKEN=settings.engine_token, PYTHONUNBUFFERED="1")
    gateway_env.update(
        {
            "PORT": str(settings.port),
            "HOST": settings.host,
            "RASA_PORT": str(settings.rasa_port),
            "ACTIONS_PORT": str(settings.actions_port),
            "DATABASE_URL": settings.database_url,
            "MODELS_DIR": str(settings.models_dir),
        }
    )
    project = str(settings.project_dir)
    return [
        Child(
            "actions",
            [rasa, "run", "actions", "--actions", "actions", "--port", str(settings.actions_port)],
            engine_env,
            f"{settings.actions_url}/health",
            niceness=ENGINE_NICENESS,
        ),
        Child(
            "rasa",
            [
                # The launcher adds the token from CRISISBOT_ENGINE_TOKEN in-process: on the command line,
                # any local user would read it in `ps`.
                str(rasa_python(settings)), "-m", "engine.rasa_server", "run",
                "--enable-api",
                "--interface", "127.0.0.1", "--port", str(settings.rasa_port),
                "--model", str(model),
                "--endpoints", f"{project}/endpoints.yml",
                "--credentials", str(settings.rasa_credentials),
            ],
            engine_env,
            f"{settings.rasa_url}/status?token={settings.engine_token}",
            niceness=ENGINE_NICENESS,
        ),
        Child(
            "gateway",
            [sys.executable, "-m", "bot", "serve"],
            gateway_env,
            f"http://127.0.0.1:{settings.port}/healthz",
        ),
    ]


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        *,
        cwd: Path,
        on_ready: Callable[[], None] | None = None,
        ready_timeout: float = 300,
    ) -> None:
        self.children = children
        self._cwd = cwd
        self._on_ready = on_ready
        self._ready_timeout = ready_timeout
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        try:
            for child in self.children:
                await self._start(child)
            if not await self._wait_ready():
                return 1
            if self._on_ready:
                self._on_ready()
            await self._watch()
            return 0
        finally:
            await self._stop_all()

    async def _start(self, child: Child) -> None:
        child.process = await asyncio.create_subprocess_exec(
            *child.argv,
            cwd=self._cwd,
            env=child.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            limit=2**20,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops the children in order
            preexec_fn=functools.partial(prepare_child, child.niceness),
        )
        child.started_at = time.monotonic()
        child.output_task = asyncio.create_task(self._relay_output(child, child.process))
        logger.info("Started %s (pid %d)", child.name, child.process.pid)

    @staticmethod
    async def _relay_output(child: Child, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        prefix = f"{child.name:>8} | ".encode()
        async for line in process.stdout:
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()

    async def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self._ready_timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            for child in self.children:
                while not await self._answers(session, child.ready_url):
                    if self._stopping.is_set():
                        return False
                    if child.process is not None and child.process.returncode is not None:
                        logger.error("%s exited with code %s while starting", child.name, child.process.returncode)
                        return False
                    if time.monotonic() > deadline:
                        logger.error("%s did not become ready in %.0fs", child.name, self._ready_timeout)
                        return False
                    await asyncio.sleep(0.5)
                logger.info("%s is ready", child.name)
        return True

    @staticmethod
    async def _answers(session: aiohttp.ClientSession, url: str) -> bool:
        try:
            async with session.get(url) as response:
                return response.status < 500 or url.endswith("/healthz")
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _watch(self) -> None:
        """Restart any child that exits, until asked to stop.

        It polls the exit status rather than awaiting `process.wait()`: that also waits for the output pipe
        to close, which a leftover grandchild can hold open forever.
        """
        while not self._stopping.is_set():
            for child in self.children:
                if child.process is not None and child.process.returncode is not None:
                    await self._restart(child)
            try:
                await asyncio.wait_for(self._stopping.wait(), 0.5)
            except asyncio.TimeoutError:
                pass

    async def _restart(self, child: Child) -> None:
        code = child.process.returncode if child.process else None
        if child.process is not None:
            signal_group(child.process.pid, signal.SIGKILL)  # what the dead child left in its group
        if time.monotonic() - child.started_at > STABLE_AFTER_SECONDS:
            child.restarts = 0
        delay = RESTART_DELAYS[min(child.restarts, len(RESTART_DELAYS) - 1)]
        child.restarts += 1
        logger.warning("%s exited with code %s; restarting it in %ds (restart #%d)", child.name, code, delay, child.restarts)
        try:
            await asyncio.wait_for(self._stopping.wait(), delay)
            return
        except asyncio.TimeoutError:
            pass
        await self._start(child)

    async def _stop_all(self) -> None:
        """SIGTERM every child's process group, newest first; SIGKILL what is left after the grace period."""
        running = [c for c in reversed(self.children) if c.process and c.process.returncode is None]
        for child in running:
            logger.info("Stopping %s", child.name)
            signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(c.process.returncode is None for c in running) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for child in running:
            if child.process.returncode is None:
                logger.warning("%s did not stop in %ds: killing it", child.name, STOP_GRACE_SECONDS)
                signal_group(child.process.pid, signal.SIGKILL)
        for child in self.children:
            if child.process is not None:
                # Whatever the child left in its group (workers), stopped with it.
                signal_group(child.process.pid, signal.SIGKILL)
            if child.output_task is not None:
                child.output_task.cancel()
                await asyncio.gather(child.output_task, return_exceptions=True)
        logger.info("All stopped")
