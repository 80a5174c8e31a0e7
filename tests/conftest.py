"""Fixtures shared by the gateway's tests: databases (SQLite and the local PostgreSQL) and the running stack.

The stack (`crisisbot run`: action server, Rasa, gateway) starts once per test session, on free ports and a
database of its own, with the model `make test` trained; every test that needs Rasa uses it. Its Telegram and
WhatsApp channels are on, pointed at local fakes of the two platforms' HTTP APIs (tests/support/fakes/).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, async_playwright
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.deliveries import DeliveryLog
from bot.storage.message_log import MessageLog
from tests.support.fakes.telegram import FakeTelegram
from tests.support.fakes.whatsapp import FakeWhatsApp
from tests.support.stack import Stack, channels_env, start_stack, stop_stack

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def fake_whatsapp() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, fake_telegram: FakeTelegram, fake_whatsapp: FakeWhatsApp
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    # Advisers answer round the clock here, whenever the tests run; closed hours are tested with a clock.
    # Initiatives are checked every second, so a reminder due (its date moved back) is sent at once.
    env = {
        **channels_env(fake_telegram, fake_whatsapp),
        "ADVISER_HOURS": "mon-sun 00:00-24:00",
        "INITIATIVES_CHECK_SECONDS": "1",
    }
    running = start_stack(tmp, f"sqlite:///{tmp / 'crisisbot.db'}", env)
    yield running
    stop_stack(running)


# The news template the PostgreSQL stack has approved (WHATSAPP_NEWS_TEMPLATE); the SQLite stack has none.
NEWS_TEMPLATE = "annonce_cma"


@dataclass
class PostgresStack:
    """A second whole stack, on PostgreSQL, with fakes of its own (slow to accept when a test says so), an
    approved WhatsApp news template and a quick news schedule: what the SQLite stack cannot show."""

    stack: Stack
    telegram: FakeTelegram
    whatsapp: FakeWhatsApp


@pytest.fixture(scope="session")
def postgres_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresStack]:
    tmp = tmp_path_factory.mktemp("postgres-stack")
    telegram, whatsapp = FakeTelegram().start(), FakeWhatsApp().start()
    env = {
        **channels_env(telegram, whatsapp),
        "ADVISER_HOURS": "mon-sun 00:00-24:00",
        "WHATSAPP_NEWS_TEMPLATE": NEWS_TEMPLATE,
        "NEWS_CHECK_SECONDS": "1",
    }
    with _postgres_database() as url:
        running = start_stack(tmp, url, env)
        try:
            started = running.group_pids()
            yield PostgresStack(running, telegram, whatsapp)
        finally:
            code = stop_stack(running)
            telegram.stop()
            whatsapp.stop()
        # SIGTERM is a clean stop, not a kill, and leaves nothing behind (checked here: the stack is shared).
        assert code == 0, f"crisisbot run exited with {code}"
        assert [pid for pid in started if os.path.exists(f"/proc/{pid}")] == [], "nothing left behind"


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """fresh_postgres_database() for synchronous (session) fixtures."""
    name = f"crisisbot_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crisisbot.db'}"


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """The URL of a new, empty database on the local PostgreSQL server, dropped afterwards."""
    name = f"crisisbot_test_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker]:
    """Sessions on a migrated, empty database (SQLite and PostgreSQL, as `database_url` gives)."""
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def log(sessionmaker: async_sessionmaker) -> MessageLog:
    """The message log on that database."""
    return MessageLog(sessionmaker)


@pytest.fixture
def deliveries(sessionmaker: async_sessionmaker) -> DeliveryLog:
    """The delivery side of the message log on that database."""
    return DeliveryLog(sessionmaker)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crisisbot.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


# Debian's Chromium, driven by Playwright (whose own browser download does not work everywhere).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert path, "Chromium is missing: `make test` installs it (scripts/setup.sh --with-browser), or set CHROMIUM"
    return path


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
