"""The Send modal: recipients, message, type, voice language, sender id, and where to report."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationSelectElement,
    DateTimePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.views import View

from bot.domain.states import SendKind
from bot.domain.voice import voice_language_for
from bot.i18n import Texts
from bot.santo.codes import VOICE_LANGUAGES
from bot.views.file_send import build_file_block
from bot.views.ids import ActionId, BlockId, CallbackId
from bot.views.modals import form_modal, text_area


def _kind_option(t: Texts, kind: SendKind) -> Option:
    return Option(value=kind.value, text=t(f"send.modal.{kind.value}"))


def _lang_option(t: Texts, code: str) -> Option:
    return Option(value=code, text=t("send.modal.lang_option", name=t(f"codes.voice.{code}"), code=code))


def build_send_modal(
    t: Texts, channel_id: str | None, *, max_file_rows: int, recipients: str = "", message: str = ""
) -> View:
    """The form. `channel_id` is where the command ran; without one the user picks a channel.
    `max_file_rows`: `SMS_MAX_FILE_ROWS`, said on the file field."""
    blocks = [
        text_area(
            BlockId.RECIPIENTS,
            ActionId.RECIPIENTS,
            t("send.modal.recipients"),
            recipients,
            optional=True,
            hint=t("send.modal.recipients_hint"),
            placeholder="+86 139 1082 5657\n+44 20 7946 0958",
        ),
        text_area(BlockId.MESSAGE, ActionId.MESSAGE, t("send.modal.message"), message),
        InputBlock(
            block_id=BlockId.KIND,
            label=t("send.modal.kind"),
            element=RadioButtonsElement(
                action_id=ActionId.KIND,
                options=[_kind_option(t, k) for k in (SendKind.SMS, SendKind.VOICE)],
                initial_option=_kind_option(t, SendKind.SMS),
            ),
        ),
        InputBlock(
            block_id=BlockId.LANG,
            label=t("send.modal.lang"),
            optional=True,
            element=StaticSelectElement(
                action_id=ActionId.LANG,
                options=[_lang_option(t, code) for code in VOICE_LANGUAGES],
                initial_option=_lang_option(t, voice_language_for(t.language)),
            ),
        ),
        InputBlock(
            block_id=BlockId.SENDER,
            label=t("send.modal.sender"),
            optional=True,
            hint=t("send.modal.sender_hint"),
            element=PlainTextInputElement(action_id=ActionId.SENDER, max_length=16),
        ),
        build_file_block(t, max_file_rows),
    ]
    blocks.append(
        InputBlock(
            block_id=BlockId.SCHEDULE,
            label=t("send.modal.schedule"),
            optional=True,
            hint=t("send.modal.schedule_hint"),
            element=DateTimePickerElement(action_id=ActionId.SCHEDULE),
        )
    )
    if channel_id is None:
        blocks.append(
            InputBlock(
                block_id=BlockId.CHANNEL,
                label=t("send.modal.channel"),
                hint=t("send.modal.channel_hint"),
                element=ConversationSelectElement(  # no default: where it reports is a choice
                    action_id=ActionId.CHANNEL,
                    filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                ),
            )
        )
    return form_modal(t, "send.modal", CallbackId.SEND_MODAL, blocks, private_metadata=channel_id or "")


def build_notice_view(t: Texts, title: str, text: str, external_id: str | None = None) -> View:
    """A modal that only says something (working…, done, or what went wrong)."""
    return View(
        type="modal",
        title=title,
        close=t("send.notice.close"),
        clear_on_close=True,  # closing it must not lead back to a filled-in form to send again
        external_id=external_id,
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
