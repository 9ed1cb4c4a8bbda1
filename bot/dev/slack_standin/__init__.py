"""A recording stand-in for the Slack Web API, served by aiohttp on loopback.

Slack cannot be reached from tests or from the terminal console, so both talk to this instead:
point `AsyncWebClient(base_url=standin.api_url(url))` at it (the trailing `/` matters, see
slack-and-platform-facts.md). It answers the methods the app uses the way Slack does — same
shapes, same error strings — keeps what was posted (messages, threads, ephemerals, views,
response_url posts, uploads) and records every call in arrival order.

    standin = SlackStandIn()
    url = await serve(standin.app())          # tests/conftest.py
    standin.base_url = url                    # needed for new_response_url()
    client = AsyncWebClient(token=standin.token, base_url=standin.api_url())
    ...
    await standin.wait_for(lambda: standin.last_message("C0GENERAL") is not None)

Behaviour switches for tests: `cannot_post_in` (→ `not_in_channel`), `unknown_channels`
(→ `channel_not_found`), `expired_triggers` (→ `expired_trigger_id`), `rate_limit()` (HTTP 429 with
`Retry-After`) and `fail()` (any HTTP status). The console renders from `add_listener()`.

What it checks, like Slack: the bot token, required arguments, Block Kit limits that bite in
practice (50 blocks per message, 100 per view, 3000 characters per section text, 10 fields,
modal titles of at most 24 characters, inputs need a submit button), `chat.update` only on
existing bot messages, `views.update` hash conflicts, one exchange per trigger id, at most three
views on a modal stack, at most five posts per response_url, and a Workflow Builder step ended
once, with its own workflow token and outputs that fit the manifest.

The package: `server` (SlackStandIn: routes, dispatch, recording, waiting, faults), `state`
(the workspace and what was left in it), `records` (the recorded objects), `protocol`
(arguments and errors), `blockkit` (Block Kit checks), and one module per API family
(`auth`, `chat`, `conversations`, `users`, `views`, `files`, `oauth`, `steps`: the app's
Workflow Builder steps and the `functions.*` methods that end them), each with `HANDLERS`, its
methods by name; `response_url` answers the posts to response_urls.
"""

from bot.dev.slack_standin.records import (
    Call,
    Ephemeral,
    Listener,
    Message,
    ResponsePost,
    Upload,
    Version,
    ViewRecord,
)
from bot.dev.slack_standin.server import SlackStandIn

__all__ = [
    "Call",
    "Ephemeral",
    "Listener",
    "Message",
    "ResponsePost",
    "SlackStandIn",
    "Upload",
    "Version",
    "ViewRecord",
]
