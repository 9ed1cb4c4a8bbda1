"""Connecting a workspace's own Santo account (distribution mode): its Home tab until then, the
modal that asks for the account, and the lines admins see once it is connected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.mrkdwn import code
from bot.i18n import Texts
from bot.views.ids import ActionId, BlockId, CallbackId


@dataclass(frozen=True)
class AccountForm:
    """What the account modal was submitted with."""

    cpid: str
    password: str
    server: str
    custom_url: str

    @classmethod
    def read(cls, view: dict[str, Any]) -> AccountForm:
        values = (view.get("state") or {}).get("values") or {}

        def typed(block: str, action: str) -> str:
            return str(((values.get(block) or {}).get(action) or {}).get("value") or "").strip()

        chosen = ((values.get(BlockId.SERVER) or {}).get(ActionId.SERVER) or {}).get("selected_option") or {}
        return cls(
            cpid=typed(BlockId.CPID, ActionId.CPID),
            password=str(
                ((values.get(BlockId.PASSWORD) or {}).get(ActionId.PASSWORD) or {}).get("value") or ""
            ),
            server=str(chosen.get("value") or next(iter(SERVERS))),
            custom_url=typed(BlockId.SERVER_URL, ActionId.SERVER_URL).rstrip("/"),
        )

    @property
    def base_url(self) -> str:
        return SERVERS.get(self.server, self.custom_url)

    def errors(self, t: Texts) -> dict[str, str]:
        """Field → what is wrong with it (Slack shows each under its field)."""
        errors: dict[str, str] = {}
        if not self.cpid:
            errors[BlockId.CPID] = t("workspace.problem.empty")
        if not self.password:
            errors[BlockId.PASSWORD] = t("workspace.problem.empty")
        if self.server not in SERVERS and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", self.custom_url):
            errors[BlockId.SERVER_URL] = t("workspace.problem.url")
        return errors


SERVERS = {"overseas": "https://api2.santo.cc", "mainland": "https://api.santo.cc"}
"""The platform's two servers (manual 2.1), by the name the modal gives them."""
CUSTOM = "custom"


def connect_button(t: Texts, connected: bool) -> ButtonElement:
    label = t("workspace.change") if connected else t("workspace.connect")
    return ButtonElement(
        text=label, action_id=ActionId.HOME_CONNECT, value="connect", style=None if connected else "primary"
    )


def build_connect_home(t: Texts, may_connect: bool) -> View:
    """The Home tab of a workspace with no Santo account yet."""
    blocks: list[Block] = [
        HeaderBlock(text=t("app_home.header")),
        SectionBlock(text=MarkdownTextObject(text=t("workspace.home_intro"))),
    ]
    if may_connect:
        blocks.append(ActionsBlock(elements=[connect_button(t, connected=False)]))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t("workspace.home_only_admins"))]))
    return View(type="home", blocks=blocks)


def account_blocks(t: Texts, cpid: str, server: str, connected_by: str) -> list[Block]:
    """What admins see of the connected account, and how to change it."""
    line = t("workspace.connected", cpid=code(cpid), server=code(server), who=connected_by)
    return [
        SectionBlock(text=MarkdownTextObject(text=line)),
        ActionsBlock(elements=[connect_button(t, connected=True)]),
    ]


def build_account_modal(t: Texts, problem: str | None = None, external_id: str | None = None) -> View:
    """The form; `problem` (already escaped) says why the last try was not saved."""
    options = [Option(value=key, text=t(f"workspace.modal.{key}")) for key in (*SERVERS, CUSTOM)]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=problem or t("workspace.modal.intro")))]
    blocks += [
        InputBlock(
            block_id=BlockId.CPID,
            label=t("workspace.modal.cpid"),
            element=PlainTextInputElement(action_id=ActionId.CPID, max_length=64),
        ),
        InputBlock(
            block_id=BlockId.PASSWORD,
            label=t("workspace.modal.password"),
            element=PlainTextInputElement(action_id=ActionId.PASSWORD, max_length=200),
        ),
        InputBlock(
            block_id=BlockId.SERVER,
            label=t("workspace.modal.server"),
            element=StaticSelectElement(
                action_id=ActionId.SERVER, options=options, initial_option=options[0]
            ),
        ),
        InputBlock(
            block_id=BlockId.SERVER_URL,
            label=t("workspace.modal.custom_url"),
            hint=t("workspace.modal.custom_hint"),
            optional=True,
            element=PlainTextInputElement(action_id=ActionId.SERVER_URL, max_length=200),
        ),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.SANTO_ACCOUNT,
        title=t("workspace.modal.title"),
        submit=t("workspace.modal.submit"),
        close=t("workspace.modal.close"),
        external_id=external_id,
        blocks=blocks,
    )
