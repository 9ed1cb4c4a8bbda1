"""`python -m bot console` as a user runs it: from a script, and on a terminal (a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.dev.console.blocks import mark
from bot.dev.console.mrkdwn import Names, mrkdwn
from bot.domain.spreadsheet import DEFAULT_MAX_ROWS
from bot.i18n import TEXTS, Language
from bot.views.ids import BlockId
from bot.views.send_modal import build_send_modal

PROMPT = "#general alice> "
EN, ZH = TEXTS[Language.EN], TEXTS[Language.ZH_HANS]
NAMES = Names(users={"U0ALICE": ("alice", "Alice Chen")}, channels={"C0GENERAL": "general"})


def form_answers(**answers: str) -> list[str]:
    """One line per input of the Send modal as the app builds it, for an SMS: `answers` by block
    id, the other fields left empty (their defaults). The voice language is not asked."""
    blocks = build_send_modal(TEXTS[Language.EN], "C0GENERAL", max_file_rows=DEFAULT_MAX_ROWS).to_dict()["blocks"]
    asked = [b for b in blocks if b["type"] == "input" and b["block_id"] != BlockId.LANG]
    return [answers.get(block["block_id"], "") for block in asked]


# The walk-through types +60112985587, which is one digit short for a Malaysian 011 number
# (the app rightly refuses it); the manual's number is 601129855877.
SCRIPT = [
    "/sms balance",
    "/sms price japan",
    "/sms send +8613910825657,+601129855877 hello",
    "/sms",
    *form_answers(**{BlockId.RECIPIENTS: "12345", BlockId.MESSAGE: "Meeting moved to 3pm"}),
    "+8613910825657, +447400123456",  # Recipients, asked again after the app's error
    "y",
    "/sms send +8613910825657,+8613910820402 Your code is 4821",
]


def console(tmp_path: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot",
        "console",
        "--database",
        str(tmp_path / "console.db"),
        "--report-delay",
        "0.3",
        *args,
    ]


def after(text: str, marker: str) -> str:
    """What was printed after `marker` (which must have been printed)."""
    assert marker in text, f"{marker!r} not printed"
    return text[text.index(marker) + len(marker) :]


def test_a_scripted_session_reads_like_slack(tmp_path: Path) -> None:
    script = tmp_path / "session.txt"
    script.write_text("\n".join(SCRIPT) + "\n", encoding="utf-8")
    run = subprocess.run(
        console(tmp_path, "--script", str(script)), capture_output=True, text=True, timeout=90, check=False
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "Traceback" not in out + run.stderr
    assert out.startswith("Santo for Slack console: app http://127.0.0.1:")

    balance = after(out, PROMPT + "/sms balance\n")
    assert balance.startswith(
        "Santo in #general (only visible to you):\n  Balance: ¥100.00 (account Test101)\n"
    )
    price = after(out, PROMPT + "/sms price japan\n")
    assert price.startswith(
        "Santo in #general (only visible to you):\n  🇯🇵 Japan (+81): ¥0.34 per message part."
    )

    quick = after(out, PROMPT + "/sms send +8613910825657,+601129855877 hello\n").split(PROMPT)[0]
    assert quick.startswith(
        "Santo in #general:\n  SMS to 2 numbers · sent by @alice in #general\n  │ hello\n"
    )
    pending, settled = quick.index("Pending 2"), quick.index("Delivered 2 · Failed 0 · Pending 0")
    assert pending < settled  # the counts change in place as the reports arrive
    assert "Santo in #general (updated):" in quick[pending:settled]

    modal = after(out, PROMPT + "/sms\n").split(PROMPT)[0]
    assert modal.startswith("┌─ Send SMS\n")
    asked = [line.split(": ")[0].strip() for line in modal.splitlines() if re.match(r"^  [A-Z].*: ", line)]
    assert asked[:2] == ["Recipients (optional)", "Message"] and "Type [1]" in asked
    error = "  ✗ Recipients: No valid number. 12345: too short\n"
    assert error in modal
    again = after(modal, error)  # only the wrong field is asked again, with what was typed
    assert (
        again.startswith("  (International numbers")
        and "  Recipients (optional) [12345]: +8613910825657, +447400123456\n" in again
    )
    assert asked.count("Recipients (optional)") == 1 and asked.count("Message") == 1
    assert "Recipients (optional) [12345]" in asked
    confirmation = after(modal, "┌─ Confirm send (updated)\n")
    assert "│ Send this SMS to 2 numbers into #general?" in confirmation
    assert "│ Estimated cost ¥0.44 · Balance ¥99.50" in confirmation
    assert '  Submit "Send", or b for "Back"? [y/N/b] y\n' in confirmation
    assert "✅ Sent — follow it in #general." in confirmation
    assert "│ Meeting moved to 3pm" in after(confirmation, "Santo in #general:\n")

    failing = after(out, PROMPT + "/sms send +8613910825657,+8613910820402 Your code is 4821\n")
    assert "Delivered 1 · Failed 1 · Pending 0" in failing
    thread = after(failing, '  └ Santo, in the thread of "SMS to 2 numbers · sent by @alice in #general":\n')
    assert thread.startswith(
        "      Failed (1)\n      +86 139 1082 0402 — content contains a forbidden keyword (402)\n"
    )
    assert out.rstrip().endswith("(done)")


# The same walk-through by a user whose Slack is in Chinese.
ZH_QUICK = "/sms send +8613910825657,+8613910820402 您的验证码是 4821"
ZH_SCRIPT = [
    "/sms help",
    ZH_QUICK,
    "/sms",
    *form_answers(**{BlockId.RECIPIENTS: "12345", BlockId.MESSAGE: "会议改到下午三点"}),
    "+8613910825657, +447400123456",
    "y",
    "home",
]


def test_with_a_chinese_locale_the_console_speaks_chinese(tmp_path: Path) -> None:
    script = tmp_path / "session.txt"
    script.write_text("\n".join(ZH_SCRIPT) + "\n", encoding="utf-8")
    run = subprocess.run(
        console(tmp_path, "--locale", "zh-CN", "--script", str(script)),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    banner, out = run.stdout.split("\n", 1)  # the banner is for whoever runs the process: English
    assert banner.startswith("Santo for Slack console: app http://127.0.0.1:") and "Traceback" not in out
    assert out.startswith(ZH("console.welcome", user="alice", channel="general") + "\n")

    def head(*marks: str) -> str:
        return ZH("console.head.channel", author="Santo", channel="general", marks=mark(ZH, *marks))

    usage = after(out, PROMPT + "/sms help\n")
    assert usage.startswith(f"{head('ephemeral')}\n  {mrkdwn(ZH('help.usage').splitlines()[0])}\n")

    quick = after(out, f"{PROMPT}{ZH_QUICK}\n").split(PROMPT)[0]
    assert quick.startswith(f"{head()}\n") and f"{head('updated')}\n" in quick
    headline = ZH("channel_message.headline.sms", to=ZH.count("channel_message.numbers", 2), user="U0ALICE", channel="C0GENERAL")
    thread = ZH("console.head.thread", author="Santo", parent=mrkdwn(headline, NAMES), marks="")
    assert f"  └ {thread}\n" in quick and ZH("codes.report.402") in after(quick, thread)

    form = after(out, PROMPT + "/sms\n").split(PROMPT)[0]
    recipients, optional = ZH("send.modal.recipients"), mark(ZH, "optional")
    assert f"  {ZH('console.input.prompt', label=recipients, optional=optional, default='')}12345\n" in form
    assert ZH("console.input.hint", text=ZH("console.input.one_line", newline="\\n")) in form
    assert ZH("console.input.hint", text=ZH("console.input.date_time", zone="Asia/Shanghai")) in form
    wrong = ZH("send.errors.invalid_entry", raw="12345", reason=ZH("numbers.reason.too_short"))
    error = ZH("console.input.error", label=recipients, error=ZH("send.errors.no_valid_number", shown=wrong))
    assert f"  {error}\n" in form
    confirmation = after(form, f"┌─ {ZH('send.confirm.title')}{mark(ZH, 'updated')}\n")
    submit = ZH("console.form.submit_or_back", label=ZH("send.confirm.submit"), back=ZH("send.confirm.close"))
    assert f"  {submit}y\n" in confirmation
    assert mrkdwn(ZH("send.notice.sent", channel="C0GENERAL"), NAMES) in confirmation

    home = after(out, PROMPT + "home\n")
    assert home.startswith(f"┌─ {ZH('console.view.home_tab')}\n")
    assert mrkdwn(ZH("app_home.sends.title")) in home
    assert out.rstrip().endswith(ZH("console.done"))

    english = [EN(f"console.marks.{m}") for m in ("ephemeral", "updated", "optional")]
    english += [EN("console.view.home_tab"), EN("console.done"), "You are @", "in the thread of"]
    english += ["Submit", "one line", "from now", "Recipients", "Delivered", "Balance"]
    assert [phrase for phrase in english if phrase in out] == []


class Terminal:
    """The console on a pseudo-terminal, read and typed at like a person would."""

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the console
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.output = ""
        self.code: int | None = None

    def _pump(self, wait: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the child is gone
                data = b""
            self.output += data.decode("utf-8", errors="replace").replace("\r\n", "\n")

    def read_until(self, text: str, start: int = 0, timeout: float = 20.0) -> int:
        """Wait until `text` is printed after position `start`; returns where it ends."""
        deadline = time.monotonic() + timeout
        while text not in self.output[start:]:
            assert time.monotonic() < deadline, f"{text!r} not printed; got:\n{self.output}"
            self._pump(0.1)
        return self.output.index(text, start) + len(text)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_code(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
                break
            assert time.monotonic() < deadline, f"the console did not exit; it printed:\n{self.output}"
            self._pump(0.1)
        self._pump(0.1)
        return self.code

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Kill the console if it is still running, and close the terminal."""
        if self.code is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_on_a_terminal_an_answer_comes_back_and_ctrl_d_quits(tmp_path: Path) -> None:
    with Terminal(console(tmp_path)) as terminal:
        at = terminal.read_until(PROMPT)
        terminal.type("/sms balance\r")
        at = terminal.read_until("Balance: ¥100.00 (account Test101)", at)
        terminal.read_until(PROMPT, at)
        terminal.type("\x04")  # Ctrl-D on an empty line
        assert terminal.exit_code() == 0
    assert "(only visible to you)" in terminal.output
    assert "Traceback" not in terminal.output


def test_on_a_terminal_ctrl_c_closes_a_form_then_quits(tmp_path: Path) -> None:
    with Terminal(console(tmp_path)) as terminal:
        at = terminal.read_until(PROMPT)
        terminal.type("/sms\r")
        at = terminal.read_until("  Recipients (optional): ", at)
        terminal.type("\x03")  # Ctrl-C in the form: the form closes, the console stays
        at = terminal.read_until("(form closed)", at)
        terminal.read_until(PROMPT, at)
        terminal.type("\x03")  # Ctrl-C at the prompt: the console stops cleanly
        assert terminal.exit_code() == 0
    assert "Stopping…" in terminal.output
    assert "Traceback" not in terminal.output and "KeyboardInterrupt" not in terminal.output


def test_home_tab_retry_and_a_cancelled_schedule_in_the_console(tmp_path: Path) -> None:
    script = tmp_path / "power.txt"
    script.write_text(
        "\n".join(
            [
                "/sms send +8613910825657,+8613910820402 Your code is 4821",
                "click 1",  # Retry failed (1)
                "y",
                "home",
                "/sms",
                "+8613910825658",
                "Board meeting moved to 3pm",
                "1",  # SMS: the voice language is not asked
                "",
                "",  # no file
                "+2m",
                "y",
                "click 9",  # Cancel
            ]
        )
        + "\n"
    )
    done = subprocess.run(
        [*console(tmp_path), "--script", str(script)], capture_output=True, text=True, timeout=120
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    retry = after(out, "click 1")
    assert (
        "Failed numbers" in retry
        and "+86 139 1082 0402 — content contains a forbidden keyword (402)" in retry
    )
    assert "retry of an earlier send" in retry and "The failed numbers were sent again" in retry
    home = after(out, "alice> home")
    assert "Santo · Home tab" in home and "Balance: ¥" in home and "[8 Send SMS]" in home
    assert "Your last sends" in home and "SMS to 2 numbers in #general" in home
    scheduled = after(out, "Send later (optional): +2m")
    assert "Scheduled for" in scheduled and "[9 Cancel]" in scheduled
    assert "Cancelled by @alice — nothing was sent." in after(out, "click 9")


def test_sms_from_makes_a_phone_text_the_app(tmp_path: Path) -> None:
    script = tmp_path / "phones.txt"
    script.write_text(
        "\n".join(
            [
                "/sms send +8613910825657,+8613910820777 Dinner at 8?",
                "sms-from +8613910825657 Yes, see you there",
                "sms-from +8613910825699 Who is this?",
                "sms-from",
                "sms-from 12ab hello",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        console(tmp_path, "--script", str(script)), capture_output=True, text=True, timeout=90, check=False
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "Traceback" not in out + run.stderr
    thread = '  └ Santo, in the thread of "SMS to 2 numbers · sent by @alice in #general":\n'
    sent = after(out, PROMPT + "/sms send +8613910825657,+8613910820777 Dinner at 8?\n")
    assert "Reply from +86 139 1082 0777: YES" in after(sent, thread)  # the 0777 phone answers by itself
    reply = after(out, PROMPT + "sms-from +8613910825657 Yes, see you there\n")
    assert reply.startswith(EN("console.sms_from.sent", number="+8613910825657", text="Yes, see you there"))
    assert "Reply from +86 139 1082 5657: Yes, see you there" in after(reply, thread).split(PROMPT)[0]
    stranger = after(out, PROMPT + "sms-from +8613910825699 Who is this?\n").split(PROMPT)[0]
    assert "Santo in #ops:" in stranger and "Message from +86 139 1082 5699: Who is this?" in stranger
    assert after(out, PROMPT + "sms-from\n").startswith(EN("console.sms_from.usage") + "\n")
    bad = EN("console.sms_from.bad_number", number="12ab")
    assert after(out, PROMPT + "sms-from 12ab hello\n").startswith(bad + "\n")


def in_chinese(tmp_path: Path, typed: str) -> str:
    """What a Chinese speaker's console printed for the lines `typed` (it ended well)."""
    run = subprocess.run(
        console(tmp_path, "--locale", "zh-CN", "--script", "/dev/stdin"),
        input=typed,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_the_console_help_in_chinese_lists_sms_from(tmp_path: Path) -> None:
    out = in_chinese(tmp_path, "help\nsms-from +86139\n")
    assert ZH("console.help") in out and "sms-from +8613910825657" in ZH("console.help")
    assert after(out, PROMPT + "sms-from +86139\n").startswith(ZH("console.sms_from.usage") + "\n")
