"""Playing Slack's part towards our app: signed slash commands, view submissions, button clicks,
events (Workflow Builder's steps among them).

Used by the end-to-end tests and the console, with `SlackStandIn` as the Web API the app calls.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.dev.slack_standin import SlackStandIn, ViewRecord
from bot.dev.slack_standin.records import Execution


class SlackRequests:
    def __init__(
        self, app_url: str, signing_secret: str, standin: SlackStandIn, team_id: str | None = None
    ) -> None:
        self.events_url = app_url.rstrip("/") + "/slack/events"
        self.verifier = SignatureVerifier(signing_secret)
        self.standin = standin
        self.team_id = team_id or standin.team_id
        """The workspace the requests come from (one stand-in can stand for several)."""
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def signed_headers(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": str(self.verifier.generate_signature(timestamp=ts, body=body)),
        }

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """POST a raw body to /slack/events; signed unless `headers` are given."""
        async with self.session().post(
            self.events_url, data=body.encode(), headers=headers or self.signed_headers(body)
        ) as response:
            return response.status, await response.text()

    async def command(
        self, text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL", command: str = "/sms"
    ) -> tuple[int, str]:
        standin = self.standin
        fields = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": standin.team_domain,
            "channel_id": channel,
            "channel_name": standin.channel_names.get(channel, "private"),
            "user_id": user,
            "user_name": str(standin.users.get(user, {}).get("name", user)),
            "command": command,
            "text": text,
            "api_app_id": standin.app_id,
            "is_enterprise_install": "false",
            "response_url": standin.new_response_url(channel=channel, user=user),
            "trigger_id": standin.new_trigger_id(),
        }
        return await self.post(urlencode(fields))

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> tuple[int, str]:
        """Deliver an Events API event (e.g. `app_home_opened`): a signed JSON `event_callback`.
        `retry` > 0 delivers it again as Slack does when the first answer was late (the same
        `event_id`, with `X-Slack-Retry-Num`)."""
        standin = self.standin
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": self.team_id,
                "api_app_id": standin.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": event_id or f"Ev{standin.new_trigger_id().replace('.', '')[:16]}",
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": self.team_id, "user_id": standin.bot_user_id, "is_bot": True}
                ],
                "is_ext_shared_channel": False,
            }
        )
        headers = self.signed_headers(body) | {"Content-Type": "application/json"}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, headers)

    async def run_step(self, callback_id: str, inputs: dict[str, Any]) -> tuple[int, str, Execution]:
        """Run one of the app's Workflow Builder steps as a workflow does: a new execution in the
        stand-in, and its `function_executed` event, with the run's workflow token."""
        execution = self.standin.start_execution(callback_id, inputs, self.team_id)
        status, body = await self.deliver_step(execution)
        return status, body, execution

    async def deliver_step(self, execution: Execution, *, retry: int = 0) -> tuple[int, str]:
        """The `function_executed` event of `execution` (again, with `retry` > 0)."""
        definition = self.standin.functions[execution.callback_id]

        def listed(parameters: dict[str, Any]) -> list[dict[str, Any]]:
            return [{"name": name, **parameter} for name, parameter in parameters.items()]

        event = {
            "type": "function_executed",
            "function": {
                "id": f"Fn{execution.callback_id.upper()[:8]}",
                "callback_id": execution.callback_id,
                "title": definition.get("title", ""),
                "description": definition.get("description", ""),
                "type": "app",
                "input_parameters": listed(definition.get("input_parameters") or {}),
                "output_parameters": listed(definition.get("output_parameters") or {}),
                "app_id": self.standin.app_id,
                "date_created": int(execution.at),
                "date_updated": int(execution.at),
                "date_deleted": 0,
            },
            "inputs": execution.inputs,
            "function_execution_id": execution.id,
            "workflow_execution_id": execution.workflow_run,
            "event_ts": f"{execution.at:.6f}",
            "bot_access_token": execution.token,
        }
        return await self.event(event, event_id=f"Ev{execution.id}", retry=retry)

    async def open_home(self, user: str = "U0ALICE") -> tuple[int, str]:
        """The user opens the app's Home tab."""
        return await self.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": f"D{user}",
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            }
        )

    def _base_payload(self, kind: str, user: str) -> dict[str, Any]:
        standin = self.standin
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": standin.team_domain},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": standin.app_id,
            "token": "legacy-verification-token",
            "is_enterprise_install": False,
        }

    async def submit_view(
        self, view: ViewRecord, values: dict[str, dict[str, dict[str, Any]]], *, user: str = "U0ALICE"
    ) -> dict[str, Any]:
        """Submit a modal with `values` as Slack's view.state.values; apply the app's answer."""
        api_view = view.to_api(self.team_id, self.standin.app_id, self.standin.bot_id)
        api_view["state"] = {"values": values}
        payload = self._base_payload("view_submission", user)
        payload |= {"view": api_view, "trigger_id": self.standin.new_trigger_id(), "response_urls": []}
        status, body = await self.interact(payload)
        if status != 200:
            raise AssertionError(f"view submission answered HTTP {status}: {body}")
        answer: dict[str, Any] = json.loads(body) if body.strip() else {}
        self.standin.answer_view_submission(view.id, answer)
        return answer

    async def close_view(self, view: ViewRecord, *, user: str = "U0ALICE") -> bool:
        """Close a modal as its Close button does: Slack tells the app (`view_closed`) only when
        the view asked for it (`notify_on_close`). True if the app was told."""
        api_view = view.to_api(self.team_id, self.standin.app_id, self.standin.bot_id)
        if not api_view.get("notify_on_close"):
            return False
        payload = self._base_payload("view_closed", user) | {"view": api_view, "is_cleared": False}
        status, body = await self.interact(payload)
        if status != 200:
            raise AssertionError(f"view_closed answered HTTP {status}: {body}")
        return True

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        response_url: str | None = None,
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> tuple[int, str]:
        """Press a button in a message (ephemeral or not) in `channel`; `thread_ts` when the
        message is a reply in a thread."""
        payload = self._base_payload("block_actions", user)
        container = {"type": "message", "channel_id": channel, "message_ts": message_ts or "0"}
        message = {"type": "message", "ts": message_ts or "0"}
        if thread_ts is not None:
            container["thread_ts"] = message["thread_ts"] = thread_ts
        payload |= {
            "channel": {"id": channel, "name": self.standin.channel_names.get(channel, "")},
            "container": container,
            "message": message,
            "trigger_id": self.standin.new_trigger_id(),
            "response_url": response_url
            or self.standin.new_response_url(channel=channel, user=user, message_ts=message_ts),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "actions",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return await self.interact(payload)
