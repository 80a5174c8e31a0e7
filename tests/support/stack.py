"""This module contains a throwaway whole stack (`crisisbot run` on free ports) for the tests and the benchmark."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp

from bot.runtime.base_model import ensure_model
from bot.settings import ROOT, Settings

STACK_START_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    """The running assistant, as a user and an operator see it."""

    url: str
    settings: Settings
    process: subprocess.Popen
    log_path: Path
    # The settings given to `crisisbot run` on top of the environment (channels' secrets among them).
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def group_pids(self) -> list[int]:
        """Every process still alive that `crisisbot run` started (its children run in their own groups)."""
        out = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid=,stat="], capture_output=True, text=True).stdout
        rows = [line.split() for line in out.splitlines()]
        alive = {int(pid): int(ppid) for pid, ppid, _, stat in rows if not stat.startswith("Z")}
        family, frontier = set(), {self.process.pid}
        while frontier:
            family |= frontier
            frontier = {pid for pid, ppid in alive.items() if ppid in frontier} - family
        return sorted(pid for pid in family if pid in alive)


def wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STACK_START_TIMEOUT

    async def poll() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"crisisbot run exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack was not healthy in time:\n{log_path.read_text()[-4000:]}")
                try:
                    async with session.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(1)

    asyncio.run(poll())


def channels_env(telegram, whatsapp) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The settings that turn on Telegram and WhatsApp, pointed at fakes (tests.support.fakes) of the two platforms.

    The webhook secret and the verify token are fresh for each stack; read them back from `Stack.env`.
    """
    return {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "WHATSAPP_ACCESS_TOKEN": whatsapp.access_token,
        "WHATSAPP_APP_SECRET": whatsapp.app_secret,
        "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(24),
        "WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
        "WHATSAPP_API_URL": whatsapp.url,
    }


def start_stack(tmp: Path, database_url: str, extra_env: dict[str, str] | None = None) -> Stack:
    # `make test` trains before the tests; a bare pytest run trains here, outside the start-up timeout.
    ensure_model(Settings())
    settings = replace(
        Settings(),
        port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        database_url=database_url,
        engine_token=secrets.token_urlsafe(24),
    )
    # Channels are on only when the caller asks (a developer's own TELEGRAM_* must not reach the tests).
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env = dict(
        inherited,
        PORT=str(settings.port),
        RASA_PORT=str(settings.rasa_port),
        ACTIONS_PORT=str(settings.actions_port),
        DATABASE_URL=database_url,
        CRISISBOT_ENGINE_TOKEN=settings.engine_token,
        **(extra_env or {}),
    )
    log_path = tmp / "stack.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    stack = Stack(f"http://127.0.0.1:{settings.port}", settings, process, log_path, dict(extra_env or {}))
    try:
        wait_healthy(stack.url, process, log_path)
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: Stack, timeout: float = 60) -> int | None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in stack.group_pids():
                os.kill(pid, signal.SIGKILL)
            stack.process.wait()
    return stack.process.returncode


async def staff_login(url: str, email: str, password: str) -> tuple[aiohttp.ClientSession, str]:
    """A staff member's browser session on the running stack, logged in: the session and its CSRF token."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        async with session.get(f"{url}/staff/login") as response:
            assert response.status == 200, response.status
        login_csrf = next(c.value for c in session.cookie_jar if c.key == "crisisbot_csrf")
        data = {"email": email, "password": password, "csrf_token": login_csrf}
        async with session.post(f"{url}/staff/login", data=data) as response:
            assert response.status == 200, await response.text()
        async with session.get(f"{url}/staff/") as response:
            found = re.search(r'<meta name="csrf-token" content="([^"]+)"', await response.text())
        assert found, "not logged in"
        return session, found.group(1)
    except BaseException:
        await session.close()
        raise
