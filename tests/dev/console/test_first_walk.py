"""What a new user's first walk through the console asked for: playing an admin, going back from
a confirmation, sending from a file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.dev.console.mrkdwn import mrkdwn
from tests.dev.console.test_console import EN, PROMPT, ZH, after, console


def run_script(tmp_path: Path, lines: list[str], *args: str) -> str:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run(
        console(tmp_path, *args, "--script", str(script)),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    return run.stdout


def test_admin_makes_the_console_user_an_admin(tmp_path: Path) -> None:
    out = run_script(tmp_path, ["/sms audit", "home"], "--admin")
    assert EN("console.welcome_admin") in out
    assert "Audit, last 7 days" in after(out, PROMPT + "/sms audit\n")
    assert "Setup health (only admins see this)" in after(out, PROMPT + "home\n")


def test_without_admin_the_user_is_not_one_in_chinese_either(tmp_path: Path) -> None:
    health = mrkdwn(ZH("app_home.health.title"))
    out = run_script(tmp_path, ["home"], "--locale", "zh-CN")
    assert ZH("console.welcome_admin") not in out and health not in out
    (tmp_path / "console.db").unlink()
    out = run_script(tmp_path, ["home"], "--locale", "zh-CN", "--admin")
    assert ZH("console.welcome_admin") in out and health in out


def test_back_from_the_confirmation_asks_the_form_again_with_what_was_typed(tmp_path: Path) -> None:
    form = ["/sms", "+8613910825657", "Hello there", "1", "", "", ""]  # no voice language for an SMS
    out = run_script(tmp_path, [*form, "b", "", "Hello again", "", "", "", "", "y"])
    modal = after(out, PROMPT + "/sms\n")
    assert "Voice language" not in modal.split("└─")[1]  # drawn in the form, never asked
    back = after(modal, '  Submit "Send", or b for "Back"? [y/N/b] b\n')
    assert back.startswith("┌─ Send SMS\n")
    assert "  Recipients (optional) [+8613910825657]: \n" in back
    assert "  Message [Hello there]: Hello again\n" in back
    assert "│ Hello again" in after(back, "┌─ Confirm send (updated)") and "Sent — follow it" in back


def test_a_quick_send_confirmation_takes_y_or_n_and_buttons_keep_their_numbers(tmp_path: Path) -> None:
    eleven = ",".join(f"+86139108256{n:02}" for n in range(11))  # above the confirmation threshold
    lines = [f"/sms send {eleven} 你好", "y", f"/sms send {eleven} 再见", "n"]
    lines += [f"/sms send {eleven} 三", "click 7", "home", "home"]  # click: the buttons stay usable
    out = run_script(tmp_path, lines, "--locale", "zh-CN")
    submit = ZH("console.form.submit", label=ZH("send.confirm.send"))
    sent = after(out, f"  {submit}y\n").split(PROMPT)[0]
    assert mrkdwn(ZH("channel_message.counts.delivered", n=11)) in sent
    cancelled = after(out, f"  {submit}n\n").split(PROMPT)[0]
    assert mrkdwn(ZH("quick.confirm.cancelled")) in cancelled
    clicked = after(out, f"  {submit}click 7\n{PROMPT}click 7\n").split(PROMPT)[0]
    assert mrkdwn(ZH("channel_message.counts.delivered", n=11)) in clicked
    first, second = after(out, PROMPT + "home\n").split(PROMPT + "home\n")
    assert "[11 " in first and "[12 " in first  # the confirmations and channel messages had 1 to 10
    assert "[11 " in second and "[12 " in second and "[13 " not in second  # drawn again: the same numbers


def test_a_send_from_a_file_with_placeholders_and_a_bad_row(tmp_path: Path) -> None:
    csv = tmp_path / "numbers.csv"
    csv.write_text("phone,name,code\n+8613910825657,Ann,4821\nnot-a-number,Cy,9\n", encoding="utf-8")
    form = ["", "Hi {name}, your code is {code}", "", ""]  # recipients, message, type, sender
    lines = [f"/sms {csv}", *form, "", "", "y"]  # the file field keeps the path given to /sms
    lines += ["/sms", *form, str(tmp_path / "missing.csv"), str(tmp_path / "notes.txt"), str(csv), "", "n"]
    out = run_script(tmp_path, lines)
    first = after(out, f"{PROMPT}/sms {csv}\n").split(PROMPT)[0]
    assert f"  Or send from a file (CSV or Excel) (optional) [{csv}]: \n" in first
    assert "│ Hi Ann, your code is 4821" in first and "row 3: not-a-number" in first
    assert "Sent — follow it in #general." in first
    second = after(out, PROMPT + "/sms\n").split(PROMPT)[0]
    assert f"  ✗ {EN('console.field.no_file', path=tmp_path / 'missing.csv', error='No such file or directory')}\n" in second
    assert f"  ✗ {EN('console.field.file_type', types='.csv, .xlsx')}\n" in second
    assert "│ Hi Ann, your code is 4821" in second


def test_the_file_field_speaks_chinese(tmp_path: Path) -> None:
    out = run_script(tmp_path, ["/sms", "", "你好", "", "", "./notes.txt"], "--locale", "zh-CN")
    assert ZH("console.input.hint", text=ZH("console.input.file")) in out
    assert ZH("console.field.file_type", types=".csv、.xlsx") in out


def test_a_low_balance_is_alerted_once_in_ops(tmp_path: Path) -> None:
    out = run_script(tmp_path, ["/sms balance", "/sms balance"], "--balance", "5")
    assert out.count("Santo in #ops:\n  ⚠️ Low balance: the Santo account Test101 has ¥5.00 left") == 1
    assert "below the alert threshold of ¥10.00" in out
