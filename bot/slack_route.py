"""`POST /slack/events`: nothing from a request reaches Bolt before its signature is checked.

Bolt's own check raises on a malformed timestamp or signature, and its error handler then sees the
unverified body; a body that is not UTF-8, JSON or form data makes Bolt raise before any check.
So the route checks the signature on the raw bytes first (401), then parses (400), and only then
dispatches: what Bolt sees has been signed by Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.services import SERVICES

log = logging.getLogger(__name__)

BOLT = web.AppKey("bolt", AsyncApp)
SIGNING_SECRET = web.AppKey("slack_signing_secret", bytes)
MAX_AGE = 5 * 60
"""Seconds a signed request stays valid, as Slack documents."""


def signed_by_slack(secret: bytes, headers: Any, body: bytes, now: float) -> bool:
    """Slack's v0 signature over the raw bytes, fresh within 5 minutes; False for anything malformed.

    Written out rather than slack_sdk's `SignatureVerifier`, which raises instead of answering
    for a non-numeric timestamp, a non-ASCII signature or a body that is not UTF-8."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):
        return False
    if abs(now - int(timestamp)) > MAX_AGE:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={expected}".encode(), signature.encode())


async def slack_events(request: web.Request) -> web.StreamResponse:
    if request.app[SERVICES].stopping.is_set():  # work started now would be cut short
        raise web.HTTPServiceUnavailable(text="shutting down; try again")
    body = await request.read()
    secret = request.app.get(SIGNING_SECRET)
    if secret is None or not signed_by_slack(secret, request.headers, body, time.time()):
        log.warning("refused a request to /slack/events without a valid Slack signature")
        raise web.HTTPUnauthorized(text="invalid signature")
    if (request.charset or "utf-8").lower().replace("-", "") != "utf8":
        log.warning("refused a signed request to /slack/events in charset %.40r", request.charset)
        raise web.HTTPBadRequest(text="the body must be UTF-8")
    try:
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"), query=request.query_string, headers=dict(request.headers)
        )
    except Exception as exc:  # any way a signed body fails to parse is the sender's mistake
        log.warning("refused a signed request to /slack/events that cannot be read (%s)", type(exc).__name__)
        raise web.HTTPBadRequest(text="unreadable request body") from None
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))
