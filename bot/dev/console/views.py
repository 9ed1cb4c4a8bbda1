"""Views as terminal text: a modal (title, blocks, errors, its buttons) and the app's Home tab."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.dev.console.blocks import Rendered, mark, render_blocks
from bot.dev.console.mrkdwn import Names, text_of
from bot.dev.slack_standin import ViewRecord
from bot.i18n import Texts


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
