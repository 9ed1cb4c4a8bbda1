"""The Block Kit and view rules Slack enforces that an app is most likely to break, with
Slack's own problem strings (`[ERROR] ... [json-pointer:...]`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

FileCheck = Callable[[str], bool]
"""Whether a file id names a file this workspace's app may show (uploaded and processed)."""

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
VIEW_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
IMAGE_TEXT_MAX = 2000
FILE_ID = re.compile(r"^[F][A-Z0-9]{8,}$")


def _text_problems(obj: Any, limit: int, pointer: str, *, plain_only: bool = False) -> list[str]:
    """A text object's problems: its type, and text of 1 to `limit` characters."""
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"[ERROR] must be a text object (plain_text or mrkdwn) [json-pointer:{pointer}]"]
    if plain_only and obj.get("type") != "plain_text":
        return [f"[ERROR] must be a plain_text object [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _elements_problems(block: dict[str, Any], limit: int, pointer: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"[ERROR] must provide at least 1 item [json-pointer:{pointer}/elements]"]
    if len(elements) > limit:
        return [f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}/elements]"]
    return []


def _image_problems(block: dict[str, Any], where: str, files: FileCheck | None) -> list[str]:
    """An image block: alt text, and a public URL or a file uploaded to this workspace (Slack
    refuses a `slack_file` it cannot show: unknown, another workspace's, not processed yet)."""
    alt = block.get("alt_text")
    problems: list[str] = []
    if not isinstance(alt, str) or not alt or len(alt) > IMAGE_TEXT_MAX:
        problems.append(f"[ERROR] must be 1 to {IMAGE_TEXT_MAX} characters [json-pointer:{where}/alt_text]")
    if block.get("title") is not None:
        problems += _text_problems(block["title"], IMAGE_TEXT_MAX, f"{where}/title", plain_only=True)
    url, slack_file = block.get("image_url"), block.get("slack_file")
    if (url is None) == (slack_file is None):
        return [*problems, f"[ERROR] must provide either image_url or slack_file [json-pointer:{where}]"]
    if slack_file is None:
        return problems
    file_id = slack_file.get("id") if isinstance(slack_file, dict) else None
    if not isinstance(file_id, str):
        return [*problems, f"[ERROR] invalid slack file [json-pointer:{where}/slack_file]"]
    if not FILE_ID.match(file_id):
        pattern = f"input must match regex pattern: {FILE_ID.pattern}"
        return [*problems, f"[ERROR] {pattern} [json-pointer:{where}/slack_file/id]"]
    if files is not None and not files(file_id):
        problems.append(f"[ERROR] invalid slack file [json-pointer:{where}/slack_file]")
    return problems


def block_problems(
    blocks: Any, limit: int, pointer: str = "/blocks", files: FileCheck | None = None
) -> list[str]:
    """The Block Kit rules Slack enforces that an app is most likely to break. `files` tells
    which uploaded files image blocks may show (None: any well-formed file id)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > 255:
                problems.append(f"[ERROR] invalid block_id [json-pointer:{where}/block_id]")
            elif block_id in seen:
                problems.append(
                    f"[ERROR] {block_id} is not a unique block_id [json-pointer:{where}/block_id]"
                )
            else:
                seen.add(block_id)
        kind = block["type"]
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                problems.append(f"[ERROR] must provide either text or fields [json-pointer:{where}]")
            if text is not None:
                problems += _text_problems(text, SECTION_TEXT_MAX, f"{where}/text")
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > SECTION_FIELDS_MAX:
                    problems.append(
                        f"[ERROR] no more than {SECTION_FIELDS_MAX} items allowed "
                        f"[json-pointer:{where}/fields]"
                    )
                else:
                    for n, item in enumerate(fields):
                        problems += _text_problems(item, FIELD_TEXT_MAX, f"{where}/fields/{n}")
        elif kind == "header":
            problems += _text_problems(block.get("text"), HEADER_TEXT_MAX, f"{where}/text", plain_only=True)
        elif kind == "context":
            problems += _elements_problems(block, 10, where)
        elif kind == "actions":
            problems += _elements_problems(block, 25, where)
        elif kind == "image":
            problems += _image_problems(block, where, files)
        elif kind == "input":
            problems += _text_problems(block.get("label"), 2000, f"{where}/label", plain_only=True)
            element = block.get("element")
            if not isinstance(element, dict) or not isinstance(element.get("type"), str):
                problems.append(f"[ERROR] missing required field: element [json-pointer:{where}]")
            elif element["type"] == "plain_text_input":
                max_length = element.get("max_length")
                if isinstance(max_length, int) and max_length > 3000:
                    problems.append(
                        f"[ERROR] must be less than 3001 [json-pointer:{where}/element/max_length]"
                    )
    return problems


def view_problems(view: Any, kinds: tuple[str, ...], files: FileCheck | None = None) -> list[str]:
    """A view's problems: its type among `kinds`, its blocks, a modal's title and buttons."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    kind = view.get("type")
    if kind not in kinds:
        return [f"[ERROR] type must be one of {', '.join(kinds)} [json-pointer:/view/type]"]
    problems: list[str] = []
    blocks = view.get("blocks")
    if blocks is None:
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    else:
        problems += block_problems(blocks, VIEW_BLOCKS_MAX, "/view/blocks", files)
    if kind == "modal":
        if view.get("title") is None:
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        for name in ("title", "submit", "close"):
            if view.get(name) is not None:
                problems += _text_problems(view[name], VIEW_TITLE_MAX, f"/view/{name}", plain_only=True)
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            problems.append(
                "[ERROR] must provide a submit property when an input block is present [json-pointer:/view]"
            )
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > PRIVATE_METADATA_MAX:
        problems.append(
            f"[ERROR] must be less than {PRIVATE_METADATA_MAX + 1} characters "
            "[json-pointer:/view/private_metadata]"
        )
    for name in ("callback_id", "external_id"):
        value = view.get(name)
        if isinstance(value, str) and len(value) > 255:
            problems.append(f"[ERROR] must be less than 256 characters [json-pointer:/view/{name}]")
    return problems

