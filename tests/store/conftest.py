"""What the store's tests share: a fresh, migrated database of each kind under test."""

from collections.abc import AsyncIterator

import pytest

from bot.settings import load_settings
from bot.store.db import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(load_settings(database_url=database_url).sqlalchemy_url)
    await database.migrate()
    yield database
    await database.close()
