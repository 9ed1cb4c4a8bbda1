"""Every id Slack sends back to us: callback ids, block ids, action ids."""

from enum import StrEnum, auto


class CallbackId(StrEnum):
    SEND_MODAL = "send_modal"
    CONFIRM = "send_confirm"
    SEND_AS_SMS = "send_as_sms"
    """The "Send as SMS" message shortcut."""
    REPLY = "reply_sms"
    """The modal that answers an inbound SMS."""
    SANTO_ACCOUNT = "santo_account"
    """The modal that connects a workspace's Santo account (distribution mode)."""


class BlockId(StrEnum):
    RECIPIENTS = "recipients"
    MESSAGE = "message"
    KIND = "kind"
    LANG = "lang"
    SENDER = "sender"
    CHANNEL = "channel"
    SCHEDULE = "schedule"
    FILE = "file"
    REPLY_TEXT = "reply_text"
    CPID = "santo_cpid"
    PASSWORD = "santo_password"
    SERVER = "santo_server"
    SERVER_URL = "santo_server_url"


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
    RETRY_FAILED = "retry_failed"
    CANCEL_SCHEDULED = "cancel_scheduled"
    EXPORT_CSV = "export_results_csv"
    EXPORT_XLSX = "export_results_xlsx"
    """Download a send's results (its channel message's buttons)."""
    SCHEDULE = "schedule_input"
    FILE = "file_input"
    REJECT = "reject_send"
    HOME_REFRESH = "home_refresh"
    HOME_SEND = "home_send_sms"
    REPLY = "reply_to_sms"
    REPLY_TEXT = "reply_text_input"
    """The Reply button under an inbound SMS."""
    HOME_CONNECT = "home_connect_santo"
    CPID = "santo_cpid_input"
    PASSWORD = "santo_password_input"
    SERVER = "santo_server_input"
    SERVER_URL = "santo_server_url_input"


class StepId(StrEnum):
    """The app's Workflow Builder steps (the manifest's `functions`), by callback id."""

    SEND_SMS = auto()
    DELIVERY_STATUS = auto()


class StepField(StrEnum):
    """The steps' inputs and outputs, by name (an `auto()` value is the name in lower case)."""

    RECIPIENTS = auto()
    MESSAGE = auto()
    SENDER_ID = auto()
    REPORT_CHANNEL = auto()
    MSGID = auto()
    NUMBERS_SENT = auto()
    NUMBERS_REFUSED = auto()
    DELIVERED = auto()
    FAILED = auto()
    PENDING = auto()
