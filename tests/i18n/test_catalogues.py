"""Every text people read comes from the catalogues, in English and in Simplified Chinese."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.i18n import TEXTS, Language, Msg, catalogue, language_of_locale, parse_language

ROOT = Path(__file__).resolve().parents[2]

# Modules whose strings never reach a person in Slack: the platform client and its sandbox,
# storage, process plumbing (metrics, health), the Slack stand-in, and the console's process (its arguments, startup
# banner and errors, for whoever runs it; the console's Slack-like chrome is user-facing).
NOT_USER_FACING = {
    "bot/background.py",
    "bot/charts/draw.py",  # matplotlib's own names (fonts, placements); its words come in ChartLabels
    "bot/cli.py",
    "bot/cli_commands.py",
    "bot/dev/console/app.py",
    "bot/dev/local_server.py",
    "bot/dev/slack_requests.py",
    "bot/dev/stored_sends.py",
    "bot/domain/ratelimit.py",
    "bot/i18n/__init__.py",
    "bot/i18n/user_languages.py",
    "bot/metrics.py",  # Prometheus's help texts, for operators
    "bot/monitoring.py",  # answers the PaaS and its monitors
    "bot/reports/intake.py",  # answers the platform, not people
    "bot/reports/retention.py",  # counts for the log
    "bot/services.py",
    "bot/settings.py",
    "bot/slack_app.py",
    "bot/slack_route.py",  # answers Slack's servers, not people
    "bot/web.py",
    "bot/webserver.py",
}
NOT_USER_FACING_DIRS = ("bot/santo/", "bot/dev/sandbox/", "bot/dev/slack_standin/", "bot/store/")

# Keyword arguments of Block Kit objects and Slack calls that people read.
SHOWN_KEYWORDS = {"text", "title", "label", "placeholder", "submit", "close", "alt_text", "hint", "fallback"}
PROSE = re.compile(r"[A-Za-z]{2,}[,.:;!?')]* +\(?[A-Za-z]{2,}|[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")
LOGGERS = {"log", "logger", "logging"}


def user_facing_modules() -> list[str]:
    paths = sorted(ROOT.glob("bot/**/*.py")) + sorted(ROOT.glob("handlers/**/*.py"))
    names = [p.relative_to(ROOT).as_posix() for p in paths]
    assert len(names) > 50, f"the app's modules are not under {ROOT}"
    return [n for n in names if n not in NOT_USER_FACING and not n.startswith(NOT_USER_FACING_DIRS)]


def _literal_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in LOGGERS
    )


def hard_coded(source: str) -> list[tuple[int, str]]:
    """Literal texts in a module that look like something a person would read."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # docstrings
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # attribute docstrings
        if isinstance(node, ast.Call) and _is_log_call(node):
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Dict):
            skip.update(id(k) for k in node.keys if k is not None)  # what people type: aliases
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(
            isinstance(e, ast.Constant) for e in node.elts
        ):
            # vocabularies of single words people type (header names), not lists of sentences
            skip.update(id(e) for e in node.elts if isinstance(e.value, str) and " " not in e.value)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in SHOWN_KEYWORDS:
            text = _literal_text(node.value)
            if text is not None and id(node.value) not in skip and WORD.search(text):
                found.append((node.value.lineno, text))
                skip.add(id(node.value))
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in skip:
            text = _literal_text(node)
            if text is not None and PROSE.search(text):
                found.append((node.lineno, text))
    return sorted(found)


@pytest.mark.parametrize("module", user_facing_modules())
def test_no_user_facing_text_is_hard_coded(module: str) -> None:
    found = hard_coded((ROOT / module).read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{module}:{line}: {text!r}" for line, text in found)


def _forms(language: Language) -> dict[str, str]:
    """Keys with their count forms (`.one`, `.other`) folded into one: languages differ there."""
    folded: dict[str, str] = {}
    for key, text in catalogue(language).items():
        base = re.sub(r"\.(one|other)$", "", key)
        folded.setdefault(base, "")
        folded[base] += text
    return folded


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages() -> None:
    english, chinese = set(_forms(Language.EN)), set(_forms(Language.ZH_HANS))
    assert english, "no English catalogue found"
    assert sorted(english - chinese) == [], "missing in zh-Hans"
    assert sorted(chinese - english) == [], "missing in en"


def test_both_languages_fill_in_the_same_values() -> None:
    english, chinese = catalogue(Language.EN), catalogue(Language.ZH_HANS)
    for key in english.keys() & chinese.keys():
        assert _fields(english[key]) == _fields(chinese[key]), key
    for language in Language:
        for key in catalogue(language):
            if key.endswith(".one"):
                assert f"{key[:-4]}.other" in catalogue(language), f"{language}: {key} without .other"


def test_chinese_texts_are_chinese() -> None:
    """A catalogue entry copied over untranslated is caught: each Chinese text has Chinese in it,
    unless the English one is the same code-like word (a currency, a code)."""
    english, chinese = catalogue(Language.EN), catalogue(Language.ZH_HANS)
    untranslated = [
        key
        for key, text in chinese.items()
        if not re.search(r"[\u4e00-\u9fff]", text) and PROSE.search(english.get(key, ""))
    ]
    assert untranslated == []


def test_chinese_has_no_space_after_full_width_punctuation() -> None:
    """`余额：¥99.60`, not `余额： ¥99.60`: full-width punctuation carries its own spacing (a bold
    part ends before it: `*余额*：`, as Slack shows bold only when `*` is followed by a space or
    punctuation)."""
    spaced = [
        key for key, text in catalogue(Language.ZH_HANS).items() if re.search(r"[：，。；！？、][*_~]* ", text)
    ]
    assert spaced == []


def test_a_count_picks_its_form() -> None:
    english, chinese = TEXTS[Language.EN], TEXTS[Language.ZH_HANS]
    assert english.count("channel_message.numbers", 1) == "1 number"
    assert english.count("channel_message.numbers", 2_000) == "2,000 numbers"
    assert chinese.count("channel_message.numbers", 1) == "1 个号码"


def test_a_stored_text_renders_later_in_either_language() -> None:
    stored = Msg.of("common.explain.invalid", detail=Msg.of("codes.request.0111")).to_json()
    again = Msg.from_json(stored)
    assert TEXTS[Language.EN].render(again) == "That can't be sent: message content is empty."
    assert TEXTS[Language.ZH_HANS].render(again) == "无法发送：发送内容不能为空。"


@pytest.mark.parametrize(
    ("locale", "default", "expected"),
    [
        ("zh-CN", Language.EN, Language.ZH_HANS),
        ("zh-TW", Language.EN, Language.ZH_HANS),
        ("en-GB", Language.ZH_HANS, Language.EN),
        ("fr-FR", Language.ZH_HANS, Language.ZH_HANS),
        (None, Language.EN, Language.EN),
    ],
)
def test_slack_locales_map_to_our_languages(locale: str | None, default: Language, expected: Language) -> None:
    assert language_of_locale(locale, default) == expected


def test_the_default_language_setting_reads_what_people_write() -> None:
    assert parse_language("zh-Hans") == parse_language("zh-CN") == Language.ZH_HANS
    assert parse_language("EN") == Language.EN
    with pytest.raises(ValueError):
        parse_language("klingon")


def test_the_checker_finds_hard_coded_texts() -> None:
    source = (
        'x = f"Sent to {n} numbers"\n'
        'b = Button(text="Cancel")\n'
        'log.info("sent to %d numbers", n)\n'
        'y = t("channel_message.sent", n=n)\n'
    )
    assert [line for line, _ in hard_coded(source)] == [1, 2]
