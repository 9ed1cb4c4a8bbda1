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
