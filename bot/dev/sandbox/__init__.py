"""A sandbox Santo platform: the manual's HTTP API, simulated in-process, free of charge.

Tests, the terminal console and new users talk to it instead of the paid service. It answers
the manual's endpoints (`/submit`, `/get-balance`, `/verifyPhoneNumber`, `/get-pricing`,
`/get-rptstatus`) in the manual's exact shapes, validates like the platform (error codes of
manual 5.1), charges a balance, and delivers status reports (manual 4.3) to a callback URL.

Run it alone with `python -m bot sandbox` (account `Test101`, password `Test101`), or mount
it: `parent.add_subapp("/sandbox", create_sandbox_app(SandboxConfig()))`.

It judges requests with its own rules, written from the manual (`bot.dev.sandbox.rules`), never
with the app's validators, so a test catches the app sending what the platform refuses.
Destinations are bare MSISDN digits (`8613910825657`): a `+`, a leading `0` or `00`, a `0` after
the country code, spaces, an unknown country code or a length no mobile number of the country has
are rejected with 0110.

How a number's report turns out, first rule that applies:

1. `SandboxConfig.forced` (or `POST /_sandbox/force`, or `SANDBOX_STATE.force()`):
   MSISDN → `DELIVRD`, `401`, `402`, `403`, `404`, `501` or `none`.
2. The demo convention, on the number's last four digits:

   | ends in | report | example |
   |---|---|---|
   | `0401` | failed, `400|401` (no permission / balance) | `8613910820401` |
   | `0402` | failed, `400|402` (forbidden keyword) | `8613910820402` |
   | `0403` | failed, `400|403` (no allowlisted keyword) | `8613910820403` |
   | `0404` | failed, `400|404` (other reason) | `8613910820404` |
   | `0501` | failed, `500|501` (unknown error) | `8613910820501` |
   | `0000` | never reported: `/get-rptstatus` stays `none` | `8613910820000` |

3. The seeded mix: a `fail_rate` fraction fails (reason drawn among 401-404 and 501), a
   `no_report_rate` fraction is never reported; every other number is delivered (`DELIVRD`).
   `seed` makes the draws repeat from run to run.

Independently, a `duplicate_rate` fraction of reports is delivered twice.

Every endpoint takes GET (query) or POST (form body); `path_prefix` (e.g. `/http`) serves them
under a prefix.

Reports are produced `report_delay` seconds after acceptance: from then on `/get-rptstatus`
says `success` or `failed` (before: `none`), and, when `callback_url` is set, the platform
calls it in `report_shape`: the manual's `command=RT_REQUEST&msgid=…&da=…&dc=15&sm=<hex of GBK>&rsm=<content>`
(4.3), the family's RT_REQUEST (`mtmsgid`, `mtstat`, `mterrcode`, no number), or `multi`: the
reports due together in one MULTI_RT_REQUEST POST. An answer other than the matching
`*_RESPONSE` with ACCEPTD, or none, is retried up to `delivery_attempts` times with doubling backoff.

The phones: a number ending in `0777` writes back YES, one ending in `0778` STOP, `reply_delay`
seconds after its delivery report, as an inbound SMS (MO_REQUEST, or MULTI_MO_REQUEST batches with
`inbound_shape="multi"`) to the same URL, to the sender id used or `service_number`.

Not in the manual, for tests and demos: `GET /_sandbox/state` (balances and counters),
`POST /_sandbox/force` (`{"msisdn": "outcome"}`, null clears), `POST /_sandbox/callback`
(`{"url": "…"}`), `POST /_sandbox/mo` (`{"from": "+86…", "text": "Hello", "dc": 8}`: a phone
writes now; `SANDBOX_STATE.write()` in-process). Request logs show `cppwd=***`, never a password.
"""

from bot.dev.sandbox.app import create_sandbox_app
from bot.dev.sandbox.config import SandboxConfig
from bot.dev.sandbox.state import SANDBOX_STATE, SandboxState

__all__ = ["SANDBOX_STATE", "SandboxConfig", "SandboxState", "create_sandbox_app"]
