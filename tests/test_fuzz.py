"""Arbitrary input at the app's edges: no unhandled exception, no 5xx, nothing stored when refused."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.dev.slack_standin import SlackStandIn
from bot.domain.actor import Actor
from bot.i18n import TEXTS, Language
from bot.sending.parse import InputProblem, parse_quick_send, parse_quick_voice
from bot.settings import load_settings
from bot.store.tables import BadCallback, Inbound, Report
from bot.views.ids import ActionId, BlockId
from bot.web import SERVICES, create_web_app
from bot.webserver import running
from handlers.send_modal import read_form
from handlers.sms_command import split
from tests.secret_guard import register_secret

ACTOR = Actor(team_id="T1", user_id="U1", channel_id="C1")
TOKEN = register_secret("fuzz-report-token-8d1e")
PASSWORD = register_secret("fuzz-pw-5b2c-secret")
SIGNING_SECRET = register_secret("fuzz-signing-secret-77a0")
texts = st.text(max_size=300)


@given(texts)
def test_the_slash_command_parser_accepts_or_explains(text: str) -> None:
    word, rest = split(text)
    assert word == word.lower()
    for parse in (parse_quick_send, parse_quick_voice):
        try:
            result = parse(ACTOR, rest, Language.EN)
        except InputProblem as problem:
            assert str(problem)
            continue
        request = result[0] if isinstance(result, tuple) else result
        assert request.numbers and request.text.strip()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@given(
    recipients=st.none() | texts,
    message=st.none() | texts,
    kind=json_values,
    sender=st.none() | texts,
    metadata=st.none() | texts,
    junk=json_values,
)
def test_the_modal_submission_reader_accepts_or_gives_field_errors(
    recipients: str | None,
    message: str | None,
    kind: Any,
    sender: str | None,
    metadata: str | None,
    junk: Any,
) -> None:
    values = {
        BlockId.RECIPIENTS: {ActionId.RECIPIENTS: {"value": recipients}},
        BlockId.MESSAGE: {ActionId.MESSAGE: {"value": message}},
        BlockId.KIND: {
            ActionId.KIND: {"selected_option": kind if isinstance(kind, dict) else {"value": kind}}
        },
        BlockId.SENDER: {ActionId.SENDER: {"value": sender}},
        "junk": junk,
    }
    view = {"state": {"values": values}, "private_metadata": metadata}
    request, errors, _ = read_form(TEXTS[Language.EN], ACTOR, view)
    assert (request is None) == bool(errors)
    if request is not None:
        assert request.numbers and request.text.strip()


class ThreadedApp:
    """The real web app on its own event loop in a thread, for synchronous property tests."""

    def __init__(self, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.standin = SlackStandIn(token="xoxb-fuzz")
        self.folder = folder
        self.url = ""
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.main(),), daemon=True)

    async def main(self) -> None:
        self.stop = asyncio.Event()
        standin = self.standin
        async with running(standin.app()) as slack_url:
            standin.base_url = slack_url
            config = load_settings(
                slack_bot_token="xoxb-fuzz",
                slack_signing_secret=SIGNING_SECRET,
                slack_api_url=standin.api_url(),
                santo_base_url="http://127.0.0.1:9",
                santo_cpid="A",
                santo_cppwd=PASSWORD,
                santo_report_token=TOKEN,
                database_url=f"sqlite:///{self.folder / 'fuzz.db'}",
            )
            self.app = create_web_app(config)
            async with running(self.app) as url:
                self.url = url
                self.ready.set()
                await self.stop.wait()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def counts(self) -> dict[type, int]:
        async def count() -> dict[type, int]:
            async with self.app[SERVICES].db.session() as session:
                return {
                    table: int(await session.scalar(select(func.count()).select_from(table)) or 0)
                    for table in (Report, BadCallback, Inbound)
                }

        counted: dict[type, int] = self.call(count())
        return counted

    def stored(self) -> int:
        async def count() -> int:
            total = 0
            async with self.app[SERVICES].db.session() as session:
                for table in (Report, BadCallback, Inbound):
                    total += int(await session.scalar(select(func.count()).select_from(table)) or 0)
            return total

        return int(self.call(count()))


@pytest.fixture(scope="module")
def threaded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedApp]:
    app = ThreadedApp(tmp_path_factory.mktemp("fuzz"))
    app.thread.start()
    assert app.ready.wait(30)
    yield app
    assert app.stop is not None
    app.loop.call_soon_threadsafe(app.stop.set)
    app.thread.join(30)


def request(url: str, body: bytes | None, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=body, headers=headers or {}), timeout=30
        ) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


params = st.dictionaries(
    st.sampled_from(["command", "msgid", "da", "dc", "sm", "rsm", "cppwd", "x"]) | texts, texts, max_size=6
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=params, body=st.none() | st.binary(max_size=500), token=st.sampled_from([TOKEN, "wrong", ""]))
def test_the_report_route_never_fails_and_stores_nothing_it_refuses(
    threaded_app: ThreadedApp, query: dict[str, str], body: bytes | None, token: str
) -> None:
    before = threaded_app.stored()
    url = f"{threaded_app.url}/santo/reports/{urllib.parse.quote(token)}?{urllib.parse.urlencode(query)}"
    status = request(url, body)
    assert status < 500
    if token != TOKEN:
        assert status == 404
        assert threaded_app.stored() == before
    else:
        assert status in (200, 400)
        assert threaded_app.stored() == before + 1 or status == 200  # a duplicate report stores nothing new


def test_oversized_report_bodies_are_refused_unstored(threaded_app: ThreadedApp) -> None:
    before = threaded_app.stored()
    status = request(f"{threaded_app.url}/santo/reports/{TOKEN}", b"msgid=" + b"x" * 600_000)
    assert status == 413
    assert threaded_app.stored() == before


header_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40
)
content_types = (
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=bogus",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
        ]
    )
    | header_text
)
bodies = (
    st.binary(max_size=400)
    | json_values.map(lambda value: json.dumps(value).encode())
    | st.dictionaries(texts, texts | json_values.map(json.dumps), max_size=4).map(
        lambda fields: urllib.parse.urlencode(fields).encode()
    )
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    content_type=content_types,
    timestamp=st.none() | header_text | st.integers(-1, 2**40).map(str),
    signature=st.none() | header_text,
    signed=st.booleans(),
)
def test_slack_events_never_fails_and_acts_on_nothing_unsigned(
    threaded_app: ThreadedApp,
    body: bytes,
    content_type: str,
    timestamp: str | None,
    signature: str | None,
    signed: bool,
) -> None:
    headers = {"Content-Type": content_type}
    if signed:
        timestamp = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
        signature = "v0=" + digest.hexdigest()
    headers |= {"X-Slack-Request-Timestamp": timestamp} if timestamp is not None else {}
    headers |= {"X-Slack-Signature": signature} if signature is not None else {}
    calls = len(threaded_app.standin.calls)
    status = request(f"{threaded_app.url}/slack/events", body, headers)
    assert status < 500
    if not signed:
        assert status == 401
        assert len(threaded_app.standin.calls) == calls  # no response_url, no Web API call


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=params, body=bodies, content_type=content_types)
def test_report_posts_of_any_shape_never_fail(
    threaded_app: ThreadedApp, query: dict[str, str], body: bytes, content_type: str
) -> None:
    before = threaded_app.stored()
    url = f"{threaded_app.url}/santo/reports/{TOKEN}?{urllib.parse.urlencode(query)}"
    status = request(url, body, {"Content-Type": content_type})
    assert status in (200, 400)
    assert threaded_app.stored() == before + 1 or status == 200  # a duplicate report stores nothing new


ids = st.builds(lambda: uuid.uuid4().hex[:20])
"""Fresh on every draw, replays included: a 200 for an id never seen must store something."""
digits = st.text("0123456789", min_size=1, max_size=20)
stat_words = st.sampled_from(["DELIVRD", "UNDELIV", "EXPIRED", "UNKNOWN", "REJECTD"]) | texts
codings = st.sampled_from(["15", "8", "0"]) | st.text(max_size=3)


@st.composite
def hex_text(draw: st.DrawFn) -> tuple[str, str]:
    """(dc, sm): mostly text as the platform encodes it, sometimes anything at all."""
    dc = draw(codings)
    text = draw(st.text(max_size=40))
    coding = {"15": "gbk", "8": "utf-16-be", "0": "iso-8859-1"}.get(dc)
    if coding and draw(st.booleans()):
        return dc, text.encode(coding, "replace").hex()
    return dc, draw(st.text(max_size=60))


@st.composite
def uplinks(draw: st.DrawFn) -> dict[str, str]:
    """One callback in one of the five uplink shapes, with random fields (unique ids)."""
    shape = draw(st.sampled_from(["report", "family", "multi_rt", "mo", "multi_mo"]))
    if shape == "report":
        msgid = draw(ids)
        value, code = draw(st.sampled_from([("0", "DELIVRD"), ("400", "402"), ("500", "501")]))
        return {
            "command": "RT_REQUEST",
            "msgid": msgid,
            "da": draw(digits),
            "rsm": f"{msgid}|{value}|{code}||",
        }
    if shape == "family":
        return {
            "command": "RT_REQUEST",
            "mtmsgid": draw(ids),
            "mtstat": draw(stat_words),
            "mterrcode": draw(texts),
        }
    if shape == "multi_rt":
        items = draw(st.lists(st.tuples(ids, stat_words, digits), min_size=1, max_size=5))
        return {"command": "MULTI_RT_REQUEST", "rts": ",".join(f"{m}/{s}/{e}/0" for m, s, e in items)}
    if shape == "mo":
        dc, sm = draw(hex_text())
        return {
            "command": "MO_REQUEST",
            "momsgid": draw(ids),
            "sa": draw(digits),
            "da": draw(digits),
            "dc": dc,
            "sm": sm,
        }
    items = draw(st.lists(st.tuples(ids, digits, hex_text()), min_size=1, max_size=5))
    return {
        "command": "MULTI_MO_REQUEST",
        "mos": ",".join(f"{m}/{p}/1069/0/0/{dc}/{sm}" for m, p, (dc, sm) in items),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=uplinks(), post=st.booleans())
def test_every_uplink_shape_is_stored_before_its_200_and_refused_whole(
    threaded_app: ThreadedApp, fields: dict[str, str], post: bool
) -> None:
    before = threaded_app.counts()
    url = f"{threaded_app.url}/santo/reports/{TOKEN}"
    body = urllib.parse.urlencode(fields).encode()
    status = request(url, body) if post else request(f"{url}?{body.decode()}", None)
    after = threaded_app.counts()
    assert status in (200, 400)
    kept = (after[Report] - before[Report]) + (after[Inbound] - before[Inbound])
    if status == 200:
        assert kept >= 1  # every id is new: a 200 means something of it is stored
    else:
        assert kept == 0 and after[BadCallback] == before[BadCallback] + 1  # kept whole as bad, not half
