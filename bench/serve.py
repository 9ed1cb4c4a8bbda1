"""What the benches share: a scratch database, the stage this process hosts (the Slack stand-in,
the sandbox platform, the database migrated), and the real `python -m bot serve` in its own
process, pointed at them.

Only the standard library is imported at the top: the processes `bench.reports` starts for its load
generator and its bare route import it too, and should stay small.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.dev.sandbox import SandboxConfig, SandboxState
    from bot.dev.slack_standin import SlackStandIn
    from bot.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "xoxb-bench"
SECRET = "bench-signing-secret"
CPID, CPPWD = "Bench01", "bench-pw"
LOCAL_PREFIXES = ("SLACK_", "SANTO_", "SMS_")
"""The web process gets none of this process's settings: the bench sets the ones it needs."""


@asynccontextmanager
async def scratch_database(url: str | None, folder: Path) -> AsyncIterator[str]:
    """SQLite in `folder`; with a PostgreSQL `url`, a new database next to it, dropped at the end."""
    if url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.rsplit("/", 1)[0] + "/" + name
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Stage:
    """What this process hosts for the web process under test."""

    folder: Path
    db_url: str
    standin: SlackStandIn
    sandbox_url: str
    sandbox: SandboxState
    db: Database


async def start_stage(
    stack: AsyncExitStack, prefix: str, database_url: str | None, config: SandboxConfig
) -> Stage:
    """A temporary folder, the scratch database (migrated), the stand-in and the sandbox on loopback."""
    from bot.dev.sandbox import SANDBOX_STATE, create_sandbox_app
    from bot.dev.slack_standin import SlackStandIn
    from bot.settings import load_settings
    from bot.store.db import Database
    from bot.webserver import running

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
    db_url = await stack.enter_async_context(scratch_database(database_url, folder))
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await stack.enter_async_context(running(standin.app()))
    sandbox_app = create_sandbox_app(config)
    sandbox_url = await stack.enter_async_context(running(sandbox_app))
    db = Database(load_settings(database_url=db_url).sqlalchemy_url)
    stack.push_async_callback(db.close)
    await db.migrate()
    return Stage(folder, db_url, standin, sandbox_url, sandbox_app[SANDBOX_STATE], db)


@dataclass(frozen=True)
class Served:
    """The web process under test: the process, its base URL and its log."""

    process: asyncio.subprocess.Process
    base: str
    log_path: Path


@asynccontextmanager
async def serve(
    stage: Stage, report_token: str, profile: str | None, name: str = "serve", **settings: str
) -> AsyncIterator[Served]:
    """`python -m bot serve` on a free port, pointed at `stage`, logging to `<name>.log` in its folder;
    under cProfile writing to `profile` when one is given. `settings` are more environment
    variables (`SANTO_CONCURRENCY="4"`); those of this process's environment are dropped."""
    from bot.dev.local_server import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "bot", "serve"]
    if profile:
        argv = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot", "serve"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(LOCAL_PREFIXES)}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=stage.standin.api_url(),
        SANTO_BASE_URL=stage.sandbox_url,
        SANTO_CPID=CPID,
        SANTO_CPPWD=CPPWD,
        SANTO_REPORT_TOKEN=report_token,
        SANTO_SANDBOX="false",
        DATABASE_URL=stage.db_url,
        PORT=str(port),
        **settings,
    )
    log_path = stage.folder / f"{name}.log"
    async with subprocess_server(argv, env, base, log_path) as process:
        yield Served(process, base, log_path)


@asynccontextmanager
async def subprocess_server(
    argv: list[str], env: dict[str, str], base: str, log_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start a server process, wait for /healthz, stop it with SIGTERM at the end."""
    from bot.dev.local_server import NotServing, wait_until_serving

    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        try:
            await wait_until_serving(base, proc, within=60)
        except NotServing as exc:
            raise RuntimeError(f"{argv}: {exc}:\n{_tail(log_path)}") from None
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def print_log_errors(log_path: Path) -> None:
    """Say whether the web process logged an ERROR, and the first one."""
    problems = [line for line in log_path.read_text(errors="replace").splitlines() if " ERROR " in line]
    if problems:
        print(f"!! {len(problems)} ERROR lines in the web process log, first: {problems[0]}")
