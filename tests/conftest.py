"""Shared fixtures: real servers on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from aiohttp import web

from bot.webserver import running

pytest_plugins = ["tests.secret_guard"]

Serve = Callable[[web.Application], Awaitable[str]]
MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


@cache
def manifest_functions() -> dict[str, Any]:
    """The Workflow Builder steps manifest.yml defines: what the stand-in holds the app's steps to."""
    functions: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())["functions"]
    return functions


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """`base_url = await serve(app)`: run an aiohttp app on 127.0.0.1 for the test's duration."""
    async with AsyncExitStack() as stack:

        async def start(app: web.Application) -> str:
            return await stack.enter_async_context(running(app))

        yield start


def _database_params() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


@pytest.fixture(params=_database_params())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, and (when TEST_DATABASE_URL is set) PostgreSQL.

    The value is a `DATABASE_URL` as users write it (`sqlite:///…`, `postgresql://…`).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'santo-slack.db'}"
        return
    base = os.environ["TEST_DATABASE_URL"]
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield base.rsplit("/", 1)[0] + "/" + name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
