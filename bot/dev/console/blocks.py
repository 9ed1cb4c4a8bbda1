"""Block Kit blocks as terminal lines: pure functions from a message's or view's `blocks`.

Sections (text and fields), headers, context, dividers, images, rich text and input labels become
plain lines; buttons get numbers (`[1 Send] [2 Cancel]`) so they can be pressed with `click N`.
What the console adds (`(optional)`, what an element is) is Slack's client speaking: it comes from
the `console` catalogue in the reader's language (`t`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.dev.console.mrkdwn import Names, emoji, link, text_of
from bot.i18n import Texts

DIVIDER = "─" * 40


@dataclass(frozen=True)
class Button:
    """A button as shown, with what pressing it sends."""

    number: int
    label: str
    action_id: str
    value: str


@dataclass(frozen=True)
class Rendered:
    """Lines to print, and the numbered buttons among them."""

    lines: list[str]
    buttons: list[Button] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


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
        return image(t, element, names)
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


def image(t: Texts, shown: dict[str, Any], names: Names) -> str:
    """An image block or element; one showing a file the app uploaded (`slack_file: {"id": …}`)
    says where the console saved it."""
    alt = shown.get("alt_text", "")
    slack_file = shown.get("slack_file")
    path = names.files.get(str(slack_file.get("id"))) if isinstance(slack_file, dict) else None
    if path:
        return t("console.element.image_saved", alt=alt, path=path)
    return t("console.element.image", alt=alt)


def _rich_text(element: Any, names: Names) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "link":
        url = str(element.get("url", ""))
        label = element.get("text")
        return link(str(label), url) if label else url
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
            lines.append(image(t, block, names))
        elif kind == "rich_text":
            lines += _rich_text(block, names).splitlines()
        elif kind == "input":
            lines.append(_input_line(t, block, names))
        else:
            lines.append(t("console.element.block", kind=kind))
    return Rendered(lines, numbering.buttons)
