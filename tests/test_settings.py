from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.i18n import Language
from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SANTO_CPPWD", "DATABASE_URL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_contract() -> None:
    settings = load_settings()
    assert settings.santo_base_url == "https://api2.santo.cc"
    assert settings.database_url == "sqlite:///santo-slack.db"
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.santo_balance_path == "/get-balance"
    assert settings.report_poll_after == timedelta(minutes=10)
    assert settings.report_give_up_after == timedelta(hours=72)


def test_heroku_postgres_url_becomes_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/app")
    assert load_settings().sqlalchemy_url == "postgresql+asyncpg://u:p@db.example:5432/app"


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SANTO_CPID=Acme\nSANTO_CPPWD=hunter2\nREPORT_POLL_AFTER=2m\n")
    settings = load_settings()
    assert settings.santo_cpid == "Acme"
    assert settings.santo_cppwd is not None
    assert settings.santo_cppwd.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)
    assert settings.report_poll_after == timedelta(minutes=2)


def test_malformed_settings_name_the_variable_and_the_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "PORT" in message and "1 to 65535" in message
    assert "SLACK_BOT_TOKEN" in message and "xoxb-" in message
    assert "xoxp-user-token" not in message


def test_missing_required_settings_are_listed_together() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings().require("slack_bot_token", "slack_signing_secret", "santo_cpid")
    message = str(caught.value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SANTO_CPID"):
        assert name in message


def test_the_default_language_is_english_and_takes_chinese_spelled_several_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().santo_default_language == Language.EN
    for spelling in ("zh-Hans", "zh", "zh-CN"):
        monkeypatch.setenv("SANTO_DEFAULT_LANGUAGE", spelling)
        assert load_settings().santo_default_language == Language.ZH_HANS
    monkeypatch.setenv("SANTO_DEFAULT_LANGUAGE", "fr")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SANTO_DEFAULT_LANGUAGE" in str(caught.value) and "zh-Hans" in str(caught.value)


def test_the_default_region_is_a_country_code(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().sms_default_region is None
    monkeypatch.setenv("SMS_DEFAULT_REGION", " cn ")
    assert load_settings().sms_default_region == "CN"
    monkeypatch.setenv("SMS_DEFAULT_REGION", "China")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SMS_DEFAULT_REGION" in str(caught.value) and "two-letter country code" in str(caught.value)


def test_one_workspace_and_many_at_once_is_a_clear_start_up_error() -> None:
    both = load_settings(
        slack_bot_token="xoxb-1", slack_client_id="1.2", slack_client_secret="s", slack_signing_secret="x"
    )
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN") as raised:
        both.check_mode()
    assert "SLACK_CLIENT_ID" in str(raised.value)


def test_many_workspaces_need_a_valid_secrets_key() -> None:
    missing = load_settings(slack_client_id="1.2", slack_client_secret="s", slack_signing_secret="x")
    with pytest.raises(SettingsError, match="SANTO_SECRETS_KEY"):
        missing.check_mode()
    bad = load_settings(
        slack_client_id="1.2",
        slack_client_secret="s",
        slack_signing_secret="x",
        santo_secrets_key="not-a-key",
    )
    with pytest.raises(SettingsError, match="Fernet"):
        bad.check_mode()


def test_operations_settings_default_to_text_logs_no_metrics_and_90_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LOG_FORMAT", "METRICS_TOKEN", "SANTO_KEEP_DAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.log_format, settings.metrics_token, settings.santo_keep_days) == ("text", None, 90)
    monkeypatch.setenv("METRICS_TOKEN", " ")
    assert load_settings().metrics_token is None  # no route open to an empty token
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    monkeypatch.setenv("SANTO_KEEP_DAYS", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "LOG_FORMAT" in str(caught.value) and "text or json" in str(caught.value)
    assert "SANTO_KEEP_DAYS" in str(caught.value) and "1 or more" in str(caught.value)


def test_socket_mode_is_gone_and_a_deploy_still_asking_for_it_is_stopped() -> None:
    settings = load_settings(slack_bot_token="xoxb-1", slack_signing_secret="x", slack_app_token="xapp-1-A-2")
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN: Socket Mode is not supported"):
        settings.check_mode()
    without = load_settings(slack_bot_token="xoxb-1")
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        without.check_mode()


def test_the_low_balance_alert_takes_an_amount_and_a_channel_id_or_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert settings.santo_low_balance is None and settings.santo_alert_channel is None
    monkeypatch.setenv("SANTO_LOW_BALANCE", "12.50")
    monkeypatch.setenv("SANTO_ALERT_CHANNEL", "ops-alerts")
    settings = load_settings()
    assert settings.santo_low_balance == Decimal("12.50")
    assert settings.santo_alert_channel == "#ops-alerts"
    for typed in ("#ops-alerts", "C0123ABCD"):
        monkeypatch.setenv("SANTO_ALERT_CHANNEL", typed)
        assert load_settings().santo_alert_channel == typed
    monkeypatch.setenv("SANTO_LOW_BALANCE", "")
    monkeypatch.setenv("SANTO_ALERT_CHANNEL", " ")
    settings = load_settings()
    assert settings.santo_low_balance is None and settings.santo_alert_channel is None


@pytest.mark.parametrize("typed", ["fifty", "-5", "0", "nan", "¥50"])
def test_a_bad_low_balance_is_a_clear_settings_error(monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    monkeypatch.setenv("SANTO_LOW_BALANCE", typed)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SANTO_LOW_BALANCE" in str(caught.value)
    assert "an amount in the account's currency above 0" in str(caught.value)


def test_a_bad_alert_channel_is_a_clear_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANTO_ALERT_CHANNEL", "Ops Alerts!")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SANTO_ALERT_CHANNEL" in str(caught.value) and "#ops" in str(caught.value)
