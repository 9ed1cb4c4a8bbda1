"""The Send modal with a file: fetch it from Slack, read it, plan one message per row, review."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.campaign import MAX_FILE_BYTES, Campaign, FileProblem, parse_file, plan
from bot.santo.errors import SantoError
from bot.sending import SendRequest, estimate_for
from bot.services import Services
from handlers.blocks.campaign import build_file_confirmation_blocks

MAX_BAD_IN_ERROR = 3
DOWNLOAD_TIMEOUT = 30.0


def file_problem(file: dict[str, Any]) -> str | None:
    """What is wrong with the picked file, from what the submission says of it (no download)."""
    name = str(file.get("name") or "")
    kind = str(file.get("filetype") or "").lower()
    if kind not in ("csv", "xlsx") and not name.lower().endswith((".csv", ".xlsx")):
        return "Attach a CSV file (.csv) or an Excel workbook (.xlsx)."
    size = file.get("size")
    if isinstance(size, int) and size > MAX_FILE_BYTES:
        return f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
    return None


async def download(services: Services, file_id: str) -> tuple[str, bytes]:
    """The file's name and content: files.info, then its private URL with the bot token."""
    try:
        info = (await services.slack.files_info(file=file_id))["file"]
    except SlackApiError as exc:
        raise FileProblem(f"I can't read the file (Slack said `{exc.response.get('error')}`).") from None
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise FileProblem("I can't read the file: Slack gave no link to it.")
    if isinstance(info.get("size"), int) and info["size"] > MAX_FILE_BYTES:
        raise FileProblem(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    headers = {"Authorization": f"Bearer {services.slack.token}"}
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise FileProblem(f"I can't download the file (HTTP {response.status}). Attach it again.")
            content = b""
            async for chunk in response.content.iter_chunked(64 * 1024):
                content += chunk
                if len(content) > MAX_FILE_BYTES:
                    raise FileProblem(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    except (aiohttp.ClientError, TimeoutError):
        raise FileProblem("I can't download the file from Slack right now. Try again.") from None
    return str(info.get("name") or "file.csv"), content


async def load(services: Services, file_id: str, request: SendRequest) -> tuple[SendRequest, Campaign]:
    """The request with one message per valid row, and the plan (rows left out and why)."""
    name, content = await download(services, file_id)
    campaign = plan(parse_file(name, content), request.text)
    if not campaign.rows:
        shown = "; ".join(f"row {line}: {why}" for line, _raw, why in campaign.bad[:MAX_BAD_IN_ERROR])
        raise FileProblem(f"No row has a valid number. {shown}".strip())
    numbers = tuple(r.number for r in campaign.rows)
    texts = tuple(r.text for r in campaign.rows)
    invalid = tuple((f"row {line}: {raw}", why) for line, raw, why in campaign.bad)
    return (
        replace(
            request,
            numbers=numbers,
            text=request.text if campaign.personalised else texts[0],
            texts=texts if campaign.personalised else None,
            invalid=invalid,
            from_file=name,
        ),
        campaign,
    )


async def review_file(services: Services, request: SendRequest, campaign: Campaign) -> list[Block]:
    async def balance() -> Decimal | None:
        try:
            return (await services.santo.balance()).amount
        except SantoError:
            return None

    estimate, amount = await asyncio.gather(estimate_for(services, request), balance())
    return build_file_confirmation_blocks(request, campaign, estimate, amount)
