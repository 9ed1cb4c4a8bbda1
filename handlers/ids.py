"""Every id Slack sends back to us: callback ids, block ids, action ids."""

from enum import StrEnum


class CallbackId(StrEnum):
    SEND_MODAL = "send_modal"
    CONFIRM = "send_confirm"


class BlockId(StrEnum):
    RECIPIENTS = "recipients"
    MESSAGE = "message"
    KIND = "kind"
    LANG = "lang"
    SENDER = "sender"
    CHANNEL = "channel"


class ActionId(StrEnum):
    RECIPIENTS = "recipients_input"
    MESSAGE = "message_input"
    KIND = "kind_input"
    LANG = "lang_input"
    SENDER = "sender_input"
    CHANNEL = "channel_input"
    CONFIRM_SEND = "confirm_send"
    CANCEL_SEND = "cancel_send"
    APPROVE = "approve_send"
    REJECT = "reject_send"
