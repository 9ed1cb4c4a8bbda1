"""What the app posted, as terminal text: pure functions from the Slack stand-in's records.

Block Kit becomes indented plain lines: sections (text and fields), headers, context, dividers,
images, rich text and input labels; buttons get numbers (`[1 Send] [2 Cancel]`) so they can be
pressed with `click N`. mrkdwn is shown plainly: `*bold*`, `_italic_`, `~strike~` and `` `code` ``
lose their markers, `&lt;` `&gt;` `&amp;` are unescaped, `<@U…>` / `<#C…>` become `@name` /
`#name`, links `<url|label>` become `label (url)` (`标签（url）` after a Chinese label), a leading
`&gt; ` quote becomes `│ `.
What the console adds around them (who posted where, "(updated)", "(optional)") is Slack's client
speaking: it comes from the `console` catalogue in the reader's language (`t`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.dev.slack_standin import Ephemeral, Message, ResponsePost, SlackStandIn, ViewRecord
from bot.i18n import Texts

INDENT = "  "
REPLY_INDENT = "      "
DIVIDER = "─" * 40
PARENT_SUMMARY_MAX = 60

EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "x": "❌",
    "warning": "⚠️",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "information_source": "ℹ️",
    "tada": "🎉",
    "rotating_light": "🚨",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "alarm_clock": "⏰",
    "mag": "🔍",
    "moneybag": "💰",
    "phone": "📞",
    "iphone": "📱",
    "email": "📧",
    "speech_balloon": "💬",
}


@dataclass(frozen=True)
class Names:
    """Who and what ids stand for: user id → (handle, display name), channel id → name."""

    users: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, standin: SlackStandIn) -> Names:
        users = {
            uid: (str(u.get("name") or uid), str(u.get("real_name") or u.get("name") or uid))
            for uid, u in standin.users.items()
        }
        return cls(users=users, channels=dict(standin.channel_names))

    def handle(self, user_id: str) -> str:
        return self.users.get(user_id, (user_id, user_id))[0]

    def display(self, user_id: str) -> str:
        return self.users.get(user_id, (user_id, user_id))[1]

    def channel(self, channel_id: str | None) -> str:
        if not channel_id:
            return "?"
        return self.channels.get(channel_id, channel_id)


@dataclass(frozen=True)
class Button:
    """A button as shown, with what pressing it sends."""

    number: int
    label: str
    action_id: str
    value: str


@dataclass(frozen=True)
class Rendered:
    lines: list[str]
    buttons: list[Button] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# --------------------------------------------------------------------------- mrkdwn


_TOKEN = re.compile(
    r"```\n?(?P<block>.+?)\n?```"
    r"|`(?P<code>[^`\n]+)`"
    r"|<(?P<angle>[^<>\n]+)>"
    r"|(?<![\w*])\*(?P<bold>[^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^_\s](?:[^_\n]*[^_\s])?)_(?![\w_])"
    r"|(?<![\w~])~(?P<strike>[^~\s](?:[^~\n]*[^~\s])?)~(?![\w~])",
    re.DOTALL,
)
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_QUOTE = re.compile(r"^&gt;(?: |$)", re.MULTILINE)
_FULL_WIDTH = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")


def unescape(text: str) -> str:
    """Slack's three escapes, and nothing else."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _link(label: str, url: str) -> str:
    """A link as `label (url)`; after a Chinese label, in full-width brackets: `标签（url）`."""
    if _FULL_WIDTH.search(label):
        return f"{label}（{url}）"
    return f"{label} ({url})"


def _angle(inner: str, names: Names) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or names.handle(target[1:]))
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or names.channel(target[1:]))
    if target.startswith("!"):
        word = target[1:].split("^", 1)[0]
        if label:
            return label
        return "@" + word
    target = unescape(target)
    if label and label != target:
        return _link(label, target.removeprefix("mailto:"))
    return target.removeprefix("mailto:")


def _inline(text: str, names: Names) -> str:
    out: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        out.append(unescape(emoji(text[at : match.start()])))
        at = match.end()
        kind = match.lastgroup
        inner = match.group(kind or 0)
        if kind in ("block", "code"):
            out.append(unescape(inner))
        elif kind == "angle":
            out.append(_angle(inner, names))
        else:
            out.append(_inline(inner, names))
    out.append(unescape(emoji(text[at:])))
    return "".join(out)


def mrkdwn(text: str, names: Names | None = None) -> str:
    """Slack mrkdwn as plain terminal text."""
    quoted = _QUOTE.sub("│ ", text)
    return _inline(quoted, names or Names())


def text_of(obj: Any, names: Names) -> str:
    """A text object (`plain_text` or `mrkdwn`), or a bare string, as plain text."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    text = obj.get("text")
    if not isinstance(text, str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(text, names)
    return emoji(text) if obj.get("emoji", True) else text


# --------------------------------------------------------------------------- blocks


class _Numbering:
    def __init__(self, first: int) -> None:
        self.next = first
        self.buttons: list[Button] = []

    def button(self, t: Texts, element: dict[str, Any], names: Names) -> str:
        label = text_of(element.get("text"), names) or t("console.element.button")
        button = Button(self.next, label, str(element.get("action_id", "")), str(element.get("value", "")))
        self.buttons.append(button)
        self.next += 1
        return f"[{button.number} {label}]"


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = element.get("options")
    if not isinstance(options, list):
        options = [o for group in element.get("option_groups") or [] for o in group.get("options") or []]
    return [o for o in options if isinstance(o, dict)]


def _element(t: Texts, element: Any, names: Names, numbering: _Numbering | None) -> str:
    """An interactive or context element, on one line."""
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind in ("plain_text", "mrkdwn"):
        return text_of(element, names)
    if kind == "image":
        return t("console.element.image", alt=element.get("alt_text", ""))
    if kind == "button":
        if numbering is None:
            return f"[{text_of(element.get('text'), names)}]"
        return numbering.button(t, element, names)
    if kind in ("static_select", "radio_buttons", "checkboxes", "overflow", "multi_static_select"):
        chosen = element.get("initial_option")
        shown = text_of(chosen.get("text"), names) if isinstance(chosen, dict) else ""
        choices = " / ".join(text_of(o.get("text"), names) for o in _options(element))
        shown = shown or text_of(element.get("placeholder"), names) or t("console.element.choose")
        return f"[{shown} ▾ {choices}]"
    placeholder = text_of(element.get("placeholder"), names)
    return f"[{placeholder or str(kind).replace('_', ' ')}]"


def _rich_text(element: Any, names: Names) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "link":
        url = str(element.get("url", ""))
        label = element.get("text")
        return _link(str(label), url) if label else url
    if kind == "user":
        return "@" + names.handle(str(element.get("user_id", "")))
    if kind == "channel":
        return "#" + names.channel(str(element.get("channel_id", "")))
    if kind == "emoji":
        return emoji(f":{element.get('name', '')}:")
    if kind == "broadcast":
        return "@" + str(element.get("range", "here"))
    inner = "".join(_rich_text(e, names) for e in element.get("elements") or [])
    if kind == "rich_text_list":
        return "\n".join(f"• {_rich_text(e, names)}" for e in element.get("elements") or [])
    if kind == "rich_text_quote":
        return "\n".join(f"│ {line}" for line in inner.splitlines())
    return inner


def mark(t: Texts, *marks: str | None) -> str:
    """Remarks after a heading or label, e.g. ` (only visible to you) (updated)`: `marks` are keys
    of `console.marks`; None is left out."""
    return "".join(t("console.mark", what=t(f"console.marks.{m}")) for m in marks if m)


def optional_mark(t: Texts, label: str, optional: bool) -> str:
    """` (optional)` after an optional input's label, unless the label says so already."""
    said = t("console.marks.optional").lower() in label.lower()
    return mark(t, "optional") if optional and not said else ""


def _input_line(t: Texts, block: dict[str, Any], names: Names) -> str:
    label = text_of(block.get("label"), names)
    element = block.get("element") if isinstance(block.get("element"), dict) else {}
    assert isinstance(element, dict)
    initial = element.get("initial_value") or ""
    if isinstance(element.get("initial_option"), dict):
        initial = text_of(element["initial_option"].get("text"), names)
    shown = f"[{initial}]" if initial else "____"
    optional = optional_mark(t, label, bool(block.get("optional")))
    return t("console.input.line", label=label, optional=optional, value=shown)


def render_blocks(
    t: Texts, blocks: Iterable[Any], names: Names, *, first_button: int = 1, number_buttons: bool = True
) -> Rendered:
    """Blocks → lines (not indented) and the numbered buttons they hold."""
    numbering = _Numbering(first_button)
    counted = numbering if number_buttons else None
    lines: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "section":
            text = text_of(block.get("text"), names)
            if text:
                lines += text.splitlines() or [""]
            for item in block.get("fields") or []:
                lines += text_of(item, names).splitlines()
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                shown = _element(t, accessory, names, counted)
                if lines and shown:
                    lines[-1] = f"{lines[-1]}  {shown}"
                elif shown:
                    lines.append(shown)
        elif kind == "header":
            lines.append(text_of(block.get("text"), names))
        elif kind == "divider":
            lines.append(DIVIDER)
        elif kind == "context":
            parts = [_element(t, e, names, None) for e in block.get("elements") or []]
            lines += " ".join(p for p in parts if p).splitlines()
        elif kind == "actions":
            parts = [_element(t, e, names, counted) for e in block.get("elements") or []]
            lines.append(" ".join(p for p in parts if p))
        elif kind == "image":
            lines.append(t("console.element.image", alt=block.get("alt_text", "")))
        elif kind == "rich_text":
            lines += _rich_text(block, names).splitlines()
        elif kind == "input":
            lines.append(_input_line(t, block, names))
        else:
            lines.append(t("console.element.block", kind=kind))
    return Rendered(lines, numbering.buttons)


def _body(t: Texts, text: str, blocks: list[dict[str, Any]], names: Names, first_button: int) -> Rendered:
    if blocks:
        return render_blocks(t, blocks, names, first_button=first_button)
    return Rendered(mrkdwn(text, names).splitlines() or [""])


def _indented(head: str, body: Rendered, indent: str) -> Rendered:
    return Rendered([head, *(f"{indent}{line}" if line else "" for line in body.lines)], body.buttons)


def summary(t: Texts, message: Message, names: Names) -> str:
    """A message's first line, shortened: how a thread's parent is named."""
    body = _body(t, message.text, message.blocks, names, 1)
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
    body = _body(t, message.text, message.blocks, names, first_button)
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


def view_title(t: Texts, view: ViewRecord | dict[str, Any], names: Names) -> str:
    payload = view.payload if isinstance(view, ViewRecord) else view
    if payload.get("type") == "home":
        return t("console.view.home")
    return text_of(payload.get("title"), names) or t("console.view.modal")


def render_view(
    t: Texts,
    view: ViewRecord | dict[str, Any],
    names: Names,
    *,
    updated: bool = False,
    errors: Mapping[str, str] | None = None,
) -> Rendered:
    """A modal: title, blocks (inputs as `Label: [current]`), errors, then its buttons."""
    payload = view.payload if isinstance(view, ViewRecord) else view
    blocks = payload.get("blocks") if isinstance(payload.get("blocks"), list) else []
    assert isinstance(blocks, list)
    body = render_blocks(t, blocks, names, number_buttons=False)
    head = f"┌─ {view_title(t, view, names)}{mark(t, 'updated' if updated else None)}"
    lines = [head, *(f"│ {line}".rstrip() for line in body.lines)]
    labels = {
        b.get("block_id"): text_of(b.get("label"), names)
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "input"
    }
    for block_id, error in (errors or {}).items():
        lines.append(f"│ {t('console.input.error', label=labels.get(block_id) or block_id, error=error)}")
    actions = [text_of(payload.get(name), names) for name in ("submit", "close")]
    shown = " ".join(f"[{a}]" for a in actions if a)
    lines.append(f"└─ {shown}" if shown else "└─")
    return Rendered(lines)


def render_home(t: Texts, view: ViewRecord, names: Names, *, first_button: int = 1) -> Rendered:
    """The app's Home tab, with numbered buttons (`click N` presses them)."""
    body = render_blocks(t, view.blocks, names, first_button=first_button)
    lines = [f"┌─ {t('console.view.home_tab')}", *(f"│ {line}".rstrip() for line in body.lines), "└─"]
    return Rendered(lines, body.buttons)
