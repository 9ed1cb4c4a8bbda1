"""A file picked in the Send modal: checked, fetched from Slack, read, one message planned per row."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.domain.numbers import in_every_language
from bot.domain.send_request import SendRequest
from bot.domain.spreadsheet import (
    MAX_FILE_BYTES,
    FileProblem,
    FileSendPlan,
    Planner,
    Sheet,
    read_file,
    too_large,
)
from bot.i18n import TEXTS, Language, Msg
from bot.services import Services

MAX_BAD_IN_ERROR = 3
DOWNLOAD_TIMEOUT = 30.0
ROWS_PER_TURN = 256
"""Rows planned between two turns of the event loop (about 10 ms of work)."""


def file_problem(file: dict[str, Any]) -> Msg | None:
    """What is wrong with the picked file, from what the submission says of it (no download)."""
    name = str(file.get("name") or "")
    kind = str(file.get("filetype") or "").lower()
    if kind not in ("csv", "xlsx") and not name.lower().endswith((".csv", ".xlsx")):
        return Msg.of("file_send.problem.wrong_type")
    size = file.get("size")
    if isinstance(size, int) and size > MAX_FILE_BYTES:
        return too_large().message
    return None


async def download(services: Services, file_id: str) -> tuple[str, bytes]:
    """The file's name and content: files.info, then its private URL with the bot token."""
    try:
        info = (await services.slack.files_info(file=file_id))["file"]
    except SlackApiError as exc:
        raise FileProblem(
            Msg.of("file_send.problem.slack_error", error=str(exc.response.get("error")))
        ) from None
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise FileProblem(Msg.of("file_send.problem.no_link"))
    if isinstance(info.get("size"), int) and info["size"] > MAX_FILE_BYTES:
        raise too_large()
    headers = {"Authorization": f"Bearer {services.slack.token}"}
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise FileProblem(Msg.of("file_send.problem.http", status=response.status))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise too_large()
    except (aiohttp.ClientError, TimeoutError):
        raise FileProblem(Msg.of("file_send.problem.download")) from None
    return str(info.get("name") or "file.csv"), b"".join(chunks)


async def load_file(
    services: Services, file_id: str, request: SendRequest
) -> tuple[SendRequest, FileSendPlan]:
    """The request with one message per valid row, and the plan (rows left out and why)."""
    most = services.settings.sms_max_file_rows
    name, content = await download(services, file_id)
    plan = await plan_file(read_file(name, content, most), request.text, most)
    if not plan.numbers:
        raise FileProblem(Msg.of("file_send.problem.no_valid_row", shown=bad_rows(plan)))
    return replace(request, numbers=plan.numbers, text=plan.text, texts=plan.texts, from_file=name), plan


async def plan_file(sheet: Sheet, template: str, max_rows: int) -> FileSendPlan:
    """Plan the file's rows, letting other work run every ROWS_PER_TURN rows: checking a number
    takes tens of microseconds, and 100,000 rows would otherwise hold the event loop for seconds
    (acks to Slack, report callbacks)."""
    planner = Planner(sheet, template, max_rows)
    for count, (line, cells) in enumerate(sheet.rows, start=1):
        planner.add(line, cells)
        if count % ROWS_PER_TURN == 0:
            await asyncio.sleep(0)
    return planner.plan()


def bad_rows(plan: FileSendPlan) -> dict[str, str]:
    """`row 3: not a phone number; row 4: …`, the first few, in every language (a `Msg` value)."""

    def listed(language: Language) -> str:
        t = TEXTS[language]
        rows = plan.bad[:MAX_BAD_IN_ERROR]
        return t("file_send.problem.separator").join(
            t("file_send.problem.bad_row", line=line, why=why) for line, _raw, why in rows
        )

    return in_every_language(listed)
