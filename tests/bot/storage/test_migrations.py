"""The migrations, on SQLite and PostgreSQL: they build the schema the models describe, and mend old data."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.storage import Base, create_engine, migrate
from bot.storage.database import alembic_config

T0 = datetime(2020, 11, 30, 9, 0, tzinfo=UTC)


async def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []


async def test_messages_answered_by_the_looping_fallback_are_recorded_as_incidents(database_url: str) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "0007")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO conversations (id, channel, external_id, state, created_at, updated_at, priority, "
                     "acknowledged) VALUES ('c1', 'rest', 'a', 'bot', :t, :t, 0, false)"),
                {"t": T0},
            )
            inbound = "INSERT INTO messages (id, conversation_id, direction, channel, author, text, status, created_at, " \
                      "attempts) VALUES (:id, 'c1', 'in', 'rest', 'artisan', :text, 'done', :t, 0)"
            outbound = "INSERT INTO messages (id, conversation_id, direction, channel, author, text, status, " \
                       "reply_to_id, created_at, attempts) VALUES (:id, 'c1', 'out', 'rest', 'bot', :text, 'sent', " \
                       ":reply_to, :t, 0)"
            await connection.execute(text(inbound), {"id": 1, "text": "c quoi le PGE ?", "t": T0})
            for id_ in range(2, 11):  # the bug: nine identical bubbles
                fallback = {"id": id_, "text": "Désolé, je n'ai pas bien compris.", "reply_to": 1, "t": T0}
                await connection.execute(text(outbound), fallback)
            await connection.execute(text(inbound), {"id": 20, "text": "bonjour", "t": T0})
            for id_, said in ((21, "Bonjour et bienvenue !"), (22, "Choisissez un sujet :")):  # two bubbles: fine
                await connection.execute(text(outbound), {"id": id_, "text": said, "reply_to": 20, "t": T0})

        await asyncio.to_thread(migrate, database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT message_id, conversation_id, kind FROM engine_incidents"))).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "c1", "repeated")]
