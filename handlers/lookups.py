"""`/sms balance`, `price`, `verify`, `status`: answers only the caller sees."""

from __future__ import annotations

import re

from bot.countries import CountryError, resolve_country
from bot.i18n import TEXTS, Language
from bot.mrkdwn import code, escape
from bot.numbers import NumberError, country_name, display_msisdn, flag, parse_number
from bot.pricing import money
from bot.santo.codes import report_meaning
from bot.santo.errors import SantoError
from bot.santo.models import ReportState
from bot.services import Services
from bot.store.sends import numbers_for_msgid
from bot.store.tables import NumberStatus
from handlers.common import explain

MAX_STATUS_LINES = 20
_MSGID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

STATUS_WORDS = {
    NumberStatus.QUEUED: "Pending",
    NumberStatus.SUBMITTING: "Pending",
    NumberStatus.PENDING: "Pending",
    NumberStatus.DELIVERED: "Delivered",
    NumberStatus.FAILED: "Failed",
    NumberStatus.NO_REPORT: "No report",
    NumberStatus.REJECTED: "Rejected",
    NumberStatus.NOT_SENT: "Rejected",
    NumberStatus.UNKNOWN: "Unknown",
}
PLATFORM_WORDS = {
    ReportState.DELIVERED: "Delivered",
    ReportState.FAILED: "Failed",
    ReportState.NONE: "No report yet",
}


async def balance_text(services: Services) -> str:
    try:
        balance = await services.santo.balance()
    except SantoError as exc:
        return explain(TEXTS[Language.EN], exc)
    return f"*Balance:* {money(balance.amount)} (account {code(balance.cpid)})"


async def price_text(services: Services, query: str) -> str:
    try:
        region = resolve_country(query)
    except CountryError as exc:
        return str(exc)
    try:
        price = await services.prices.price(region)
    except SantoError as exc:
        return explain(TEXTS[Language.EN], exc)
    country = escape(price.country) or country_name(region)
    prefix = f" (+{escape(price.prefix)})" if price.prefix else ""
    return (
        f"{flag(region)} *{country}*{prefix}: {money(price.price)} per message part.\n"
        "Longer texts go as several parts: 160 GSM-7 or 70 Unicode characters fit in one."
    )


async def verify_text(services: Services, typed: str) -> str:
    if not typed.strip():
        return "Which number? `/sms verify +86 139 1082 5657`"
    try:
        number = parse_number(typed)
    except NumberError as exc:
        return f"{code(typed[:40])} is not a number I can send to: {exc.reason}."
    local = f"{flag(number.region)} *{number.display}* — {number.country}"
    try:
        check = await services.santo.check_number(number.msisdn)
    except SantoError as exc:
        return f"{local}; valid by its format.\nThe platform's check failed: {explain(TEXTS[Language.EN], exc)}"
    verdict = "valid" if check.valid else "*not valid*"
    where = f" ({country_name(check.region)})" if check.region else ""
    return f"{local}; valid by its format.\nThe platform says: {verdict}{where}."


async def status_text(services: Services, args: str) -> str:
    words = args.split()
    if not words or not _MSGID.match(words[0]):
        return "Which message? `/sms status <msgid> [number]` — the msgid is in the send's message."
    msgid = words[0]
    number = None
    if len(words) > 1:
        try:
            number = parse_number(" ".join(words[1:])).msisdn
        except NumberError as exc:
            return f"{code(' '.join(words[1:])[:40])} is not a number: {exc.reason}."
    stored = {r.number: r for r in await numbers_for_msgid(services.db, msgid)}
    if number:
        stored = {n: r for n, r in stored.items() if n == number}
    try:
        platform = {s.number: s.state for s in await services.santo.report_status(msgid, number)}
        platform_note = ""
    except SantoError as exc:
        platform, platform_note = {}, f"\n_The platform's records could not be read: {explain(TEXTS[Language.EN], exc)}_"
    numbers = list(dict.fromkeys([*stored, *platform]))
    if not numbers:
        return f"Neither this app nor the platform knows msgid {code(msgid)}.{platform_note}"
    lines = []
    for n in numbers[:MAX_STATUS_LINES]:
        ours = STATUS_WORDS[NumberStatus(stored[n].status)] if n in stored else "not sent from here"
        theirs = f" · platform: {PLATFORM_WORDS[platform[n]]}" if n in platform else ""
        reason = ""
        if n in stored and stored[n].status == NumberStatus.FAILED and stored[n].code:
            reason = f" ({report_meaning('400', stored[n].code or '')})"
        lines.append(f"{display_msisdn(n)} — *{ours}*{reason}{theirs}")
    if len(numbers) > MAX_STATUS_LINES:
        lines.append(f"…and {len(numbers) - MAX_STATUS_LINES:,} more numbers")
    head = f"*Status of msgid {code(msgid)}* ({len(numbers):,} number{'s' if len(numbers) != 1 else ''})"
    return head + "\n" + "\n".join(lines) + platform_note
