"""Files the app uploads to Slack, in the console: a send's results downloaded with its buttons,
saved where the console says; an image block that shows an uploaded file names where it is."""

from __future__ import annotations

import csv
import subprocess
from dataclasses import replace
from pathlib import Path

from openpyxl import load_workbook

from bot.dev.console.blocks import render_blocks
from bot.dev.console.files import SavedFiles
from bot.dev.console.messages import render_message
from bot.dev.slack_standin import Message, Upload
from tests.dev.console.test_console import EN, NAMES, PROMPT, ZH, after, console


def test_a_new_user_downloads_a_sends_results_and_reads_the_weeks_stats(tmp_path: Path) -> None:
    lines = [
        "/sms send +8613910825657 Your code is 4821",
        "click 1",  # Download CSV
        "click 2",  # Download XLSX
        "/sms send +8613910825658,+8613910820402 Meeting at 3pm",
        "/sms stats 7d",
    ]
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run(
        console(tmp_path, "--script", str(script)), capture_output=True, text=True, timeout=90, cwd=tmp_path
    )
    out = run.stdout
    assert run.returncode == 0 and "Traceback" not in out + run.stderr, out + run.stderr
    assert "files the app uploads are saved in santo-files/" in out.splitlines()[0]

    clicked = after(out, PROMPT + "click 1\n").split(PROMPT)[0]
    assert "Preparing the results of this send; the file will appear in its thread." in clicked
    assert '└ Santo, in the thread of "SMS to +86 139 1082 5657' in clicked
    assert "📎 santo-send-1.csv saved as santo-files/santo-send-1.csv" in clicked
    with (tmp_path / "santo-files" / "santo-send-1.csv").open(encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert rows[0][:3] == ["Number", "Country", "Status"]
    assert rows[1][:3] == ["+8613910825657", "China", "Delivered"]

    clicked = after(out, PROMPT + "click 2\n").split(PROMPT)[0]
    assert "📎 santo-send-1.xlsx saved as santo-files/santo-send-1.xlsx" in clicked
    sheet = load_workbook(tmp_path / "santo-files" / "santo-send-1.xlsx", read_only=True).active
    assert sheet is not None
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][:3] == [
        "+8613910825657",
        "China",
        "Delivered",
    ]

    stats = after(out, PROMPT + "/sms stats 7d\n")
    assert "Sending in this workspace, last 7 days" in stats
    assert "2 sends to 3 numbers · estimated spend ≈ ¥0.24" in stats
    assert "Delivered 66.7% · Failed 33.3%" in stats
    assert "content contains a forbidden keyword (402): 1" in stats


def upload(file_id: str, filename: str, content: bytes) -> Upload:
    return Upload(file_id=file_id, filename=filename, length=len(content), content=content, completed=True)


def test_files_are_saved_under_their_names_without_overwriting(tmp_path: Path) -> None:
    files = SavedFiles(tmp_path / "out")
    first = files.save(upload("F1", "santo-send-1.csv", b"a"))
    again = files.save(upload("F2", "santo-send-1.csv", b"b"))
    odd = files.save(upload("F3", "../../etc/pass wd", b"c"))
    assert files.save(upload("F1", "santo-send-1.csv", b"changed")) == first
    assert Path(first).name == "santo-send-1.csv" and Path(again).name == "santo-send-1-2.csv"
    assert Path(odd).parent == (tmp_path / "out").resolve() and Path(odd).name == "pass_wd"
    assert [(tmp_path / "out" / n).read_bytes() for n in ("santo-send-1.csv", "santo-send-1-2.csv")] == [
        b"a",
        b"b",
    ]


def test_an_image_of_an_uploaded_file_and_a_shared_file_say_where_they_were_saved() -> None:
    names = replace(NAMES, files={"F0CHART": "santo-files/delivery.png"})
    image = {"type": "image", "slack_file": {"id": "F0CHART"}, "alt_text": "Delivery by day"}
    elsewhere = {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "Logo"}
    assert render_blocks(EN, [image, elsewhere], names).lines == [
        "[image: Delivery by day] saved as santo-files/delivery.png",
        "[image: Logo]",
    ]
    assert render_blocks(ZH, [image], names).lines == ["[图片：Delivery by day] 已保存为 santo-files/delivery.png"]
    shared = Message(
        channel="C0GENERAL",
        ts="1.2",
        thread_ts="1.1",
        text="<@U0ALICE> asked for these results: one row per number.",
        blocks=[],
        user="UBOT",
        files=[{"id": "F0CHART", "name": "delivery.png"}, {"id": "F0GONE", "name": "other.csv"}],
    )
    assert render_message(EN, shared, names).lines[1:] == [
        "      @alice asked for these results: one row per number.",
        "      📎 delivery.png saved as santo-files/delivery.png",
        "      📎 other.csv",
    ]
