"""Slack listeners: one module per feature, each with `register(app)`."""

from slack_bolt.async_app import AsyncApp


def register_all(app: AsyncApp) -> None:
    from handlers import (
        app_home,
        approvals,
        audit,
        export,
        help,
        lookups,
        opt_outs,
        quick_send,
        replies,
        retry,
        scheduled,
        send_modal,
        shortcuts,
        sms_command,
        stats,
        workflow_steps,
        workspaces,
    )

    for module in (
        sms_command,
        quick_send,
        send_modal,
        lookups,
        audit,
        opt_outs,
        help,
        approvals,
        retry,
        export,
        stats,
        replies,
        scheduled,
        app_home,
        shortcuts,
        workflow_steps,
        workspaces,
    ):
        module.register(app)
