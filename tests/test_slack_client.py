"""The Slack client's shared HTTP session, against the Slack stand-in on loopback."""

from __future__ import annotations

from bot.dev.slack_standin import SlackStandIn
from bot.slack_client import CountingWebClient, SlackHttp
from tests.conftest import Serve

GENERAL = "C0GENERAL"


async def test_clients_of_one_process_share_a_connection_and_still_call_once_it_is_closed(
    serve: Serve,
) -> None:
    standin = SlackStandIn()
    standin.base_url = await serve(standin.app())
    http = SlackHttp()
    one = CountingWebClient(token=standin.token, base_url=standin.api_url(), http=http)
    other = CountingWebClient(token=standin.token, base_url=standin.api_url(), http=http)
    posted = await one.chat_postMessage(channel=GENERAL, text="first")
    await other.chat_update(channel=GENERAL, ts=str(posted["ts"]), text="second")
    await one.chat_postMessage(channel=GENERAL, text="third")
    assert len({call.connection for call in standin.calls}) == 1

    await http.close()  # at shutdown: a call made after it goes out on a connection of its own
    await other.chat_postMessage(channel=GENERAL, text="after")
    assert standin.calls[-1].ok and standin.calls[-1].args["text"] == "after"
    assert standin.calls[-1].connection != standin.calls[0].connection
