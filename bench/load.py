"""The load `bench.reports` puts on a report route, and what it costs the server process.

The load generators run in a spawned process (`closed_loop`, `paced`) and the bare route in a
subprocess of its own (`bare_server`): they may not depend on the parent's state, and only the
standard library is imported at the top. The readings of a server process (CPU, memory, py-spy)
are taken from the parent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- load generators


def closed_loop(urls: list[str], warmup: list[str], concurrency: int) -> dict[str, Any]:
    return asyncio.run(_closed_loop(urls, warmup, concurrency))


async def _closed_loop(urls: list[str], warmup: list[str], concurrency: int) -> dict[str, Any]:
    """`concurrency` workers, each sending the next URL once its previous answer is in, over
    keep-alive connections of its own. A plain HTTP/1.1 client on asyncio's transports: the
    generator shares the machine with the servers it measures, and an aiohttp client spends
    about as much CPU on a request as the bare route does answering it."""
    statuses: Counter[int] = Counter()
    connections: list[_Connection] = []

    async def run(batch: list[str]) -> None:
        queue = iter([(_address(url), _request(url)) for url in batch])

        async def worker() -> None:
            mine: dict[tuple[str, int], _Connection] = {}
            for address, request in queue:
                connection = mine.get(address)
                try:
                    if connection is None or connection.closed:
                        connection = mine[address] = await _Connection.open(*address)
                        connections.append(connection)
                    statuses[await connection.exchange(request)] += 1
                except OSError:
                    statuses[0] += 1
                    mine.pop(address, None)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await run(warmup)
    statuses.clear()
    cpu = time.process_time()
    started = time.perf_counter()
    await run(urls)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    for connection in connections:
        connection.close()
    return {"elapsed": elapsed, "statuses": dict(statuses), "cpu": cpu}


def _address(url: str) -> tuple[str, int]:
    host, _, port = url.split("/", 3)[2].partition(":")
    return host, int(port or 80)


def _request(url: str) -> bytes:
    authority, path = url.split("/", 3)[2:]
    return f"GET /{path} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode()


class _Connection(asyncio.Protocol):
    """One keep-alive connection answering one request at a time: the status of each answer,
    its body read (by Content-Length) and dropped."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.answer: asyncio.Future[int] | None = None
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        _transport, connection = await asyncio.get_running_loop().create_connection(cls, host, port)
        return connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    async def exchange(self, request: bytes) -> int:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        field = head.find(b"\r\ncontent-length:")
        length = int(head[field + 17 :].split(b"\r\n", 1)[0]) if field >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length :]
        if b"connection: close" in head:
            self.close()
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc or ConnectionResetError("connection closed"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def paced(urls: list[str], spread: float) -> dict[str, Any]:
    return asyncio.run(_paced(urls, spread))


async def _paced(urls: list[str], spread: float) -> dict[str, Any]:
    import aiohttp
    from yarl import URL

    results: list[tuple[int, float]] = [(0, 0.0)] * len(urls)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one(i: int, url: str) -> None:
            try:
                async with http.get(URL(url, encoded=True)) as response:
                    await response.read()
                    results[i] = (response.status, time.time())
            except (aiohttp.ClientError, OSError):
                results[i] = (0, time.time())

        tasks = []
        started_wall = time.time()
        base = time.perf_counter()
        for i, url in enumerate(urls):
            delay = base + i * spread / len(urls) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, url)))
        await asyncio.gather(*tasks)
    return {"started": started_wall, "results": results}


# --------------------------------------------------------------------------- the bare route


def bare_server(port: int, token: str) -> None:
    """Same URL and answer as the real route, no storage, no app around it."""
    from aiohttp import web

    from bot.santo.reports import ReportError, parse_report
    from bot.webserver import running

    async def report(request: web.Request) -> web.Response:
        if request.match_info["token"] != token:
            raise web.HTTPNotFound()
        try:
            parsed = parse_report(request.query)
        except ReportError as exc:
            return web.Response(status=400, text=f"malformed report: {exc}")
        return web.Response(text=f"command=RT_RESPONSE&msgid={parsed.msgid}&rtstat=ACCEPTD&rterrcode=000")

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/santo/reports/{token}", report)
        app.router.add_get("/healthz", healthz)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with running(app, port=port):
            await stop.wait()

    asyncio.run(serve())


# --------------------------------------------------------------------------- the server process


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int, key: str) -> int:
    """A `kB` value from /proc/<pid>/status, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


@asynccontextmanager
async def sampled(pid: int, out: str | None) -> AsyncIterator[None]:
    """py-spy on `pid` for the duration of the block (when `out` is given)."""
    if out is None:
        yield
        return
    exe = Path(sys.executable).parent / "py-spy"
    argv = [str(exe) if exe.exists() else "py-spy", "record", "--pid", str(pid), "--output", out]
    argv += ["--format", "raw", "--threads", "--gil", "--rate", "250"]
    proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    await asyncio.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = await proc.communicate()
        print(f"py-spy: {err.decode(errors='replace').strip().splitlines()[-1:]}", file=sys.stderr)
