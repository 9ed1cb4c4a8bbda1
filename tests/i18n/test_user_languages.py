"""Each user's language comes from their Slack locale, asked once, never failing a request."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.dev.slack_standin import SlackStandIn
from bot.i18n import Language, region_of_locale
from bot.i18n.user_languages import UserLanguages
from tests.conftest import Serve


@pytest.fixture
async def standin(serve: Serve) -> SlackStandIn:
    standin = SlackStandIn()
    standin.base_url = await serve(standin.app())
    return standin


def languages(standin: SlackStandIn, default: Language = Language.EN, **kwargs: float) -> UserLanguages:
    return UserLanguages(AsyncWebClient(token=standin.token, base_url=standin.api_url()), default, **kwargs)


def lookups(standin: SlackStandIn) -> list[str]:
    return [str(c.args.get("user")) for c in standin.calls if c.method == "users.info"]


async def test_a_chinese_locale_reads_chinese_and_an_english_one_english(standin: SlackStandIn) -> None:
    users = languages(standin, Language.ZH_HANS)
    assert await users.of("U0WEI") == Language.ZH_HANS
    assert await users.of("U0BOB") == Language.EN
    assert all(c.args.get("include_locale") in (True, "true", "1") for c in standin.calls)


async def test_each_user_is_asked_about_once(standin: SlackStandIn) -> None:
    users = languages(standin)
    for _ in range(3):
        assert (await users.texts_for("U0WEI")).language == Language.ZH_HANS
        assert (await users.texts_for("U0ALICE")).language == Language.EN
    assert sorted(lookups(standin)) == ["U0ALICE", "U0WEI"]


async def test_a_locale_without_texts_gets_the_default(standin: SlackStandIn) -> None:
    standin.users["U0WEI"]["locale"] = "fr-FR"
    assert await languages(standin, Language.ZH_HANS).of("U0WEI") == Language.ZH_HANS
    assert await languages(standin, Language.EN).of("U0WEI") == Language.EN


async def test_when_slack_cannot_tell_the_default_is_used_and_asked_again_later(standin: SlackStandIn) -> None:
    standin.fail("users.info", times=1, status=200, error="missing_scope")
    users = languages(standin, Language.EN, retry_after=0)
    assert await users.of("U0WEI") == Language.EN
    assert await users.of("U0WEI") == Language.ZH_HANS
    assert lookups(standin) == ["U0WEI", "U0WEI"]


async def test_slack_rate_limits_and_unknown_users_fall_back_to_the_default(standin: SlackStandIn) -> None:
    standin.rate_limit("users.info", times=1, retry_after=30)
    users = languages(standin, Language.ZH_HANS)
    assert await users.of("U0BOB") == Language.ZH_HANS
    assert await users.of("U0NOBODY") == Language.ZH_HANS
    assert await users.of(None) == Language.ZH_HANS


def test_a_stored_language_renders_in_it_and_none_in_the_default() -> None:
    users = UserLanguages(AsyncWebClient(token="xoxb-unused"), Language.ZH_HANS)
    assert users.texts("en").language == Language.EN
    assert users.texts(None).language == Language.ZH_HANS
    assert users.texts("tlh").language == Language.ZH_HANS


def test_the_country_of_a_slack_locale() -> None:
    assert [region_of_locale(x) for x in ("zh-CN", "en_GB", "en", "", None, "zh-Hans")] == [
        "CN",
        "GB",
        None,
        None,
        None,
        None,
    ]
