"""`/sms balance`, `price`, `verify`, `status`: answers only the caller sees."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.domain.countries import CountryError, resolve_country
from bot.domain.money import money
from bot.domain.mrkdwn import CODE_SHOWN, code, escape, outside
from bot.domain.numbers import NumberError, country_name, display_msisdn, flag, parse_number
from bot.domain.states import NumberStatus
from bot.i18n import Texts
from bot.santo.codes import report_meaning
from bot.santo.errors import SantoError
from bot.santo.models import ReportState
from bot.sending.low_balance import read_balance
from bot.services import Services
from bot.store.sends import numbers_for_msgid
from handlers.common import Interaction, Sub, answer, explain, subcommands

MAX_STATUS_LINES = 20
_MSGID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# The `lookups.state` text for each number's status here, and for the platform's report.
STATES = {
    NumberStatus.QUEUED: "pending",
    NumberStatus.SUBMITTING: "pending",
    NumberStatus.PENDING: "pending",
    NumberStatus.DELIVERED: "delivered",
    NumberStatus.FAILED: "failed",
    NumberStatus.NO_REPORT: "no_report",
    NumberStatus.REJECTED: "rejected",
    NumberStatus.NOT_SENT: "rejected",
    NumberStatus.UNKNOWN: "unknown",
}
PLATFORM_STATES = {
    ReportState.DELIVERED: "delivered",
    ReportState.FAILED: "failed",
    ReportState.NONE: "no_report_yet",
}


async def balance_text(services: Services, t: Texts) -> str:
    try:
        balance = await read_balance(services)
    except SantoError as exc:
        return explain(t, exc)
    return t("lookups.balance", amount=money(balance.amount), account=code(balance.cpid, CODE_SHOWN))


async def price_text(services: Services, t: Texts, query: str) -> str:
    try:
        region = resolve_country(query)
    except CountryError as exc:
        return t.render(exc.message)
    try:
        price = await services.prices.price(region)
    except SantoError as exc:
        return explain(t, exc)
    prefix = t("lookups.price.prefix", prefix=outside(price.prefix, CODE_SHOWN)) if price.prefix else ""
    country = f"{flag(region)} *{escape(country_name(region, t.language))}*{prefix}"
    return t("lookups.price.text", country=country, price=money(price.price))


async def verify_text(services: Services, t: Texts, typed: str, region: str | None = None) -> str:
    """`region`: the country a number without its code is likely from (only suggested)."""
    if not typed.strip():
        return t("lookups.verify.which")
    try:
        number = parse_number(typed, region)
    except NumberError as exc:
        return t("lookups.verify.not_a_number", number=code(typed[:40]), reason=exc.reason)
    country = escape(country_name(number.region, t.language))
    local = f"{flag(number.region)} *{number.display}* — {country}"
    try:
        check = await services.santo.check_number(number.msisdn)
    except SantoError as exc:
        return t("lookups.verify.check_failed", number=local, problem=explain(t, exc))
    verdict = t("lookups.verify.valid" if check.valid else "lookups.verify.not_valid")
    if check.region:
        where = outside(country_name(check.region, t.language), 100)  # the platform's region
        verdict = t("lookups.verify.valid_in", verdict=verdict, country=where)
    return t("lookups.verify.says", number=local, verdict=verdict)


async def status_text(services: Services, t: Texts, args: str) -> str:
    words = args.split()
    if not words or not _MSGID.match(words[0]):
        return escape(t("lookups.status.which"))
    msgid = words[0]
    number = None
    if len(words) > 1:
        try:
            number = parse_number(" ".join(words[1:])).msisdn
        except NumberError as exc:
            return t("lookups.status.not_a_number", number=code(" ".join(words[1:])[:40]), reason=exc.reason)
    stored = {r.number: r for r in await numbers_for_msgid(services.db, msgid)}
    if number:
        stored = {n: r for n, r in stored.items() if n == number}
    try:
        platform = {s.number: s.state for s in await services.santo.report_status(msgid, number)}
        platform_note = ""
    except SantoError as exc:
        platform, platform_note = {}, t("lookups.status.unreadable", problem=explain(t, exc))
    numbers = list(dict.fromkeys([*stored, *platform]))
    if not numbers:
        return t("lookups.status.unknown_msgid", msgid=code(msgid)) + platform_note
    lines = []
    for n in numbers[:MAX_STATUS_LINES]:
        ours = t(
            f"lookups.state.{STATES[NumberStatus(stored[n].status)]}"
            if n in stored
            else "lookups.status.not_from_here"
        )
        theirs = (
            t("lookups.status.platform", state=t(f"lookups.state.{PLATFORM_STATES[platform[n]]}"))
            if n in platform
            else ""
        )
        reason = ""
        failed_code = stored[n].code if n in stored and stored[n].status == NumberStatus.FAILED else None
        if failed_code:
            meaning = report_meaning("400", failed_code)
            reason = t("lookups.status.reason", meaning=meaning, code=outside(failed_code, CODE_SHOWN))
        lines.append(f"{outside(display_msisdn(n), CODE_SHOWN)} — *{ours}*{reason}{theirs}")
    if len(numbers) > MAX_STATUS_LINES:
        lines.append(t.count("lookups.status.more", len(numbers) - MAX_STATUS_LINES))
    head = t.count("lookups.status.head", len(numbers), msgid=code(msgid))
    return head + "\n" + "\n".join(lines) + platform_note


async def verify(interaction: Interaction, typed: str) -> str:
    return await verify_text(interaction.services, interaction.t, typed, await interaction.number_region())


def register(app: AsyncApp) -> None:
    commands = subcommands(app)
    commands.add(Sub.BALANCE, answer(lambda it, _rest: balance_text(it.services, it.t)))
    commands.add(Sub.PRICE, answer(lambda it, rest: price_text(it.services, it.t, rest)))
    commands.add(Sub.VERIFY, answer(verify))
    commands.add(Sub.STATUS, answer(lambda it, rest: status_text(it.services, it.t, rest)))
