"""Fixtures of the desk's tests: the `world` of tests/bot/desk/handoff_world.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import pytest

from bot.desk.canned_answers import CannedAnswers
from bot.desk.handoff import Adviser, Handoff
from bot.desk.handoff_queue import HandoffQueue
from bot.desk.handoff_watch import HandoffWatch
from bot.desk.live import Live
from bot.messaging.rasa_client import RasaClient
from bot.settings import Settings
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.message_log import MessageLog
from bot.storage.models import StaffAccount
from tests.bot.desk.handoff_world import WEDNESDAY_10H, World


@pytest.fixture
async def world(database_url: str):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    now = [WEDNESDAY_10H]
    settings = replace(Settings(), clock=lambda: now[0], handoff_max_wait_minutes=15)
    log = MessageLog(sessionmaker)
    live = Live()
    async with aiohttp.ClientSession() as http:
        rasa_down = RasaClient(http, "http://127.0.0.1:9", "http://127.0.0.1:9", "token", timeout=1)
        w = World(None, log, sessionmaker, now)  # type: ignore[arg-type]
        w.handoff = Handoff(sessionmaker, log, rasa_down, live, settings, w.delivered.extend)
        w.queue = HandoffQueue(sessionmaker, settings.clock)
        w.watch = HandoffWatch(w.handoff, sessionmaker, settings)
        w.canned = CannedAnswers(sessionmaker)
        async with sessionmaker() as session:
            accounts = [
                StaffAccount(email=email, role=role, password_hash="x")
                for email, role in (("anne@cma71.fr", "agent"), ("bruno@cma71.fr", "agent"), ("chef@cma71.fr", "admin"))
            ]
            session.add_all(accounts)
            await session.commit()
        w.anne, w.bruno = (Adviser(a.id, a.email) for a in accounts[:2])
        w.admin = Adviser(accounts[2].id, accounts[2].email, is_admin=True)
        w.live = live
        yield w
    await engine.dispose()
