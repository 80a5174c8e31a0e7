"""This module contains the database engine, sessions, and the migrations applied at start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.settings import async_database_url

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(database_url: str) -> AsyncEngine:
    """An asyncio engine for DATABASE_URL; SQLite gets WAL and a busy timeout for concurrent writers.

    Errors never quote the statement's parameters (message texts, names, phones) into logs.
    """
    url = async_database_url(database_url)
    _ensure_sqlite_folder(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True)

    # A few connections: with WAL, readers never wait for the writer; SQLite takes one writer at a time and the
    # others wait in its busy handler, whose sleeps grow with their number. One connection queued every read
    # behind every write and slowed WhatsApp's replies in `make bench`; three does not, and bounds the pile-up.
    engine = create_async_engine(url, hide_parameters=True, pool_size=3, max_overflow=0, pool_timeout=60)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_database_url(database_url).replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Bring the schema to the newest migration. Blocking: call it in a thread from async code."""
    _ensure_sqlite_folder(async_database_url(database_url))
    command.upgrade(alembic_config(database_url), "head")
    logger.info("Database schema is up to date")
