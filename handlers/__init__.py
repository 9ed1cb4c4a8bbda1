"""Slack listeners: one module per feature, each with `register(app)`."""

from slack_bolt.async_app import AsyncApp


def register_all(app: AsyncApp) -> None:
    from handlers import approvals, quick_send, retry, scheduled, send_modal, sms_command

    for module in (sms_command, quick_send, send_modal, approvals, retry, scheduled):
        module.register(app)
