"""Slack mrkdwn → plain text for "Send as SMS"."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.plain_text import display_name, to_plain_text, unescape, user_ids

NAMES = {"U123": "alice", "W0ENT": "erin"}


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("hello <@U123>", "hello @alice"),
        ("<@U123|old-name> and <@W0ENT>", "@alice and @erin"),
        ("ask <@U999>", "ask @U999"),
        ("ask <@U999|bob>", "ask @bob"),
        ("in <#C123|ops> now", "in #ops now"),
        ("in <#C123>", "in #C123"),
        ("see <https://x.example/a?b=1&amp;c=2|the docs>", "see the docs (https://x.example/a?b=1&c=2)"),
        ("see <https://x.example>", "see https://x.example"),
        ("see <https://x.example|x.example>", "see https://x.example"),
        ("see <https://x.example|https://x.example>", "see https://x.example"),
        ("mail <mailto:a@b.example|a@b.example>", "mail a@b.example"),
        ("mail <mailto:a@b.example|Ann>", "mail Ann (a@b.example)"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!here|here> hi", "@here hi"),
        ("<!subteam^S0OPS|@ops-team> look", "@ops-team look"),
        ("<!subteam^S0OPS> look", "@S0OPS look"),
        ("due <!date^1392734382^{date_short}|Feb 18, 2014>", "due Feb 18, 2014"),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
        ("&amp;lt; stays literal", "&lt; stays literal"),
        (
            "label with &lt;tag&gt; <https://x.example|a &amp; b>",
            "label with <tag> a & b (https://x.example)",
        ),
        ("party :tada: :smile::+1:", "party :tada: :smile::+1:"),
        ("*bold* _it_ ~no~ `code`", "*bold* _it_ ~no~ `code`"),
        ("<not a link>", "<not a link>"),
        ("<>", "<>"),
        ("unbalanced < and > and &", "unbalanced < and > and &"),
        ("多语言 <@U123> ✓", "多语言 @alice ✓"),
    ],
)
def test_mrkdwn_becomes_plain_text(mrkdwn: str, plain: str) -> None:
    assert to_plain_text(mrkdwn, NAMES) == plain


def test_user_ids_are_found_once_in_order() -> None:
    assert user_ids("<@U2> <@U1|x> <@U2> <#C1> <!here> <@not-an-id>") == ["U2", "U1"]


def test_display_name_prefers_what_slack_shows() -> None:
    assert display_name({"name": "a", "real_name": "A B", "profile": {"display_name": "ab"}}) == "ab"
    assert display_name({"name": "a", "real_name": "A B", "profile": {"display_name": " "}}) == "A B"
    assert display_name({"name": "a"}) == "a"
    assert display_name({}) is None


_SLACKISH = st.lists(
    st.sampled_from([*"<>|@#!^&;:ltgampUWC0129 /.xhttps", "&lt;", "&gt;", "&amp;", "\n", "é", "<@U1>"]),
    max_size=60,
).map("".join)


@given(st.one_of(st.text(max_size=200), _SLACKISH), st.dictionaries(st.text(max_size=5), st.text(max_size=5)))
def test_any_text_converts_without_raising(text: str, names: dict[str, str]) -> None:
    out = to_plain_text(text, names)
    assert isinstance(out, str)
    user_ids(text)


@given(st.text(alphabet=st.characters(blacklist_characters="<>&"), max_size=200))
def test_text_without_special_characters_is_unchanged(text: str) -> None:
    assert to_plain_text(text) == text


@given(st.text(max_size=100))
def test_escaped_text_comes_back(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert unescape(escaped) == text
    assert to_plain_text(escaped) == text
