"""Fixtures of the whole-stack tests (the stack itself is tests/conftest.py's): the stack's database read as an
operator would, and an HTTP session for the artisans' side."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.stack.people import Database
from tests.support.stack import Stack


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Database]:
    database = Database(stack)
    yield database
    await database.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client
