"""A deploy, rehearsed as a Heroku-style PaaS does it: a fresh environment holding the runtime
lock alone, the app's files as the slug, the Procfile's `release` line, then its `web` line with
PORT and a `postgres://` DATABASE_URL; a signed `/sms balance`; then SIGTERM while reports keep
arriving and a send waits on the platform."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.dev.local_server import free_port, wait_until_serving
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from tests.conftest import Serve
from tests.e2e.conftest import BOT_TOKEN, CHANNEL, CPID, PASSWORD, REPORT_TOKEN, SIGNING_SECRET, blocks_text

ROOT = Path(__file__).parents[2]
SLUG = ("Procfile", "requirements.txt", ".python-version", "pyproject.toml", "bot", "handlers")
"""What the PaaS gets of the repository and needs: the app's code, and what says how to run it."""
STOP_WITHIN = 25.0
"""Seconds from SIGTERM to exit: a PaaS kills the process at 30."""
STREAMS = 4


@dataclass(frozen=True)
class Deployed:
    slug: Path
    bin: Path
    """The environment's executables (`python` among them), first on PATH as the PaaS sets it."""


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    """The slug and a virtual environment installed from requirements.txt alone, as the Python
    buildpack does (`pip install -r requirements.txt`); built once per session."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the rehearsal deploys on PostgreSQL: set TEST_DATABASE_URL")
    base = tmp_path_factory.mktemp("deploy")
    slug = base / "app"
    slug.mkdir()
    for name in SLUG:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, slug / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, slug / name)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
        cwd=slug,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    dev_tool = subprocess.run([str(venv / "bin" / "python"), "-c", "import pytest"], capture_output=True)
    assert dev_tool.returncode != 0, "the runtime lock installed a dev tool"
    return Deployed(slug, venv / "bin")


@pytest.fixture
async def heroku_database_url() -> AsyncIterator[str]:
    """A scratch database on the CI's PostgreSQL, as Heroku writes its URL (`postgres://`)."""
    base = os.environ["TEST_DATABASE_URL"]
    name = f"t_deploy_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield "postgres://" + base.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def procfile(slug: Path) -> dict[str, str]:
    lines = (slug / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


async def run_process(
    deployed: Deployed, command: str, env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    """A Procfile line as the PaaS runs it: by bash, in the app's directory, in its own group."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            "bash", "-c", command, cwd=deployed.slug, env=env, stdout=out, stderr=out, start_new_session=True
        )


@dataclass
class Outcome:
    msgid: str
    status: int | None
    """None: no answer (connection refused or closed)."""
    after_sigterm: bool


async def report_stream(url: str, stream: int, sigterm: asyncio.Event, outcomes: list[Outcome]) -> None:
    """Reports one after another on a keep-alive connection, until one is not answered 200
    after SIGTERM (or 5,000 were sent)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for i in range(5000):
            msgid = f"rehearsal-{stream}-{i}"
            query = {"command": "RT_REQUEST", "msgid": msgid, "da": "8613910825657"}
            query["rsm"] = f"{msgid}|0|DELIVRD||"
            after = sigterm.is_set()
            try:
                async with http.get(url, params=query) as answer:
                    await answer.read()
                    status: int | None = answer.status
            except aiohttp.ClientConnectionError:
                status = None
            outcomes.append(Outcome(msgid, status, after))
            if status != 200 and sigterm.is_set():
                return


async def refused_while_running(url: str, process: asyncio.subprocess.Process) -> bool:
    """Poll new connections until one is refused; whether the process was still running then.
    A poll left unanswered (a connection taken just as the listener closed, on a loaded machine)
    is no refusal: the next one asks again, for as long as a PaaS lets a stopping dyno run."""
    deadline = asyncio.get_running_loop().time() + 30
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with http.get(url + "/healthz") as answer:
                    await answer.read()
            except aiohttp.ClientConnectionError:
                return process.returncode is None
            except TimeoutError:
                continue
            await asyncio.sleep(0.01)
    return False


async def test_a_deploy_from_the_lock_serves_then_stops_cleanly(
    deployed: Deployed, heroku_database_url: str, serve: Serve, tmp_path: Path
) -> None:
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_app = create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD}, report_delay=3600))
    sandbox = sandbox_app[SANDBOX_STATE]
    port = free_port()
    env = {
        "PATH": f"{deployed.bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "DATABASE_URL": heroku_database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url(),
        "SANTO_BASE_URL": await serve(sandbox_app),
        "SANTO_CPID": CPID,
        "SANTO_CPPWD": PASSWORD,
        "SANTO_REPORT_TOKEN": REPORT_TOKEN,
    }
    processes, log = procfile(deployed.slug), tmp_path / "dyno.log"

    release = await run_process(deployed, processes["release"], env, log)
    assert await release.wait() == 0, log.read_text()[-3000:]
    web = await run_process(deployed, processes["web"], env, log)
    url = f"http://127.0.0.1:{port}"
    slack = SlackRequests(url, SIGNING_SECRET, standin)
    try:
        await wait_until_serving(url, web, within=20)
        async with aiohttp.ClientSession() as http, http.get(url + "/readyz") as ready:
            assert ready.status == 200, await ready.text()
        assert (await slack.command("balance"))[0] == 200
        await standin.wait_for(lambda: bool(standin.responses), what="the balance")
        assert "¥100.00" in standin.responses[0].text

        assert (await slack.command("price CN"))[0] == 200  # cached: the send's slow call is its submit
        await standin.wait_for(lambda: len(standin.responses) == 2, what="the price")
        sandbox.config.latency = 3.0  # the send below is still waiting on the platform at SIGTERM
        assert (await slack.command("send 8613910825657 hello"))[0] == 200
        await standin.wait_for(
            lambda: bool(standin.calls_to("chat.postMessage")), timeout=10, what="the send's message"
        )
        sigterm, outcomes = asyncio.Event(), list[Outcome]()
        streams = [
            asyncio.create_task(report_stream(f"{url}/santo/reports/{REPORT_TOKEN}", n, sigterm, outcomes))
            for n in range(STREAMS)
        ]
        await standin.wait_for(lambda: sum(o.status == 200 for o in outcomes) >= 20, what="reports stored")
        os.killpg(web.pid, signal.SIGTERM)  # as the PaaS does: every process of the dyno
        sigterm.set()
        assert await refused_while_running(url, web), "the listener was still open when the process exited"
        assert await asyncio.wait_for(web.wait(), timeout=STOP_WITHIN) == 0, log.read_text()[-3000:]
        await asyncio.gather(*streams)
    finally:
        await slack.close()
        if web.returncode is None:
            web.kill()
            await web.wait()

    answered = {o.msgid for o in outcomes if o.status == 200}
    refused = [o for o in outcomes if o.status != 200]
    assert all(o.after_sigterm for o in refused), refused[:5]  # none before the shutdown
    assert {o.status for o in refused} <= {None, 503}  # nothing the platform would not send again
    assert len(refused) == STREAMS  # each stream saw the stop
    database = await asyncpg.connect(heroku_database_url.replace("postgres://", "postgresql://", 1))
    try:
        stored = {row["msgid"] for row in await database.fetch("SELECT msgid FROM reports")}
        [send] = await database.fetch("SELECT state FROM sends")
        [number] = await database.fetch("SELECT status, msgid FROM recipients")
    finally:
        await database.close()
    assert answered <= stored, f"{len(answered - stored)} reports answered 200 were not stored"
    assert (send["state"], number["status"]) == ("accepted", "pending")  # the send in flight finished
    assert [number["msgid"]] == list(sandbox.messages)
    message = standin.last_message(CHANNEL)  # and its message shows it, from the last pass
    assert message is not None and "Accepted" in blocks_text(message.blocks)
