"""The initiatives' tables, on SQLite and PostgreSQL: migration 0010 comes and goes, an initiative keeps its
communes in the order given and each commune once."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from bot.storage import create_engine, migrate
from bot.storage.database import alembic_config
from bot.storage.models import InitiativeCommune
from tests.bot.initiatives.conftest import CHARNAY, MACON, SANCE, World

TABLES = {"initiatives", "initiative_communes", "initiative_events"}


async def _tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_migration_0010_adds_the_tables_and_removes_them(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)
    assert TABLES <= await _tables(database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0009")
    assert TABLES & await _tables(database_url) == set()
    await asyncio.to_thread(migrate, database_url)
    assert TABLES <= await _tables(database_url)


async def test_the_communes_keep_their_order(world: World) -> None:
    initiative = await world.proposed(commune_codes=[SANCE, CHARNAY, MACON])
    found = await world.initiatives.get(initiative.id)
    assert found is not None
    assert found[0].commune_codes == [SANCE, CHARNAY, MACON]
    assert found[0].commune_names == ["Sancé", "Charnay-lès-Mâcon", "Mâcon"]


async def test_a_commune_is_served_once_per_initiative(world: World) -> None:
    initiative = await world.proposed()
    with pytest.raises(IntegrityError):
        async with world.sessionmaker() as session:
            session.add(
                InitiativeCommune(initiative_id=initiative.id, position=1, commune_code=MACON, commune_name="Mâcon")
            )
            await session.commit()
