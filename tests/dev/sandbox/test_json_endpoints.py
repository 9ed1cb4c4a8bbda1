"""Balance, pricing, number check and report status: the manual's JSON, byte for byte."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.dev.sandbox.pricing import price_for
from bot.domain.numbers import regions
from tests.dev.sandbox.conftest import CN, CPID, PASSWORD, US, Sandbox, StartSandbox

AUTH = {"cpid": CPID, "cppwd": PASSWORD}


@pytest.mark.parametrize("path", ["/get-balance", "/verifyPhoneNumber"])
async def test_balance_matches_manual(sandbox: Sandbox, path: str) -> None:
    body = await sandbox.get(path, **AUTH)
    assert body == '{"cpid":"Test101","errcode":"000","mtstat":"ACCEPTD","balance":100.00}'


@pytest.mark.parametrize("path", ["/get-balance", "/verifyPhoneNumber", "/get-pricing", "/get-rptstatus"])
async def test_auth_errors_on_json_endpoints(sandbox: Sandbox, path: str) -> None:
    wrong = await sandbox.get(path, cpid=CPID, cppwd="nope", countryCode="CN", msgid="1")
    assert wrong == '{"cpid":"Test101","errcode":"0106","mtstat":"REJECTD"}'
    unknown = await sandbox.get(path, cpid="Nobody", cppwd=PASSWORD, countryCode="CN", msgid="1")
    assert unknown == '{"cpid":"Nobody","errcode":"0104","mtstat":"REJECTD"}'
    missing = await sandbox.get(path, cpid=CPID, countryCode="CN", msgid="1")
    assert missing == '{"cpid":"Test101","errcode":"0100","mtstat":"REJECTD"}'


async def test_pricing_matches_manual_for_china(sandbox: Sandbox) -> None:
    body = await sandbox.get("/get-pricing", **AUTH, countryCode="CN")
    assert body == (
        '{"cpid":"Test101","errcode":"000","mtstat":"ACCEPTD","country":"China","mtPrice":0.08,"prefix":"86"}'
    )


async def test_pricing_other_region(sandbox: Sandbox) -> None:
    body = await sandbox.json("/get-pricing", countryCode="US")
    assert list(body) == ["cpid", "errcode", "mtstat", "country", "mtPrice", "prefix"]
    assert body["country"] == "United States"
    assert body["prefix"] == "1"
    assert body["mtPrice"] == price_for("US")


@pytest.mark.parametrize("code", ["cn", "ZZ", "", "CHN"])
async def test_pricing_rejects_unknown_or_lower_case_codes(sandbox: Sandbox, code: str) -> None:
    body = await sandbox.get("/get-pricing", **AUTH, countryCode=code)
    assert body == '{"cpid":"Test101","errcode":"0100","mtstat":"REJECTD"}'


def test_every_region_has_a_deterministic_price_in_range() -> None:
    prices = {region: price_for(region) for region in regions()}
    assert prices["CN"] == Decimal("0.08")
    for region, price in prices.items():
        assert Decimal("0.02") <= price <= Decimal("0.60"), region
        assert price == price.quantize(Decimal("0.01")), region
        assert price_for(region) == price
    assert len(set(prices.values())) > 20  # derived per region, not one flat price


async def test_verify_valid_number_matches_manual(sandbox: Sandbox) -> None:
    body = await sandbox.get("/verifyPhoneNumber", **AUTH, da="8613910825657")
    assert body == (
        '{"cpid":"Test101","errcode":"000","mtstat":"ACCEPTD",'
        '"country":"CN","isValid":1,"da":"8613910825657"}'
    )


@pytest.mark.parametrize("number", ["8612345", "+8613910825657", "008613910825657", "abc", ""])
async def test_verify_invalid_number(sandbox: Sandbox, number: str) -> None:
    body = await sandbox.json("/verifyPhoneNumber", da=number)
    assert list(body) == ["cpid", "errcode", "mtstat", "country", "isValid", "da"]
    assert (body["errcode"], body["country"], body["isValid"], body["da"]) == ("000", "", 0, number)


async def test_report_status_none_then_success(sandbox_factory: StartSandbox) -> None:
    sandbox = await sandbox_factory(report_delay=0.3)
    msgid = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x"))["mtmsgid"]
    before = await sandbox.get("/get-rptstatus", **AUTH, msgid=msgid)
    assert before == (f'[{{"cpid":"Test101","errcode":"000","mtstat":"none","msgid":"{msgid}","da":"{CN}"}}]')
    await sandbox.state.drain()
    after = await sandbox.get("/get-rptstatus", **AUTH, msgid=msgid)
    assert after == (
        f'[{{"cpid":"Test101","errcode":"000","mtstat":"success","msgid":"{msgid}","da":"{CN}"}}]'
    )


async def test_report_status_per_number_and_filtered_by_da(sandbox: Sandbox) -> None:
    failing = "8613910820404"
    numbers = [CN, failing, US]
    msgid = dict(await sandbox.submit(command="MULTI_MT_REQUEST", da=",".join(numbers), sm="x"))["mtmsgid"]
    await sandbox.state.drain()
    rows = await sandbox.json("/get-rptstatus", msgid=msgid)
    assert [(row["da"], row["mtstat"]) for row in rows] == [
        (CN, "success"),
        (failing, "failed"),
        (US, "success"),
    ]
    assert all(row["msgid"] == msgid and row["errcode"] == "000" for row in rows)
    only = await sandbox.json("/get-rptstatus", msgid=msgid, da=failing)
    assert [(row["da"], row["mtstat"]) for row in only] == [(failing, "failed")]
    assert await sandbox.json("/get-rptstatus", msgid=msgid, da="8613800000000") == []


async def test_report_status_unknown_or_foreign_msgid_is_empty(
    sandbox_factory: StartSandbox,
) -> None:
    sandbox = await sandbox_factory(accounts={CPID: PASSWORD, "Other": "pw"})
    msgid = dict(await sandbox.submit(command="MT_REQUEST", da=CN, sm="x"))["mtmsgid"]
    assert await sandbox.get("/get-rptstatus", **AUTH, msgid="12345678901234567890") == "[]"
    assert await sandbox.get("/get-rptstatus", cpid="Other", cppwd="pw", msgid=msgid) == "[]"
    assert len(await sandbox.json("/get-rptstatus", msgid=msgid)) == 1


async def test_report_status_without_msgid_is_a_parameter_error(sandbox: Sandbox) -> None:
    body = await sandbox.get("/get-rptstatus", **AUTH)
    assert body == '{"cpid":"Test101","errcode":"0100","mtstat":"REJECTD"}'
