"""The pieces every form modal is made of: the modal itself and a text area."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from bot.domain.mrkdwn import cut
from bot.i18n import Texts

TITLE_LIMIT = 24
"""Slack's limit for a modal's title."""


def form_modal(t: Texts, texts: str, callback_id: str, blocks: Sequence[Block], **view: Any) -> View:
    """A modal whose title, submit and close words are the `texts.title`, `.submit`, `.close` texts."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=cut(t(f"{texts}.title"), TITLE_LIMIT),
        submit=t(f"{texts}.submit"),
        close=t(f"{texts}.close"),
        blocks=list(blocks),
        **view,
    )


def text_area(block_id: str, action_id: str, label: str, initial: str = "", **block: Any) -> InputBlock:
    """A multi-line text field of up to 3,000 characters (Slack's limit), with what was typed."""
    element = {key: block.pop(key) for key in ("placeholder",) if key in block}
    return InputBlock(
        block_id=block_id,
        label=label,
        element=PlainTextInputElement(
            action_id=action_id, multiline=True, initial_value=initial or None, max_length=3000, **element
        ),
        **block,
    )
