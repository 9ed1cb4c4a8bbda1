"""A server in its own process, as the tests and benches see it: a free loopback port to give
it, and the wait until it answers /healthz."""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp


class NotServing(Exception):
    """The process exited, or did not answer /healthz in time."""


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_serving(url: str, process: asyncio.subprocess.Process, within: float = 10.0) -> None:
    """Poll `url`/healthz until it answers 200; NotServing if `process` exits first or `within`
    seconds pass."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            if process.returncode is not None:
                raise NotServing(f"exited with {process.returncode}")
            try:
                async with http.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise NotServing(f"no answer from {url}/healthz within {within:g} s")
            await asyncio.sleep(0.05)
