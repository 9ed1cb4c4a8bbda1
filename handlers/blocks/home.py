"""The send's home message: one per send, updated in place as its story unfolds."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.mrkdwn import code, quote
from bot.numbers import display_msisdn
from bot.pricing import money
from bot.santo.codes import REQUEST_ERRORS, report_meaning, request_error_meaning
from bot.store.sends import SendView
from bot.store.tables import NumberStatus, SendKind, SendState
from handlers.ids import ActionId

MAX_MSGIDS_SHOWN = 3
MAX_REASONS_SHOWN = 5

COUNT_WORDS: list[tuple[str, tuple[NumberStatus, ...]]] = [
    ("Delivered", (NumberStatus.DELIVERED,)),
    ("Failed", (NumberStatus.FAILED,)),
    ("Pending", (NumberStatus.PENDING, NumberStatus.QUEUED, NumberStatus.SUBMITTING)),
    ("No report", (NumberStatus.NO_REPORT,)),
    ("Rejected", (NumberStatus.REJECTED, NumberStatus.NOT_SENT)),
    ("Unknown", (NumberStatus.UNKNOWN,)),
]


def headline(view: SendView) -> str:
    send = view.send
    what = "Voice call" if send.kind == SendKind.VOICE else "SMS"
    if view.single_number:
        to = display_msisdn(view.single_number)
    else:
        to = f"{send.recipients:,} number{'s' if send.recipients != 1 else ''}"
    return f"*{what} to {to}* · sent by <@{send.user_id}> in <#{send.channel_id}>"


def counts_line(view: SendView) -> str:
    shown = []
    for word, statuses in COUNT_WORDS:
        n = sum(view.counts[s] for s in statuses)
        if n or word in ("Delivered", "Failed", "Pending"):
            shown.append(f"*{word}* {n:,}")
    return " · ".join(shown)


def outcome_line(view: SendView) -> str | None:
    send = view.send
    state = SendState(send.state)
    if state == SendState.SENDING or state == SendState.POSTING:
        waiting = view.counts[NumberStatus.QUEUED] + view.counts[NumberStatus.SUBMITTING]
        if send.submit_lease is not None and waiting < send.recipients:
            done, total = send.recipients - waiting, send.recipients
            return f":hourglass_flowing_sand: Sending to the platform… submitted {done:,} of {total:,}"
        return ":hourglass_flowing_sand: Sending to the platform…"
    if state == SendState.SCHEDULED and send.scheduled_at is not None:
        return f":alarm_clock: *Scheduled for* {slack_date(send.scheduled_at)}"
    if state == SendState.CANCELLED:
        who = f" by <@{send.cancelled_by}>" if send.cancelled_by else ""
        return f":no_entry_sign: *Cancelled*{who} — nothing was sent."
    if state == SendState.REJECTED:
        return ":x: *Rejected* by the platform: " + _reasons(view)
    if state == SendState.PARTLY_ACCEPTED:
        return ":warning: *Partly accepted*: some batches were rejected: " + _reasons(view)
    if state == SendState.UNKNOWN:
        check = f"`/sms status {view.msgids[0]}`" if view.msgids else "`/sms balance`"
        return (
            ":warning: *Outcome unknown*: the platform's answer was lost, so some numbers may "
            "have been sent. Don't resend yet: reports will appear here if they went; "
            f"check with {check}."
        )
    if send.detail:
        return send.detail
    return None


def _reasons(view: SendView) -> str:
    codes = [c for c in view.failure_reasons if c in REQUEST_ERRORS]
    if not codes:
        return view.send.detail or "the platform could not be reached; nothing was sent"
    return "; ".join(f"{c} — {request_error_meaning(c)}" for c in codes[:MAX_REASONS_SHOWN])


def failure_summary(view: SendView) -> str | None:
    """Top report failure reasons, for sends with many failures (details go in the thread)."""
    reasons = [(c, n) for c, n in view.failure_reasons.most_common() if c not in REQUEST_ERRORS]
    if not reasons:
        return None
    listed = " · ".join(f"{report_meaning('400', c)} ({c}): {n:,}" for c, n in reasons[:MAX_REASONS_SHOWN])
    return f"Failure reasons: {listed}"


def context_line(view: SendView) -> str:
    send = view.send
    bits = []
    if send.state in (SendState.ACCEPTED, SendState.PARTLY_ACCEPTED):
        bits.append("Accepted")
    if send.sender_id:
        bits.append(f"Sender {code(send.sender_id)}")
    if send.kind == SendKind.VOICE:
        bits.append(f"voice {send.lang or 'zh-cn'}")
    else:
        bits.append(f"{send.encoding}, {send.parts} part{'s' if send.parts != 1 else ''}")
    if send.estimated_cost is not None:
        bits.append(f"≈ {money(send.estimated_cost)}")
    if send.retry_of is not None:
        bits.append(
            f"retry of <{send.origin_link}|an earlier send>"
            if send.origin_link
            else "retry of an earlier send"
        )
    if view.msgids:
        ids = ", ".join(view.msgids[:MAX_MSGIDS_SHOWN])
        more = len(view.msgids) - MAX_MSGIDS_SHOWN
        bits.append(f"msgid {ids}" + (f" (+{more} more)" if more > 0 else ""))
    return " · ".join(bits)


def slack_date(at: datetime) -> str:
    """A time each reader sees in their own Slack timezone."""
    stamp = int(at.timestamp())
    return f"<!date^{stamp}^{{date_long_pretty}} at {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def action_buttons(view: SendView) -> list[ButtonElement]:
    send = view.send
    if send.id is None:  # the first version, posted before the send is stored
        return []
    if send.state == SendState.SCHEDULED:
        return [
            ButtonElement(
                text="Cancel", action_id=ActionId.CANCEL_SCHEDULED, value=str(send.id), style="danger"
            )
        ]
    failed = view.counts[NumberStatus.FAILED]
    if failed and send.retry_send_id is None:
        return [
            ButtonElement(
                text=f"Retry failed ({failed:,})", action_id=ActionId.RETRY_FAILED, value=str(send.id)
            )
        ]
    return []


def build_home_message(view: SendView) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for the send's message, from its stored state."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=headline(view))),
        SectionBlock(text=MarkdownTextObject(text=quote(view.send.text))),
    ]
    if view.send.state not in (SendState.SCHEDULED, SendState.CANCELLED):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=counts_line(view))))
    for extra in (outcome_line(view), failure_summary(view)):
        if extra:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=extra)))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=context_line(view))]))
    buttons = action_buttons(view)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    what = "Voice call" if view.send.kind == SendKind.VOICE else "SMS"
    fallback = f"{what} to {view.send.recipients:,} — {counts_line(view)}".replace("*", "")
    return fallback, blocks
