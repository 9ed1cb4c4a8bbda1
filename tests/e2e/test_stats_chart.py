"""The stats chart through the real app: drawn in a worker process from the seeded week, uploaded
privately to the Slack stand-in and shown by an image block that names the uploaded file, under
`/sms stats` and in the Home tab (drawn once a day there)."""

from __future__ import annotations

import asyncio
import io
import sys
from typing import Any

from PIL import Image

from bot.charts.draw import BAR_COLOUR, DPI, PALETTE, SIZE
from bot.dev.slack_standin import Upload
from tests.e2e.conftest import World
from tests.e2e.test_app_home import ADMIN as BOB
from tests.e2e.test_app_home import ALICE, WEI, open_home, published, publishes
from tests.e2e.test_stats import seeded

RGB = tuple[int, int, int]


def rgb(colour: str) -> RGB:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def image_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b.get("type") == "image"]


def shown_file(world: World, blocks: list[dict[str, Any]]) -> Upload:
    """The uploaded file the one image block in `blocks` shows: uploaded to the stand-in,
    privately (shared in no channel)."""
    [image] = image_blocks(blocks)
    assert set(image) >= {"slack_file", "alt_text", "title"} and "image_url" not in image
    [upload] = [u for u in world.standin.uploads if u.file_id == image["slack_file"]["id"]]
    assert upload.completed and upload.channels == [] and upload.filename.endswith(".png")
    return upload


def top_rows(png: bytes) -> dict[RGB, int]:
    """The decoded PNG: the topmost row of each colour drawn in it."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(SIZE[0] * DPI), int(SIZE[1] * DPI))
    pixels = image.convert("RGB")
    top: dict[RGB, int] = {}
    for n, colour in enumerate(pixels.get_flattened_data()):
        top.setdefault(colour, n // pixels.width)
    return top


async def test_stats_answer_shows_the_chart_of_the_seeded_week(world: World) -> None:
    await seeded(world)
    world.standin.file_processing = 0.6  # Slack processes an upload for a moment: the app waits
    answer = await world.command("stats 7d")
    assert "2 sends to 14 numbers" in answer.text
    assert answer.blocks[0]["type"] == "section" and "2 sends to 14 numbers" in answer.blocks[0]["text"]["text"]
    upload = shown_file(world, answer.blocks)
    assert upload.content is not None

    top = top_rows(upload.content)
    china, britain, states = (top.get(rgb(c)) for c in PALETTE[:3])
    assert china is not None and britain is not None and states is not None  # a line per country
    # the United Kingdom delivered 100%, China 60%, the United States 0%: highest point first
    assert britain < china < states
    assert rgb(PALETTE[3]) not in top and rgb(PALETTE[4]) not in top  # three countries, three lines
    assert rgb(BAR_COLOUR) in top  # failures by reason
    assert "matplotlib" not in sys.modules  # drawn in the worker process only


async def test_nothing_sent_means_no_chart(world: World) -> None:
    answer = await world.command("stats 30d")
    assert "Nothing was sent in this period." in answer.text
    assert image_blocks(answer.blocks) == [] and world.standin.uploads == []


async def test_home_tab_shows_the_week_and_its_chart_drawn_once_a_day(world: World) -> None:
    await seeded(world)
    first = await open_home(world)  # shown at once, without the chart
    assert "Sending in this workspace, last 7 days" in str(first.blocks)
    assert image_blocks(first.blocks) == []
    home = await published(world, ALICE, 1)  # then again with it, once drawn and uploaded
    upload = shown_file(world, home.blocks)
    assert rgb(PALETTE[0]) in top_rows(upload.content or b"")

    again = await open_home(world)  # the same day: the kept chart, nothing drawn again
    assert shown_file(world, again.blocks).file_id == upload.file_id
    assert len(world.standin.uploads) == 1
    await world.idle()
    assert len(publishes(world, ALICE)) == 3


async def test_home_tab_of_an_empty_workspace_has_no_chart(world: World) -> None:
    home = await open_home(world)
    assert "Nothing was sent in this period." in str(home.blocks)
    await world.idle()
    assert image_blocks(home.blocks) == [] and world.standin.uploads == []


async def test_many_opening_the_home_tab_at_once_get_one_chart(world: World) -> None:
    await seeded(world)
    users = [ALICE, BOB, WEI]
    answers = await asyncio.gather(*(world.slack.open_home(user) for user in users))
    assert all(status == 200 for status, _ in answers)
    homes = [await published(world, user, 1) for user in users]  # each published again, with the chart
    english = {shown_file(world, home.blocks).file_id for home in homes[:2]}
    chinese = shown_file(world, homes[2].blocks).file_id  # labels in another language: its own chart
    assert len(english) == 1 and chinese not in english
    assert len(world.standin.uploads) == 2
