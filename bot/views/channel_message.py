"""The send's channel message: one per send, updated in place as its story unfolds.

Written in the send's language (its sender's), whoever's action or report made it change."""

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

from bot.domain.actor import WORKFLOW
from bot.domain.money import money
from bot.domain.mrkdwn import CODE_SHOWN, SECTION_LIMIT, code, cut, outside, quote
from bot.domain.numbers import display_msisdn
from bot.domain.states import NumberStatus, SendKind, SendState
from bot.i18n import Texts
from bot.santo.codes import REQUEST_ERRORS, report_meaning, request_error_meaning
from bot.store.models import SendView, detail_text
from bot.views.ids import ActionId

MAX_MSGIDS_SHOWN = 3
MAX_REASONS_SHOWN = 5

COUNTS: list[tuple[str, tuple[NumberStatus, ...]]] = [
    ("delivered", (NumberStatus.DELIVERED,)),
    ("failed", (NumberStatus.FAILED,)),
    ("pending", (NumberStatus.PENDING, NumberStatus.QUEUED, NumberStatus.SUBMITTING)),
    ("no_report", (NumberStatus.NO_REPORT,)),
    ("rejected", (NumberStatus.REJECTED, NumberStatus.NOT_SENT)),
    ("unknown", (NumberStatus.UNKNOWN,)),
]
ALWAYS_COUNTED = ("delivered", "failed", "pending")


def kind_key(kind: str) -> str:
    """`voice` or `sms`: the last part of the keys that say what a send is."""
    return "voice" if kind == SendKind.VOICE else "sms"


def recipients_text(t: Texts, view: SendView) -> str:
    """The one number, or how many."""
    if view.single_number:
        return display_msisdn(view.single_number)
    return t.count("channel_message.numbers", view.send.recipients)


def headline(t: Texts, view: SendView) -> str:
    send = view.send
    by = "headline_workflow" if send.user_id == WORKFLOW else "headline"
    return t(
        f"channel_message.{by}.{kind_key(send.kind)}",
        to=recipients_text(t, view),
        user=send.user_id,
        channel=send.channel_id,
    )


def counts_line(t: Texts, view: SendView) -> str:
    shown = []
    for name, statuses in COUNTS:
        n = sum(view.counts[s] for s in statuses)
        if n or name in ALWAYS_COUNTED:
            shown.append(t(f"channel_message.counts.{name}", n=n))
    if view.replies:
        shown.append(t("channel_message.counts.replies", n=view.replies))
    return " · ".join(shown)


def outcome_line(t: Texts, view: SendView) -> str | None:
    send = view.send
    state = SendState(send.state)
    if state == SendState.SENDING or state == SendState.POSTING:
        waiting = view.counts[NumberStatus.QUEUED] + view.counts[NumberStatus.SUBMITTING]
        if send.submit_lease is not None and waiting < send.recipients:
            return t(
                "channel_message.outcome.submitted", done=send.recipients - waiting, total=send.recipients
            )
        return t("channel_message.outcome.sending")
    if state == SendState.SCHEDULED and send.scheduled_at is not None:
        return t("channel_message.outcome.scheduled", when=slack_date(t, send.scheduled_at))
    if state == SendState.CANCELLED:
        if send.cancelled_by:
            return t("channel_message.outcome.cancelled_by", user=send.cancelled_by)
        return t("channel_message.outcome.cancelled")
    if state == SendState.REJECTED:
        if send.detail and not _platform_codes(view):
            return detail_text(t, send.detail)  # refused by the app, not the platform: it says why
        return t("channel_message.outcome.rejected", reasons=refusal_reasons(t, view))
    if state == SendState.PARTLY_ACCEPTED:
        return t("channel_message.outcome.partly_accepted", reasons=refusal_reasons(t, view))
    if state == SendState.UNKNOWN:
        if view.msgids:
            return t("channel_message.outcome.unknown_msgid", msgid=outside(view.msgids[0], CODE_SHOWN))
        return t("channel_message.outcome.unknown")
    if send.detail:
        return detail_text(t, send.detail)
    return None


def _platform_codes(view: SendView) -> list[str]:
    """The platform's request error codes (table 5.1) among the send's failures."""
    return [c for c in view.failure_reasons if c in REQUEST_ERRORS]


def refusal_reasons(t: Texts, view: SendView) -> str:
    """Why the platform (or the app) refused the send's batches, in words."""
    codes = _platform_codes(view)
    if not codes:
        return (
            detail_text(t, view.send.detail) if view.send.detail else t("channel_message.outcome.unreachable")
        )
    return t("channel_message.outcome.separator").join(
        f"{outside(c, CODE_SHOWN)} — {t.render(request_error_meaning(c))}" for c in codes[:MAX_REASONS_SHOWN]
    )


def failure_summary(t: Texts, view: SendView) -> str | None:
    """Top report failure reasons, for sends with many failures (details go in the thread)."""
    reasons = [(c, n) for c, n in view.failure_reasons.most_common() if c not in REQUEST_ERRORS]
    if not reasons:
        return None
    listed = " · ".join(
        t(
            "channel_message.failure_reasons.reason",
            meaning=report_meaning("400", c),
            code=outside(c, CODE_SHOWN),
            n=n,
        )
        for c, n in reasons[:MAX_REASONS_SHOWN]
    )
    return t("channel_message.failure_reasons.summary", reasons=listed)


def context_line(t: Texts, view: SendView) -> str:
    send = view.send
    bits = []
    if send.state in (SendState.ACCEPTED, SendState.PARTLY_ACCEPTED):
        bits.append(t("channel_message.context.accepted"))
    if send.sender_id:
        bits.append(t("channel_message.context.sender", sender=code(send.sender_id)))
    if send.kind == SendKind.VOICE:
        bits.append(t("channel_message.context.voice", lang=send.lang or "zh-cn"))
    else:
        bits.append(t.count("channel_message.context.parts", send.parts, encoding=send.encoding))
    if send.estimated_cost is not None:
        bits.append(f"≈ {money(send.estimated_cost)}")
    if send.retry_of is not None:
        if send.origin_link:
            bits.append(t("channel_message.context.retry_of_link", link=send.origin_link))
        else:
            bits.append(t("channel_message.context.retry_of"))
    if view.msgids:
        ids = ", ".join(outside(m, CODE_SHOWN) for m in view.msgids[:MAX_MSGIDS_SHOWN])
        more = len(view.msgids) - MAX_MSGIDS_SHOWN
        if more > 0:
            bits.append(t("channel_message.context.msgids_more", ids=ids, more=more))
        else:
            bits.append(t("channel_message.context.msgids", ids=ids))
    return " · ".join(bits)


def slack_date(t: Texts, at: datetime) -> str:
    """A time each reader sees in their own Slack timezone."""
    shown = t("channel_message.date", date="{date_long_pretty}", time="{time}")
    return f"<!date^{int(at.timestamp())}^{shown}|{at:%Y-%m-%d %H:%M} UTC>"


def action_buttons(t: Texts, view: SendView) -> list[ButtonElement]:
    send = view.send
    if send.id is None:  # the first version, posted before the send is stored
        return []
    if send.state == SendState.SCHEDULED:
        return [
            ButtonElement(
                text=t("channel_message.buttons.cancel"),
                action_id=ActionId.CANCEL_SCHEDULED,
                value=str(send.id),
                style="danger",
            )
        ]
    buttons = []
    failed = view.counts[NumberStatus.FAILED]
    if failed and send.retry_send_id is None:
        buttons.append(
            ButtonElement(
                text=t("channel_message.buttons.retry", n=failed),
                action_id=ActionId.RETRY_FAILED,
                value=str(send.id),
            )
        )
    if send.state not in (SendState.CANCELLED, SendState.POSTING):
        buttons += [
            ButtonElement(text=t(f"channel_message.buttons.{kind}"), action_id=action, value=str(send.id))
            for kind, action in (("csv", ActionId.EXPORT_CSV), ("xlsx", ActionId.EXPORT_XLSX))
        ]
    return buttons


def section(text: str) -> SectionBlock:
    """A section of mrkdwn, cut to Slack's limit whatever went into it."""
    return SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)))


def build_minimal_message(t: Texts, view: SendView) -> tuple[str, list[Block]]:
    """The send's message with its counts only: what the notifier shows when the full message
    cannot be drawn, so the send still shows how it went."""
    blocks: list[Block] = [section(headline(t, view)), section(counts_line(t, view))]
    fallback = t(
        f"channel_message.fallback.{kind_key(view.send.kind)}",
        n=view.send.recipients,
        counts=counts_line(t, view),
    )
    return fallback.replace("*", ""), blocks


def build_channel_message(t: Texts, view: SendView) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for the send's message, from its stored state, in `t`'s language
    (the send's: `services.languages.texts(send.ui_language)`)."""
    blocks: list[Block] = [section(headline(t, view)), section(quote(view.send.text))]
    if view.send.state not in (SendState.SCHEDULED, SendState.CANCELLED):
        blocks.append(section(counts_line(t, view)))
    for extra in (outcome_line(t, view), failure_summary(t, view)):
        if extra:
            blocks.append(section(extra))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(context_line(t, view), SECTION_LIMIT))]))
    buttons = action_buttons(t, view)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    fallback = t(
        f"channel_message.fallback.{kind_key(view.send.kind)}",
        n=view.send.recipients,
        counts=counts_line(t, view),
    )
    return fallback.replace("*", ""), blocks
