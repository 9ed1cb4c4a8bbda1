"""The report writer's database work alone: CPU and wall time per batch. Prints figures; not a test.

    .venv/bin/python -m bench.report_batches [--database-url URL] [--sizes 10,25,60]

`bench.reports` measures the whole route, where HTTP and a shared machine's noise hide how much
the storing itself costs. This one calls `store_callbacks` directly, one batch after another, on
a scratch database (SQLite in a temporary folder by default) holding ten 1,000-number sends, and
prints for each batch size this process's CPU time (what the web process spends per batch) and
the wall time per batch (CPU plus the waits on the database: its round trips and the commit's
flush to disk). Every report is new and moves its number, as in a burst of delivery reports.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.serve import scratch_database

SENDS, NUMBERS, MSGID_SIZE = 10, 1000, 100
WARMUP = 300


async def main(database_url: str | None, sizes: list[int]) -> None:
    from bot.dev.stored_sends import accept, store_sms
    from bot.santo.reports import StatusReport
    from bot.settings import load_settings
    from bot.store.callbacks import Callback
    from bot.store.db import Database, now
    from bot.store.reports import store_callbacks

    with tempfile.TemporaryDirectory() as folder:
        async with scratch_database(database_url, Path(folder)) as url:
            db = Database(load_settings(database_url=url).sqlalchemy_url)
            await db.migrate()
            pairs: list[tuple[str, str]] = []
            for s in range(SENDS):
                numbers = tuple(f"86138{s:02d}{i:06d}" for i in range(NUMBERS))
                send_id = await store_sms(db, numbers, "1700000000.000100")
                for start in range(0, NUMBERS, MSGID_SIZE):
                    msgid = f"bench{s:02d}{start:04d}"
                    await accept(db, send_id, msgid, numbers[start : start + MSGID_SIZE])
                    pairs += [(msgid, number) for number in numbers[start : start + MSGID_SIZE]]

            def report(msgid: str, number: str) -> Callback:
                content = f"{msgid}|0|DELIVRD||"
                parsed = StatusReport(msgid=msgid, number=number, value="0", code="DELIVRD", content=content)
                return Callback(
                    raw=f"command=RT_REQUEST&msgid={msgid}&da={number}&rsm={content}", reports=(parsed,)
                )

            callbacks = [report(msgid, number) for msgid, number in pairs]
            per_size = (len(callbacks) - WARMUP) // len(sizes)
            database = "PostgreSQL" if database_url else "SQLite"
            print(f"database {database}; {per_size} new reports per batch size")
            offset = 0
            for size in sizes:
                for start in range(offset, offset + WARMUP // len(sizes), size):
                    await store_callbacks(db, callbacks[start : start + size], now())
                offset += WARMUP // len(sizes)
                batches = range(offset, offset + per_size - per_size % size, size)
                cpu, wall = time.process_time(), time.perf_counter()
                for start in batches:
                    await store_callbacks(db, callbacks[start : start + size], now())
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                offset += per_size
                n = len(batches)
                print(
                    f"  batches of {size:3d}: CPU {cpu / n * 1e3:5.2f} ms a batch, "
                    f"{cpu / (n * size) * 1e6:6.1f} µs a report; wall {wall / n * 1e3:5.2f} ms a batch"
                )
            await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None, help="postgresql://… (a scratch database is made)")
    parser.add_argument("--sizes", default="10,25,60", help="batch sizes, comma-separated")
    args = parser.parse_args()
    asyncio.run(main(args.database_url, [int(size) for size in args.sizes.split(",")]))
