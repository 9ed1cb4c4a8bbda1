"""A modal's input blocks as terminal prompts, and typed answers as Slack's `view.state.values`.

Pure functions: `fields_of(view)` lists the inputs; `describe(field)` is what is shown before a
field's prompt (hint, numbered options); `prompt(field)` the prompt itself; `parse(field, typed)`
turns an answer into the element's state value, or says in plain words why it cannot (the checks
Slack's client makes before it submits: required fields, lengths, a listed option, a known
channel, a file's type; a file field takes a path, `file_path`). Multiline text is typed on one
line with `\\n` where a new line goes. What the console says itself (tips, Slack's checks) is in
the user's language: `Context.t`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.dev.console.blocks import optional_mark
from bot.dev.console.mrkdwn import Names, text_of
from bot.domain.states import SendKind
from bot.i18n import Texts
from bot.views.ids import ActionId, BlockId

TEXT = "plain_text_input"
CHOICE_KINDS = ("radio_buttons", "static_select")
MULTI_CHOICE_KINDS = ("checkboxes", "multi_static_select")
CHANNEL_KINDS = ("conversations_select", "channels_select")
USER_KINDS = ("users_select",)
FILE = "file_input"
NEWLINE = "\\n"
_IN = re.compile(r"^\+\s*(\d+)\s*(m|min|h|d)$", re.IGNORECASE)
_UNIT = {"m": 60, "min": 60, "h": 3600, "d": 86400}


class FieldError(ValueError):
    """What is wrong with an answer, in words for the user."""


@dataclass(frozen=True)
class Choice:
    label: str
    value: str
    option: dict[str, Any]


@dataclass(frozen=True)
class Field:
    block_id: str
    action_id: str
    kind: str
    label: str
    optional: bool
    hint: str
    element: dict[str, Any]
    choices: tuple[Choice, ...]

    @property
    def initial_choice(self) -> int | None:
        """Index of the option chosen before the user answers."""
        initial = self.element.get("initial_option")
        if isinstance(initial, dict):
            for index, choice in enumerate(self.choices):
                if choice.value == initial.get("value"):
                    return index
        return None

    @property
    def initial_text(self) -> str | None:
        value = self.element.get("initial_value")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Context:
    """What a field's answer is read against: the workspace, where the user is and their language."""

    t: Texts
    names: Names
    channel_id: str
    user_id: str
    timezone: str = "UTC"
    """The user's Slack timezone: date and time pickers are read in it."""
    now: datetime | None = None
    """For tests: the time `+10m` counts from."""

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


def _choices(element: dict[str, Any], names: Names) -> tuple[Choice, ...]:
    options = element.get("options")
    if not isinstance(options, list):
        options = [o for group in element.get("option_groups") or [] for o in group.get("options") or []]
    return tuple(
        Choice(text_of(o.get("text"), names), str(o.get("value", "")), o)
        for o in options
        if isinstance(o, dict)
    )


def fields_of(view: Mapping[str, Any], names: Names) -> list[Field]:
    """The view's input blocks, in order."""
    fields = []
    for block in view.get("blocks") or []:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element")
        if not isinstance(element, dict):
            continue
        fields.append(
            Field(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                kind=str(element.get("type", "")),
                label=text_of(block.get("label"), names),
                optional=bool(block.get("optional")),
                hint=text_of(block.get("hint"), names),
                element=element,
                choices=_choices(element, names),
            )
        )
    return fields


def has_inputs(view: Mapping[str, Any]) -> bool:
    return any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])


def _numbered(choices: tuple[Choice, ...]) -> str:
    return "  ".join(f"{n}) {c.label}" for n, c in enumerate(choices, 1))


def _default_channel(field: Field, context: Context) -> str | None:
    initial = field.element.get("initial_conversation") or field.element.get("initial_channel")
    if isinstance(initial, str) and initial:
        return initial
    if field.element.get("default_to_current_conversation") or field.kind == "channels_select":
        return context.channel_id
    return None


def _known_channels(context: Context) -> str:
    return context.t("console.list_separator").join(f"#{name}" for name in context.names.channels.values())


def _tips(field: Field, context: Context) -> list[str]:
    """How to type an answer, said the first time a field is asked."""
    t = context.t
    if field.kind in MULTI_CHOICE_KINDS:
        return [t("console.input.commas")]
    if field.kind == TEXT and field.element.get("multiline"):
        return [t("console.input.one_line", newline=NEWLINE)]
    if field.kind == "datetimepicker":
        return [t("console.input.date_time", zone=context.timezone)]
    if field.kind == FILE:
        return [t("console.input.file")]
    shape = {"datepicker": "YYYY-MM-DD", "timepicker": "HH:MM"}.get(field.kind)
    return [shape] if shape else []


def describe(field: Field, context: Context, *, again: bool = False) -> list[str]:
    """Lines shown before a field's prompt: its hint and its options (`again`: when it is asked
    a second time, without the typing tips)."""
    t = context.t
    lines = [t("console.input.hint", text=field.hint)] if field.hint else []
    if field.kind in CHOICE_KINDS or field.kind in MULTI_CHOICE_KINDS:
        lines.append(_numbered(field.choices))
    if field.kind in CHANNEL_KINDS:
        channels = t("console.input.channel", channels=_known_channels(context))
        lines.append(t("console.input.hint", text=channels))
    if not again:
        lines += [t("console.input.hint", text=tip) for tip in _tips(field, context)]
    return lines


def prompt(field: Field, context: Context, *, typed: str | None = None) -> str:
    """`Recipients: `, `Type [1]: `, `Sender id (optional): `, `Report into channel [#general]: `;
    `typed`: what was typed in this field before, which Enter keeps (Slack keeps a form's values)."""
    default = ""
    if typed:
        default = typed
    elif field.kind in CHOICE_KINDS and field.initial_choice is not None:
        default = str(field.initial_choice + 1)
    elif field.kind == TEXT and field.initial_text:
        default = field.initial_text.replace("\n", NEWLINE)
    elif field.kind in CHANNEL_KINDS and (channel := _default_channel(field, context)):
        default = f"#{context.names.channel(channel)}"
    optional = optional_mark(context.t, field.label, field.optional)
    shown = f" [{default}]" if default else ""
    return context.t("console.input.prompt", label=field.label, optional=optional, default=shown)


def skipped(field: Field, answered: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> bool:
    """Whether a field is not asked, given the form's answers so far: the voice language of an
    SMS (it is left as it is, as a Slack user would leave it)."""
    if field.block_id != BlockId.LANG:
        return False
    kind = (answered.get(BlockId.KIND) or {}).get(ActionId.KIND) or {}
    return (kind.get("selected_option") or {}).get("value") == SendKind.SMS


def _pick(field: Field, typed: str, context: Context) -> Choice:
    text = typed.strip()
    if text.isdigit() and 1 <= int(text) <= len(field.choices):
        return field.choices[int(text) - 1]
    lowered = text.lower()
    for choice in field.choices:
        if lowered in (choice.label.lower(), choice.value.lower()):
            return choice
    choices = _numbered(field.choices)
    raise FieldError(context.t("console.field.choose", n=len(field.choices), choices=choices))


def _channel(typed: str, context: Context) -> str:
    name = typed.strip().lstrip("#").lower()
    for channel_id, known in context.names.channels.items():
        if name in (known.lower(), channel_id.lower()):
            return channel_id
    raise FieldError(context.t("console.field.no_channel", name=name, channels=_known_channels(context)))


def _user(typed: str, context: Context) -> str:
    name = typed.strip().lstrip("@").lower()
    for user_id, (handle, display) in context.names.users.items():
        if name in (handle.lower(), display.lower(), user_id.lower()):
            return user_id
    raise FieldError(context.t("console.field.no_user", name=name))


def _required(field: Field, context: Context) -> None:
    if not field.optional:
        raise FieldError(context.t("console.field.required"))


def parse(field: Field, typed: str, context: Context) -> dict[str, Any]:
    """The typed answer as the element's entry in `view.state.values[block][action]`."""
    kind = field.kind
    blank = not typed.strip()
    state: dict[str, Any] = {"type": kind}
    if kind in CHOICE_KINDS:
        if blank:
            if field.initial_choice is None:
                _required(field, context)
                state["selected_option"] = None
                return state
            state["selected_option"] = field.choices[field.initial_choice].option
            return state
        state["selected_option"] = _pick(field, typed, context).option
        return state
    if kind in MULTI_CHOICE_KINDS:
        if blank:
            _required(field, context)
            state["selected_options"] = []
            return state
        picked = [_pick(field, part, context) for part in typed.split(",") if part.strip()]
        state["selected_options"] = [c.option for c in picked]
        return state
    if kind in CHANNEL_KINDS:
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        if blank:
            default = _default_channel(field, context)
            if default is None:
                _required(field, context)
            state[key] = default
            return state
        state[key] = _channel(typed, context)
        return state
    if kind in USER_KINDS:
        if blank:
            _required(field, context)
            state["selected_user"] = None
            return state
        state["selected_user"] = _user(typed, context)
        return state
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        key = {"datepicker": "selected_date", "timepicker": "selected_time"}.get(kind, "selected_date_time")
        if blank:
            _required(field, context)
            state[key] = None
            return state
        state[key] = _when(kind, typed.strip(), context)
        return state
    value: str | None = typed.replace(NEWLINE, "\n").strip() if not blank else field.initial_text
    if not value:
        _required(field, context)
        value = None
    if value is not None:
        _check_length(field, value, context)
        if kind == "number_input" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
            raise FieldError(context.t("console.field.number"))
    state["value"] = value
    return state


def file_path(field: Field, typed: str, context: Context) -> Path | None:
    """The file a path typed at a file field names (None when left empty), if Slack's client
    would take it: one of the element's file types. Reading and uploading it is the caller's."""
    text = typed.strip().strip("'\"")
    if not text:
        _required(field, context)
        return None
    path = Path(text).expanduser()
    types = [str(kind).lower() for kind in field.element.get("filetypes") or []]
    if types and path.suffix.lower().lstrip(".") not in types:
        listed = context.t("console.list_separator").join(f".{kind}" for kind in types)
        raise FieldError(context.t("console.field.file_type", types=listed))
    return path


def file_state(files: list[dict[str, Any]]) -> dict[str, Any]:
    """A file field's entry in `view.state.values`: the uploaded files' objects."""
    return {"type": FILE, "files": files}


def _when(kind: str, typed: str, context: Context) -> str | int:
    """A picked date (`2025-06-01`), time (`14:30`) or date and time (epoch seconds)."""
    try:
        if kind == "datepicker":
            return date.fromisoformat(typed).isoformat()
        if kind == "timepicker":
            return time.fromisoformat(typed).strftime("%H:%M")
        relative = _IN.match(typed)
        if relative:
            now = context.now or datetime.now(context.zone)
            return int(
                (
                    now + timedelta(seconds=int(relative.group(1)) * _UNIT[relative.group(2).lower()])
                ).timestamp()
            )
        picked = datetime.fromisoformat(typed.replace(" ", "T", 1))
        return int(picked.replace(tzinfo=picked.tzinfo or context.zone).timestamp())
    except ValueError:
        t = context.t
        shape = {"datepicker": "YYYY-MM-DD", "timepicker": "HH:MM"}.get(kind)
        wrong = t("console.field.write_as", shape=shape) if shape else t("console.field.write_date_time")
        raise FieldError(wrong) from None


def _check_length(field: Field, value: str, context: Context) -> None:
    t = context.t
    longest = field.element.get("max_length")
    shortest = field.element.get("min_length")
    if isinstance(longest, int) and len(value) > longest:
        raise FieldError(t("console.field.too_long", longest=longest, n=len(value)))
    if isinstance(shortest, int) and len(value) < shortest:
        raise FieldError(t("console.field.too_short", shortest=shortest))
