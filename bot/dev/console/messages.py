"""What the app posted to a channel or to the user alone, as terminal text: pure functions from
the Slack stand-in's records (`Message`, `Ephemeral`, `ResponsePost`).

Each is a heading (who posted where, with remarks such as "(updated)", from the `console`
catalogue in the reader's language `t`) over its indented body; a thread reply is indented under
a short summary of its parent.
"""

from __future__ import annotations

from typing import Any

from bot.dev.console.blocks import Rendered, mark, render_blocks
from bot.dev.console.mrkdwn import Names, mrkdwn
from bot.dev.slack_standin import Ephemeral, Message, ResponsePost
from bot.i18n import Texts

INDENT = "  "
REPLY_INDENT = "      "
PARENT_SUMMARY_MAX = 60


def _body(
    t: Texts,
    text: str,
    blocks: list[dict[str, Any]],
    names: Names,
    first_button: int,
    files: list[dict[str, Any]] | None = None,
) -> Rendered:
    if blocks:
        body = render_blocks(t, blocks, names, first_button=first_button)
    else:
        body = Rendered(mrkdwn(text, names).splitlines() if text or not files else [])
    if files:
        body = Rendered([*body.lines, *(file_line(t, f, names) for f in files)], body.buttons)
    return body if body.lines else Rendered([""], body.buttons)


def file_line(t: Texts, shared: dict[str, Any], names: Names) -> str:
    """A file shared in a message: its name, and where the console saved it."""
    name = str(shared.get("name") or shared.get("title") or shared.get("id") or "")
    path = names.files.get(str(shared.get("id")))
    return t("console.file.saved", name=name, path=path) if path else t("console.file.shared", name=name)


def _indented(head: str, body: Rendered, indent: str) -> Rendered:
    return Rendered([head, *(f"{indent}{line}" if line else "" for line in body.lines)], body.buttons)


def summary(t: Texts, message: Message, names: Names) -> str:
    """A message's first line, shortened: how a thread's parent is named."""
    body = _body(t, message.text, message.blocks, names, 1, message.files)
    first = next((line.strip() for line in body.lines if line.strip()), "")
    if len(first) > PARENT_SUMMARY_MAX:
        first = first[: PARENT_SUMMARY_MAX - 1].rstrip() + "…"
    return first


def render_message(
    t: Texts,
    message: Message,
    names: Names,
    *,
    updated: bool = False,
    parent: Message | None = None,
    first_button: int = 1,
) -> Rendered:
    """A channel message; a thread reply (with its `parent`) is indented under it."""
    author = names.display(message.user)
    channel = names.channel(message.channel)
    if message.deleted:
        head = t("console.head.channel", author=author, channel=channel, marks="")
        return Rendered([t("console.head.deleted", head=head)])
    body = _body(t, message.text, message.blocks, names, first_button, message.files)
    marks = mark(t, "updated" if updated else None)
    if message.is_reply:
        if parent is not None:
            head = t("console.head.thread", author=author, parent=summary(t, parent, names), marks=marks)
        else:
            head = t("console.head.thread_unknown", author=author, marks=marks)
        return _indented(f"{INDENT}└ {head}", body, REPLY_INDENT)
    return _indented(t("console.head.channel", author=author, channel=channel, marks=marks), body, INDENT)


def _ephemeral_head(t: Texts, names: Names, author: str | None, channel: str | None, marks: str) -> str:
    who = names.display(author) if author else "Santo"
    if channel:
        return t("console.head.channel", author=who, channel=names.channel(channel), marks=marks)
    return t("console.head.alone", author=who, marks=marks)


def render_ephemeral(
    t: Texts,
    text: str,
    blocks: list[dict[str, Any]],
    names: Names,
    *,
    channel: str | None = None,
    author: str | None = None,
    updated: bool = False,
    first_button: int = 1,
) -> Rendered:
    """An answer only the user sees (chat.postEphemeral, a response_url post)."""
    head = _ephemeral_head(t, names, author, channel, mark(t, "ephemeral", "updated" if updated else None))
    return _indented(head, _body(t, text, blocks, names, first_button), INDENT)


def render_ephemeral_record(
    t: Texts, record: Ephemeral, names: Names, *, author: str | None = None, first_button: int = 1
) -> Rendered:
    return render_ephemeral(
        t,
        record.text,
        record.blocks,
        names,
        channel=record.channel,
        author=author,
        first_button=first_button,
    )


def render_response(
    t: Texts,
    post: ResponsePost,
    names: Names,
    *,
    author: str | None = None,
    updated: bool | None = None,
    first_button: int = 1,
) -> Rendered:
    """An ephemeral response_url post (`in_channel` ones are stored as messages). It shows as
    updated when it replaces the message it answers (default: when it says `replace_original`)."""
    if post.delete_original:
        head = _ephemeral_head(t, names, author, None, mark(t, "ephemeral"))
        return Rendered([t("console.head.deleted", head=head)])
    return render_ephemeral(
        t,
        post.text,
        post.blocks,
        names,
        channel=post.channel,
        author=author,
        updated=post.replace_original if updated is None else updated,
        first_button=first_button,
    )
