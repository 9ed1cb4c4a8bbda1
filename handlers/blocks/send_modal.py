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

from bot.i18n import TEXTS, Language
from bot.santo.codes import DEFAULT_VOICE_LANGUAGE, VOICE_LANGUAGES
from bot.store.tables import SendKind
from handlers.blocks.campaign import build_file_block
from handlers.ids import ActionId, BlockId, CallbackId

KIND_OPTIONS = {SendKind.SMS: "SMS", SendKind.VOICE: "Voice call (text to speech)"}


def _kind_option(kind: SendKind) -> Option:
    return Option(value=kind.value, text=KIND_OPTIONS[kind])


def _lang_option(code: str) -> Option:
    return Option(value=code, text=f"{TEXTS[Language.EN](f'codes.voice.{code}')} ({code})")


def build_send_modal(channel_id: str | None, recipients: str = "", message: str = "") -> View:
    """The form. `channel_id` is where the command ran; without one the user picks a channel."""
    blocks = [
        InputBlock(
            block_id=BlockId.RECIPIENTS,
            label="Recipients",
            optional=True,
            hint=(
                "International numbers, separated by new lines, commas or spaces: +86 139 1082 5657. "
                "Or leave empty and attach a file below."
            ),
            element=PlainTextInputElement(
                action_id=ActionId.RECIPIENTS,
                multiline=True,
                initial_value=recipients or None,
                max_length=3000,
                placeholder="+86 139 1082 5657\n+44 20 7946 0958",
            ),
        ),
        InputBlock(
            block_id=BlockId.MESSAGE,
            label="Message",
            element=PlainTextInputElement(
                action_id=ActionId.MESSAGE,
                multiline=True,
                initial_value=message or None,
                max_length=3000,
            ),
        ),
        InputBlock(
            block_id=BlockId.KIND,
            label="Type",
            element=RadioButtonsElement(
                action_id=ActionId.KIND,
                options=[_kind_option(k) for k in KIND_OPTIONS],
                initial_option=_kind_option(SendKind.SMS),
            ),
        ),
        InputBlock(
            block_id=BlockId.LANG,
            label="Voice language (voice calls only)",
            optional=True,
            element=StaticSelectElement(
                action_id=ActionId.LANG,
                options=[_lang_option(code) for code in VOICE_LANGUAGES],
                initial_option=_lang_option(DEFAULT_VOICE_LANGUAGE),
            ),
        ),
        InputBlock(
            block_id=BlockId.SENDER,
            label="Sender id",
            optional=True,
            hint="Only if your account has one: digits (up to 16) or letters and digits (up to 11).",
            element=PlainTextInputElement(action_id=ActionId.SENDER, max_length=16),
        ),
        build_file_block(),
    ]
    blocks.append(
        InputBlock(
            block_id=BlockId.SCHEDULE,
            label="Send later (optional)",
            optional=True,
            hint="Leave empty to send now. The time is in your Slack timezone.",
            element=DateTimePickerElement(action_id=ActionId.SCHEDULE),
        )
    )
    if channel_id is None:
        blocks.append(
            InputBlock(
                block_id=BlockId.CHANNEL,
                label="Report into channel",
                element=ConversationSelectElement(
                    action_id=ActionId.CHANNEL,
                    default_to_current_conversation=True,
                    filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                ),
            )
        )
    return View(
        type="modal",
        callback_id=CallbackId.SEND_MODAL,
        title="Send SMS",
        submit="Review",
        close="Cancel",
        private_metadata=channel_id or "",
        blocks=blocks,
    )


def build_notice_view(title: str, text: str, external_id: str | None = None) -> View:
    """A modal that only says something (working…, done, or what went wrong)."""
    return View(
        type="modal",
        title=title,
        close="Close",
        clear_on_close=True,  # closing it must not lead back to a filled-in form to send again
        external_id=external_id,
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
