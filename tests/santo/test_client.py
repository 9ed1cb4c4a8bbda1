"""The platform client over real loopback HTTP: the sandbox, and scripted platforms for faults."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import subprocess
import sys
import traceback
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web

from bot.dev.local_server import free_port
from bot.santo.client import SantoClient
from bot.santo.codes import VOICE_LANGUAGES, Command
from bot.santo.errors import (
    InvalidRequest,
    OutcomeUnknown,
    SantoError,
    SantoRejected,
    SantoUnavailable,
)
from bot.santo.models import BatchOutcome, NumberCheck, Price, ReportState
from tests import secret_guard
from tests.santo.conftest import (
    CPID,
    MT_OK,
    MULTI_OK,
    PASSWORD,
    WRONG_PASSWORD,
    FakePlatform,
    MakeClient,
    Sandbox,
    StartFake,
    StartSandbox,
    accept_line,
    always,
    text,
)
from tests.secret_guard import (
    FORCED_ROOT_LEVEL,
    SecretLogHandler,
    check_leaks,
    register_secret,
)

CN = "8613910825657"
CN_FAILS_402 = "8613910820402"  # the sandbox's convention: a report 400|402
US = "14155552671"


def cn_numbers(count: int) -> list[str]:
    return [f"86139108{i:05d}" for i in range(10_000, 10_000 + count)]


# ---- sending ---------------------------------------------------------------------------------


async def test_send_one_number_is_an_accepted_mt_request(client: SantoClient, sandbox: Sandbox) -> None:
    [outcome] = await client.send_sms([CN], "Hello from Acme & co: 100% 中文 +1 ✓")
    assert outcome.error is None
    assert outcome.accepted and outcome.result is not None
    assert outcome.result.code == "000"
    assert outcome.numbers == (CN,)
    message = sandbox.state.messages[outcome.result.msgid or ""]
    assert message.command is Command.MT_REQUEST
    assert message.text == "Hello from Acme & co: 100% 中文 +1 ✓"  # URL-encoded UTF-8, intact
    assert list(message.recipients) == [CN]
    assert message.sender is None


async def test_send_250_numbers_goes_out_as_three_batches(client: SantoClient, sandbox: Sandbox) -> None:
    numbers = cn_numbers(250)
    seen: list[BatchOutcome] = []

    async def on_batch(outcome: BatchOutcome) -> None:
        seen.append(outcome)

    outcomes = await client.send_sms(numbers, "Sale today", on_batch=on_batch)

    assert [len(o.numbers) for o in outcomes] == [100, 100, 50]
    assert [n for o in outcomes for n in o.numbers] == numbers
    assert all(o.accepted and o.error is None for o in outcomes)
    msgids = [o.result.msgid for o in outcomes if o.result is not None]
    assert len(set(msgids)) == 3 and None not in msgids
    assert sorted(seen, key=outcomes.index) == outcomes  # once per batch, each one
    assert len(seen) == 3
    for outcome in outcomes:
        assert outcome.result is not None
        message = sandbox.state.messages[outcome.result.msgid or ""]
        assert message.command is Command.MULTI_MT_REQUEST
        assert tuple(message.recipients) == outcome.numbers
    assert len(sandbox.state.messages) == 3
    assert (await client.balance()).amount == Decimal("100.00") - 250 * Decimal("0.08")


async def test_on_batch_sees_each_batch_as_it_lands(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    """The last batch is held until on_batch has seen a first one: no waiting for all."""
    first_seen = asyncio.Event()

    async def answer(request: web.Request) -> web.Response:
        if len(request.query["da"].split(",")) == 50:
            await first_seen.wait()
        return accept_line(request)

    fake = await fake_platform(answer)
    client = await make_client(fake.url)
    order: list[int] = []

    async def on_batch(outcome: BatchOutcome) -> None:
        order.append(len(outcome.numbers))
        first_seen.set()

    async with asyncio.timeout(5):
        outcomes = await client.send_sms(cn_numbers(250), "hi", on_batch=on_batch)
    assert order == [100, 100, 50]
    assert all(o.accepted for o in outcomes)


async def test_the_request_carries_the_manuals_parameters(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    async def answer(request: web.Request) -> web.Response:
        return accept_line(request)

    fake = await fake_platform(answer)
    client = await make_client(fake.url)
    await client.send_sms([CN], "one", sender="Acme")
    await client.send_sms([CN, US], "two")
    await client.send_voice(CN, "three", lang="en-us")
    auth = {"cpid": CPID, "cppwd": PASSWORD}
    assert fake.requests == [
        ("/submit", {"command": "MT_REQUEST", **auth, "da": CN, "sm": "one", "sa": "Acme"}),
        ("/submit", {"command": "MULTI_MT_REQUEST", **auth, "da": f"{CN},{US}", "sm": "two"}),
        ("/submit", {"command": "VO_REQUEST", **auth, "da": CN, "sm": "three", "lang": "en-us"}),
    ]


@pytest.mark.parametrize("concurrency", [1, 2, 3])
async def test_concurrency_bound_is_respected(
    fake_platform: StartFake, make_client: MakeClient, concurrency: int
) -> None:
    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return accept_line(request)

    fake = await fake_platform(answer)
    client = await make_client(fake.url, concurrency=concurrency)
    # two sends at once, 5 + 3 batches, plus a voice call: all share the bound
    results = await asyncio.gather(
        client.send_sms(cn_numbers(450), "a"),
        client.send_sms(cn_numbers(201), "b"),
        client.send_voice(CN, "c"),
    )
    assert len(fake.requests) == 5 + 3 + 1
    assert fake.max_in_flight == concurrency  # never more, and the bound is actually used
    assert all(o.accepted for o in [*results[0], *results[1]])


async def test_a_valid_sender_id_is_sent(client: SantoClient, sandbox: Sandbox) -> None:
    [outcome] = await client.send_sms([CN], "hi", sender="AcmeShop")
    assert outcome.result is not None and outcome.accepted
    assert sandbox.state.messages[outcome.result.msgid or ""].sender == "AcmeShop"


async def test_send_voice_in_english(client: SantoClient, sandbox: Sandbox) -> None:
    result = await client.send_voice(CN, "Your code is 1234", lang="en-us")
    assert result.accepted and result.code == "000" and result.msgid
    message = sandbox.state.messages[result.msgid]
    assert (message.command, message.lang) == (Command.VO_REQUEST, "en-us")
    assert result.numbers == (CN,)


# ---- rejections ------------------------------------------------------------------------------


async def test_wrong_password_is_rejected_with_0106(sandbox: Sandbox, make_client: MakeClient) -> None:
    client = await make_client(sandbox.url, cppwd=WRONG_PASSWORD)
    [outcome] = await client.send_sms([CN], "hi")
    assert outcome.error is None and outcome.result is not None
    assert not outcome.accepted
    assert outcome.result.code == "0106"
    assert str(outcome.result.meaning) == "wrong password"
    assert sandbox.state.messages == {}

    with pytest.raises(SantoRejected) as caught:
        await client.balance()
    assert (caught.value.code, str(caught.value.meaning)) == ("0106", "wrong password")
    assert str(caught.value) == "0106 — wrong password"
    with pytest.raises(SantoRejected, match="0106"):
        await client.price("CN")
    with pytest.raises(SantoRejected, match="0106"):
        await client.report_status("1")
    with pytest.raises(SantoRejected, match="0106"):
        await client.check_number(CN)


async def test_insufficient_balance_is_rejected_with_0107(client: SantoClient, sandbox: Sandbox) -> None:
    sandbox.state.set_balance(CPID, Decimal("0.05"))  # one CN message costs 0.08
    [outcome] = await client.send_sms([CN], "hi")
    assert outcome.result is not None and not outcome.accepted
    assert outcome.result.code == "0107"
    assert (await client.balance()).amount == Decimal("0.05")  # nothing charged


@pytest.mark.parametrize(
    ("text", "sender", "complaint"),
    [
        ("", None, "empty"),
        ("   \n\t", None, "empty"),
        ("hi", "Acme-Shop", "letters"),
        ("hi", "AcmeShopOnline", "at most 11"),
        ("hi", "12345678901234567", "at most 16"),
    ],
)
async def test_invalid_sms_is_refused_before_any_request(
    client: SantoClient, sandbox: Sandbox, text: str, sender: str | None, complaint: str
) -> None:
    with pytest.raises(InvalidRequest, match=complaint):
        await client.send_sms(cn_numbers(150), text, sender=sender)
    assert sandbox.state.messages == {} and sandbox.state.rejections == []


async def test_unknown_voice_language_lists_the_seven(client: SantoClient, sandbox: Sandbox) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await client.send_voice(CN, "hi", lang="fr-fr")
    message = str(caught.value)
    assert "fr-fr" in message
    assert len(VOICE_LANGUAGES) == 7
    for lang in ("zh-cn", "en-us", "ja-jp", "ko-kr", "ru-ru", "es-es", "pt-pt"):
        assert lang in message
    with pytest.raises(InvalidRequest, match="empty"):
        await client.send_voice(CN, " ", lang="en-us")
    assert sandbox.state.messages == {} and sandbox.state.rejections == []


# ---- lookups ---------------------------------------------------------------------------------


async def test_balance_is_an_exact_decimal(client: SantoClient) -> None:
    balance = await client.balance()
    assert isinstance(balance.amount, Decimal)
    assert balance.amount == Decimal("100.00") and balance.cpid == CPID
    await client.send_sms([CN, CN_FAILS_402], "hi")
    assert (await client.balance()).amount == Decimal("99.84")


async def test_price_of_china(client: SantoClient) -> None:
    price = await client.price("cn")
    assert price == Price(region="CN", country="China", price=Decimal("0.08"), prefix="86")
    assert isinstance(price.price, Decimal)


async def test_price_of_an_unknown_country_is_rejected(client: SantoClient) -> None:
    with pytest.raises(SantoRejected) as caught:
        await client.price("ZZ")
    assert caught.value.code == "0100"
    assert str(caught.value.meaning) == "request parameter error"


async def test_report_status_none_then_delivered_or_failed(
    sandbox_factory: StartSandbox, make_client: MakeClient
) -> None:
    sandbox = await sandbox_factory(report_delay=0.3)
    client = await make_client(sandbox.url)
    [outcome] = await client.send_sms([CN, CN_FAILS_402], "hi")
    assert outcome.result is not None and outcome.result.msgid
    msgid = outcome.result.msgid

    before = await client.report_status(msgid)
    assert [(s.msgid, s.number, s.state) for s in before] == [
        (msgid, CN, ReportState.NONE),
        (msgid, CN_FAILS_402, ReportState.NONE),
    ]
    await sandbox.state.drain()
    after = await client.report_status(msgid)
    assert [(s.number, s.state) for s in after] == [
        (CN, ReportState.DELIVERED),
        (CN_FAILS_402, ReportState.FAILED),
    ]
    [one] = await client.report_status(msgid, CN_FAILS_402)
    assert (one.number, one.state) == (CN_FAILS_402, ReportState.FAILED)
    assert await client.report_status("99999999999999999999") == []


async def test_check_number(client: SantoClient) -> None:
    assert await client.check_number(CN) == NumberCheck(number=CN, valid=True, region="CN")
    assert await client.check_number(US) == NumberCheck(number=US, valid=True, region="US")
    bad = "861391082"
    assert await client.check_number(bad) == NumberCheck(number=bad, valid=False, region=None)


async def test_balance_path_is_configurable(sandbox: Sandbox, make_client: MakeClient) -> None:
    manual = await make_client(sandbox.url, balance_path="/verifyPhoneNumber")
    assert (await manual.balance()).amount == Decimal("100.00")
    wrong = await make_client(sandbox.url, balance_path="/no-such-path")
    with pytest.raises(SantoUnavailable, match="HTTP 404"):
        await wrong.balance()


async def test_special_characters_in_the_password(
    sandbox_factory: StartSandbox, make_client: MakeClient
) -> None:
    password = register_secret("p&ss=w+rd %2B/#?é")
    sandbox = await sandbox_factory(accounts={CPID: password})
    client = await make_client(sandbox.url, cppwd=password)
    assert (await client.balance()).amount == Decimal("100.00")
    [outcome] = await client.send_sms([CN], "hi")
    assert outcome.accepted


# ---- faults: retries, and never a double send ------------------------------------------------


async def test_lookup_retries_a_503_twice_then_succeeds(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    statuses = [503, 503]

    async def answer(request: web.Request) -> web.Response:
        if statuses:
            return text("busy", status=statuses.pop(0))
        return text('{"cpid":"Acme01","errcode":"000","mtstat":"ACCEPTD","balance":12.34}')

    fake = await fake_platform(answer)
    client = await make_client(fake.url)
    assert (await client.balance()).amount == Decimal("12.34")
    assert fake.paths() == ["/get-balance"] * 3


async def test_lookup_gives_up_after_three_503(fake_platform: StartFake, make_client: MakeClient) -> None:
    fake = await fake_platform(always("busy", status=503))
    client = await make_client(fake.url)
    with pytest.raises(SantoUnavailable, match="HTTP 503"):
        await client.balance()
    assert len(fake.requests) == 3
    once = await make_client(fake.url, lookup_retries=0)
    with pytest.raises(SantoUnavailable):
        await once.price("CN")
    assert len(fake.requests) == 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_submit_answered_5xx_is_outcome_unknown_never_retried(
    fake_platform: StartFake, make_client: MakeClient, status: int
) -> None:
    fake = await fake_platform(always("Bad Gateway", status=status))
    client = await make_client(fake.url)
    [outcome] = await client.send_sms([CN], "hi")
    assert isinstance(outcome.error, OutcomeUnknown) and outcome.result is None
    assert f"HTTP {status}" in str(outcome.error)
    assert "may have been sent" in str(outcome.error)
    assert len(fake.requests) == 1
    with pytest.raises(OutcomeUnknown):
        await client.send_voice(CN, "hi")
    assert len(fake.requests) == 2


async def test_a_submit_past_the_timeout_is_outcome_unknown_never_retried(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    fake: FakePlatform

    async def answer(request: web.Request) -> web.Response:
        await fake.release.wait()
        return accept_line(request)

    fake = await fake_platform(answer)
    client = await make_client(fake.url, timeout=0.3)
    [outcome] = await client.send_sms([CN], "hi")
    assert isinstance(outcome.error, OutcomeUnknown)
    assert "timed out" in str(outcome.error)
    await asyncio.sleep(0.1)  # a retry would have arrived by now
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "",
        "command=MT_RESPONSE&mtstat=ACCEPTD&mterrcode=000",  # accepted, but no msgid
    ],
)
async def test_a_submit_answered_with_garbage_is_outcome_unknown(
    fake_platform: StartFake, make_client: MakeClient, body: str
) -> None:
    fake = await fake_platform(always(body, content_type="text/html"))
    client = await make_client(fake.url)
    [outcome] = await client.send_sms([CN], "hi")
    assert isinstance(outcome.error, OutcomeUnknown)
    assert "unreadable answer" in str(outcome.error)
    assert len(fake.requests) == 1


async def test_a_submit_whose_connection_drops_is_sent_only_once(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    async def answer(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()  # the platform got it, then the connection died
        await asyncio.sleep(0.05)
        return accept_line(request)

    fake = await fake_platform(answer)
    client = await make_client(fake.url)
    [outcome] = await client.send_sms([CN], "hi")
    assert isinstance(outcome.error, OutcomeUnknown)
    assert len(fake.requests) == 1  # fails: 2, the SMS went out twice


async def test_nothing_listening_is_unavailable(make_client: MakeClient) -> None:
    client = await make_client(f"http://127.0.0.1:{free_port()}")
    [outcome] = await client.send_sms([CN], "hi")
    assert isinstance(outcome.error, SantoUnavailable)
    assert not isinstance(outcome.error, OutcomeUnknown)
    assert "cannot reach the platform" in str(outcome.error)
    with pytest.raises(SantoUnavailable):
        await client.send_voice(CN, "hi")
    with pytest.raises(SantoUnavailable):
        await client.balance()


async def test_a_4xx_submit_is_unavailable_not_unknown(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    fake = await fake_platform(always("Not Found", status=404))
    client = await make_client(fake.url)
    with pytest.raises(SantoUnavailable, match="HTTP 404"):
        await client.send_voice(CN, "hi")
    assert len(fake.requests) == 1


# ---- tolerant parsing, end to end ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "msgid"),
    [
        (MT_OK, "21426847850888196661"),
        (quote(MT_OK, safe=""), "21426847850888196661"),  # URL-encoded body
        ("mtstat=ACCEPTD&x-route=hk2&mtmsgid=42&mterrcode=000&command=MT_RESPONSE\n", "42"),
        ("command=MT_RESPONSE&mtmsgid=43&mtstat=ACCEPTD&mterrcode=0\r\n", "43"),  # numeric code
    ],
)
async def test_submit_answers_in_every_shape(
    fake_platform: StartFake, make_client: MakeClient, body: str, msgid: str
) -> None:
    fake = await fake_platform(always(body))
    client = await make_client(fake.url)
    [outcome] = await client.send_sms([CN], "hi")
    assert outcome.error is None and outcome.result is not None
    assert (outcome.result.accepted, outcome.result.msgid, outcome.result.code) == (
        True,
        msgid,
        "000",
    )


async def test_multi_answer_with_the_manuals_mtterrcode(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    answers = [MULTI_OK, MULTI_OK.replace("ACCEPTD&mtterrcode=000", "REJECTD&mtterrcode=110")]

    async def answer(request: web.Request) -> web.Response:
        return text(answers.pop(0))

    fake = await fake_platform(answer)
    client = await make_client(fake.url, concurrency=1)
    first, second = await client.send_sms(cn_numbers(102), "hi")
    assert first.result is not None and second.result is not None
    assert first.result.accepted and first.result.code == "000"
    assert first.result.msgid == "21426847850888196661"
    assert first.result.command == "MULTI_MT_RESPONSE"
    assert not second.result.accepted and second.result.code == "0110"
    assert "more than 100" in str(second.result.meaning)


@pytest.mark.parametrize(
    "body",
    [
        '{"errcode": 0, "balance": 55.5, "cpid": "Acme01", "mtstat": "ACCEPTD"}',
        '{"cpid":"Acme01","errcode":"000","mtstat":"ACCEPTD","balance":"55.50"}',
        '[{"cpid":"Acme01","errcode":"000","balance":55.5}]',
    ],
)
async def test_balance_answers_in_every_shape(
    fake_platform: StartFake, make_client: MakeClient, body: str
) -> None:
    fake = await fake_platform(always(body, content_type="application/json"))
    client = await make_client(fake.url)
    assert (await client.balance()).amount == Decimal("55.5")


async def test_a_numeric_error_code_in_json_is_rejected_with_its_meaning(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    fake = await fake_platform(
        always('{"errcode": 107, "mtstat": "REJECTD"}', content_type="application/json")
    )
    client = await make_client(fake.url)
    with pytest.raises(SantoRejected) as caught:
        await client.balance()
    assert caught.value.code == "0107"
    assert str(caught.value.meaning) == "insufficient balance or credit"
    assert len(fake.requests) == 1  # a rejection is an answer: not retried


async def test_an_unreadable_lookup_answer_is_unavailable(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    fake = await fake_platform(always("<html>maintenance</html>", content_type="text/html"))
    client = await make_client(fake.url)
    with pytest.raises(SantoUnavailable, match="unreadable"):
        await client.balance()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/get-pricing", '{"errcode":"000","mtstat":"ACCEPTD","country":"China","prefix":"86"}'),
        ("/get-balance", '{"errcode":"000","mtstat":"ACCEPTD","balance":"n/a"}'),
    ],
)
async def test_a_lookup_answer_without_its_number_is_a_santo_error(
    fake_platform: StartFake, make_client: MakeClient, path: str, body: str
) -> None:
    fake = await fake_platform(always(body, content_type="application/json"))
    client = await make_client(fake.url)
    with pytest.raises(SantoError):
        await (client.price("CN") if path == "/get-pricing" else client.balance())


@pytest.mark.parametrize(
    ("body", "accepted", "code"),
    [
        ("command=MT_RESPONSE&mtmsgid=7&mtstat=ACCEPTD&mterrcode=0107", False, "0107"),
        ("command=MT_RESPONSE&mtmsgid=7&mtstat=REJECTD&mterrcode=000", False, "000"),
    ],
)
async def test_a_submit_is_accepted_only_when_status_and_code_both_say_so(
    fake_platform: StartFake, make_client: MakeClient, body: str, accepted: bool, code: str
) -> None:
    client = await make_client((await fake_platform(always(body))).url)
    [outcome] = await client.send_sms([CN], "hi")
    assert outcome.result is not None
    assert (outcome.result.accepted, outcome.result.code) == (accepted, code)


async def test_an_acceptance_without_its_code_is_outcome_unknown(
    fake_platform: StartFake, make_client: MakeClient
) -> None:
    client = await make_client(
        (await fake_platform(always("command=MT_RESPONSE&mtmsgid=7&mtstat=ACCEPTD"))).url
    )
    [outcome] = await client.send_sms([CN], "hi")
    assert isinstance(outcome.error, OutcomeUnknown) and "without an error code" in str(outcome.error)


@pytest.mark.parametrize(
    "call",
    ["balance", "check_number", "report_status"],
)
async def test_a_json_answer_without_errcode_is_unreadable_not_a_verdict(
    fake_platform: StartFake, make_client: MakeClient, call: str
) -> None:
    async def answer(request: web.Request) -> web.Response:
        body = (
            '[{"msgid": "1", "mtstat": "success", "da": "1"}]'
            if "rptstatus" in request.path
            else ('{"cpid": "Acme01", "isValid": 0, "balance": 3}')
        )
        return text(body, content_type="application/json")

    client = await make_client((await fake_platform(answer)).url)
    calls = {
        "balance": client.balance,
        "check_number": lambda: client.check_number(CN),
        "report_status": lambda: client.report_status("1"),
    }
    with pytest.raises(SantoUnavailable, match=r"unreadable.*errcode"):
        await calls[call]()


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A key and a certificate nobody vouches for (openssl, as an operator would make one)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


async def test_an_untrusted_tls_certificate_is_said_so(
    self_signed: tuple[Path, Path], make_client: MakeClient
) -> None:
    """A platform behind a certificate we cannot verify: the error says it is the certificate."""
    key, cert = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    app = web.Application()
    async def balance(request: web.Request) -> web.Response:
        return text('{"errcode":"000","balance":1}')

    app.router.add_get("/get-balance", balance)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        client = await make_client(f"https://127.0.0.1:{port}")
        with pytest.raises(SantoUnavailable, match=r"TLS certificate of 127\.0\.0\.1 is not trusted"):
            await client.balance()
    finally:
        await runner.cleanup()


# ---- the password stays secret ---------------------------------------------------------------


def _record_texts(record: logging.LogRecord) -> str:
    return secret_guard.record_text(record) + "\n" + logging.Formatter().format(record)


async def test_the_password_is_never_shown(
    caplog: pytest.LogCaptureFixture,
    sandbox: Sandbox,
    fake_platform: StartFake,
    make_client: MakeClient,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("aiohttp.access", "aiohttp.client", "aiohttp.server", "aiohttp.web", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)

    async def flaky(request: web.Request) -> web.Response:
        if request.path == "/submit":
            return text("<html>oops</html>", status=502)
        return text("busy", status=503)

    fake = await fake_platform(flaky)
    good = await make_client(sandbox.url)
    wrong = await make_client(sandbox.url, cppwd=WRONG_PASSWORD)
    broken = await make_client(fake.url)
    timing_out = await make_client(sandbox.url, timeout=0.05)
    nowhere = await make_client(f"http://127.0.0.1:{free_port()}")

    errors: list[BaseException] = []

    async def attempt(call: object) -> None:
        try:
            result = await call  # type: ignore[misc]
        except SantoError as exc:
            errors.append(exc)
        else:
            for outcome in result if isinstance(result, list) else []:
                if isinstance(outcome, BatchOutcome) and outcome.error is not None:
                    errors.append(outcome.error)

    await attempt(good.send_sms([CN, US], "hi"))
    await attempt(good.send_voice(CN, "hi", lang="en-us"))
    await attempt(good.balance())
    await attempt(good.send_sms([CN], ""))
    await attempt(good.send_voice(CN, "hi", lang="xx"))
    for client in (wrong, broken, nowhere):
        await attempt(client.send_sms([CN], "hi"))
        await attempt(client.balance())
        await attempt(client.price("CN"))
    sandbox.state.config.latency = 0.2
    await attempt(timing_out.send_sms([CN], "hi"))
    await attempt(timing_out.balance())
    sandbox.state.config.latency = 0

    kinds = {type(e) for e in errors}
    assert kinds == {InvalidRequest, SantoRejected, SantoUnavailable, OutcomeUnknown}
    for error in errors:
        shown = str(error) + repr(error) + "".join(traceback.format_exception(error))
        assert PASSWORD not in shown and WRONG_PASSWORD not in shown, shown
    for client in (good, wrong, broken):
        for shown in (repr(client), repr(client.config), str(client.config)):
            assert PASSWORD not in shown and WRONG_PASSWORD not in shown
            assert "cppwd='***'" in shown and CPID in shown

    names = {record.name for record in caplog.records}
    assert {"bot.santo.client", "bot.dev.sandbox", "aiohttp.access"} <= names
    for record in caplog.records:
        logged = _record_texts(record)
        assert PASSWORD not in logged and WRONG_PASSWORD not in logged, logged
        assert quote(PASSWORD) not in logged


# ---- the secret guard (tests/secret_guard.py) ------------------------------------------------


def test_guard_handler_reports_a_leak_masked() -> None:
    secret = "guard-9b2e-probe"
    handler = SecretLogHandler(secrets={secret})
    logger = logging.getLogger("tests.guard.probe")
    logger.propagate = False  # keep the session's own guard out of this
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("login cpid=%s cppwd=%s", CPID, "harmless")
        assert handler.take() == []
        logger.debug("GET /submit?cpid=%s&cppwd=%s", CPID, secret)
        logger.info("encoded: %s", quote("guard 9b2e/probe&x", safe=""))
        try:
            raise RuntimeError(f"boom {secret}")
        except RuntimeError:
            logger.exception("failed")
        logger.warning("extra", extra={"first_request_line": f"GET /?cppwd={secret}"})
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    leaks = handler.take()
    assert [(leak.logger, leak.level) for leak in leaks] == [
        ("tests.guard.probe", "DEBUG"),
        ("tests.guard.probe", "ERROR"),
        ("tests.guard.probe", "WARNING"),
    ]
    assert all(secret not in leak.message and "***" in leak.message for leak in leaks)
    assert leaks[0].message == f"GET /submit?cpid={CPID}&cppwd=***"
    with pytest.raises(pytest.fail.Exception) as failed:
        check_leaks(leaks)
    report = str(failed.value)
    assert "3 log record(s)" in report and "'tests.guard.probe' (DEBUG)" in report
    assert secret not in report
    check_leaks([])  # no leak, no failure


def test_guard_sees_url_encoded_forms() -> None:
    secret = "a b&c/é"
    handler = SecretLogHandler(secrets={secret})
    for shown in (quote(secret, safe=""), "a+b%26c%2F%C3%A9", quote(secret)):
        handler.handle(logging.makeLogRecord({"name": "x", "msg": f"cppwd={shown}&da=1"}))
    assert [leak.message for leak in handler.take()] == ["cppwd=***&da=1"] * 3


def test_register_secret() -> None:
    assert register_secret("reg-4f1a-secret") == "reg-4f1a-secret"
    assert "reg-4f1a-secret" in secret_guard.SECRETS
    assert PASSWORD in secret_guard.SECRETS
    for empty in ("", "   "):
        with pytest.raises(ValueError):
            register_secret(empty)


def test_guard_lets_debug_through_without_changing_caplog(
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = logging.getLogger()
    assert root.level == FORCED_ROOT_LEVEL
    assert secret_guard._GUARD.handler in root.handlers
    probe = logging.getLogger("tests.guard.caplog")
    probe.debug("debug, invisible to caplog at the default level")
    probe.info("info, invisible too")
    probe.warning("warning, seen")
    assert caplog.messages == ["warning, seen"]
    caplog.clear()
    caplog.set_level(logging.INFO, logger="tests.guard.caplog.only")
    logging.getLogger("tests.guard.caplog.only").info("seen: its logger is at INFO")
    probe.info("not seen: root is still at WARNING for caplog")
    assert caplog.messages == ["seen: its logger is at INFO"]
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    probe.debug("seen at DEBUG")
    assert caplog.messages == ["seen at DEBUG"]


PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")

GUARDED_TEST = """
import logging
from tests.secret_guard import register_secret

SECRET = register_secret("nested-5d7e-secret")

def test_leaks():
    logging.getLogger("nested.leaky").debug("calling /submit?cpid=A&cppwd=%s", SECRET)

def test_clean(caplog):
    logging.getLogger("nested.clean").debug("cppwd=***")
    assert caplog.records == []
"""


def test_guard_fails_a_leaking_test_in_a_nested_run(tmp_path: Path) -> None:
    (tmp_path / "test_nested.py").write_text(GUARDED_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    run = subprocess.run(
        [*PYTEST, "-p", "tests.secret_guard", "-rA", str(tmp_path / "test_nested.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "2 passed, 1 error" in out, out  # the leaking test passed, then errored
    assert "ERROR at teardown of test_leaks" in out, out
    assert "logger 'nested.leaky' (DEBUG): calling /submit?cpid=A&cppwd=***" in out, out
    assert "PASSED test_nested.py::test_clean" in out, out
    assert "nested-5d7e-secret" not in out.replace('register_secret("nested-5d7e-secret")', "")
