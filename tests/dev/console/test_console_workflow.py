"""`workflow <step> …` in `python -m bot console`: a Workflow Builder step run as a workflow would,
read as a new user reads it, on a terminal."""

from __future__ import annotations

import re
from pathlib import Path

from tests.dev.console.test_console import EN, PROMPT, ZH, Terminal, after, console, in_chinese


def test_both_steps_run_from_the_console_and_show_their_outputs(tmp_path: Path) -> None:
    with Terminal(console(tmp_path)) as terminal:
        at = terminal.read_until(PROMPT)
        terminal.type(
            "workflow send_sms recipients=+8613910825657, +8613910820402, 12"
            " message=Your parcel has arrived report_channel=#general\r"
        )
        at = terminal.read_until("Numbers refused (numbers_refused): 12 — too short", at)
        sent = terminal.output[: at].rsplit("Workflow step “Send an SMS” completed:", 1)[1]
        msgid = re.search(r"Message id \(msgid\): (\d+)", sent)
        assert msgid is not None and "Numbers sent (numbers_sent): 2" in sent
        at = terminal.read_until("Delivered 1 · Failed 1 · Pending 0", at)  # the reports came
        terminal.type(f"workflow delivery_status msgid={msgid.group(1)}\r")
        at = terminal.read_until("Workflow step “Get SMS delivery status” completed:", at)
        at = terminal.read_until("  Pending (pending): 0", at)
        status = terminal.output[at - 120 : at]
        assert "  Delivered (delivered): 1\n  Failed (failed): 1\n  Pending (pending): 0" in status
        terminal.type("workflow send_sms recipients=+8613910825657 message=Hi report_channel=#nowhere\r")
        at = terminal.read_until("There is no channel #nowhere here.", at)
        terminal.type("\x04")
        assert terminal.exit_code() == 0
    assert "sent by a workflow step in #general" in terminal.output
    assert "Traceback" not in terminal.output


def test_workflow_alone_lists_the_steps_in_the_users_language(tmp_path: Path) -> None:
    out = in_chinese(tmp_path, "workflow\nworkflow send_sms message=您好\nworkflow reverse\n")
    listed = after(out, PROMPT + "workflow\n")
    assert listed.startswith(ZH("console.workflow.usage") + "\n  send_sms（发送短信）：recipients=…、message=…")
    assert "delivery_status（查询短信送达状态）：msgid=…" in listed
    assert after(out, PROMPT + "workflow send_sms message=您好\n").startswith(
        ZH("console.workflow.missing", inputs="recipients") + "\n"
    )
    unknown = after(out, PROMPT + "workflow reverse\n")
    assert unknown.startswith(ZH("console.workflow.no_step", step="reverse") + "\n")
    assert EN("console.workflow.usage") not in out
