"""The configuration contract (README, "Settings"): environment variables, also read from `.env`."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import Language, parse_language
from bot.store.sealed import SealError, SecretBox

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_TOKEN_PREFIXES = {"slack_bot_token": "xoxb-"}
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_CHANNEL_NAME = re.compile(r"^#?([a-z0-9][a-z0-9_-]{0,79})$")
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def _parse_duration(value: Any) -> Any:
    """`600`, `600s`, `10m`, `72h`, `3d` → timedelta (bare numbers are seconds)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("a duration like 600, 10m, 72h or 3d")
        unit = (match.group(2) or "s").lower()
        return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[unit])
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]


def _split_ids(value: Any) -> Any:
    """`U1, U2 U3` → ["U1", "U2", "U3"] (Slack ids, comma or space separated)."""
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    return value


IdList = Annotated[list[str], NoDecode, BeforeValidator(_split_ids)]


def _split_words(value: Any) -> Any:
    """`STOP, UNSUBSCRIBE, 退订` → ["STOP", "UNSUBSCRIBE", "退订"] (comma separated)."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,，]", value) if part.strip()]
    return value


WordList = Annotated[list[str], NoDecode, BeforeValidator(_split_words)]

# What each setting should look like, for error messages.
_SHAPES = {
    "slack_bot_token": "a bot token starting with xoxb-",
    "slack_signing_secret": "the app's signing secret (Basic Information → App Credentials)",
    "slack_api_url": "an http(s) URL ending with /, e.g. https://slack.com/api/",
    "santo_base_url": "an http(s) URL, e.g. https://api2.santo.cc",
    "database_url": "sqlite:///path/to/file.db or postgres://user:pass@host:5432/db",
    "port": "a whole number from 1 to 65535, e.g. 3000",
    "santo_sandbox": "true or false",
    "santo_default_language": "en or zh-Hans",
    "sms_default_region": "a two-letter country code, e.g. CN",
    "santo_low_balance": "an amount in the account's currency above 0, e.g. 50 or 12.50",
    "santo_alert_channel": "a channel id (C0123ABCD) or name (#ops)",
    "slack_client_id": "the app's Client ID (Basic Information → App Credentials)",
    "slack_client_secret": "the app's Client Secret (Basic Information → App Credentials)",
    "santo_secrets_key": "one or more Fernet keys, comma separated, newest first "
    "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')",
    "log_format": "text or json",
    "santo_keep_days": "a whole number of days, 1 or more, e.g. 90",
    "santo_digest_channel": "a channel id (C0123456789) or name (#sms-stats)",
    "santo_digest_timezone": "an IANA timezone name, e.g. UTC, Europe/London or Asia/Shanghai",
}


class SettingsError(Exception):
    """One clear message naming the variable(s) and what they should look like."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    """Socket Mode's app-level token: no longer supported (`check_mode` refuses it)."""
    slack_api_url: str = "https://slack.com/api/"
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None

    santo_base_url: str = "https://api2.santo.cc"
    santo_cpid: str | None = None
    santo_cppwd: SecretStr | None = None
    santo_report_token: SecretStr | None = None
    santo_sandbox: bool = False
    santo_submit_path: str = "/submit"
    santo_balance_path: str = "/get-balance"
    santo_pricing_path: str = "/get-pricing"
    santo_report_status_path: str = "/get-rptstatus"
    santo_verify_path: str = "/verifyPhoneNumber"
    santo_timeout: float = Field(default=20.0, gt=0)
    santo_concurrency: int = Field(default=4, ge=1, le=32)
    santo_max_requests_per_second: float = Field(default=20.0, gt=0)
    santo_inbox_channel: str | None = None
    santo_reply_window: Duration = timedelta(days=7)
    santo_opt_out_words: WordList = ["STOP", "UNSUBSCRIBE", "TD", "T", "退订"]
    santo_opt_in_words: WordList = ["START", "订阅"]
    santo_default_language: Language = Language.EN
    santo_secrets_key: SecretStr | None = None
    santo_retention_days: int = Field(default=30, ge=0)
    santo_low_balance: Decimal | None = Field(default=None, gt=0)
    """Below this balance the app posts one alert (`bot.sending.low_balance`); unset, none."""
    santo_alert_channel: str | None = None
    """Where the low-balance alert goes (`#name` or an id); unset, to each admin's DM."""

    santo_keep_days: int = Field(default=90, ge=1)
    """Days a send's text and numbers, reports and replies are kept (`bot.reports.retention`)."""
    santo_digest_channel: str | None = None
    """Where the weekly digest goes (`bot.charts.digest`); unset, there is none."""
    santo_digest_timezone: str = "UTC"
    """Whose Monday 09:00 the digest is posted at, and whose days it counts."""

    database_url: str = "sqlite:///santo-slack.db"
    port: int = Field(default=3000, ge=1, le=65535)
    public_url: str | None = None
    log_format: Literal["text", "json"] = "text"
    metrics_token: SecretStr | None = None
    """Bearer token of GET /metrics; unset, the route does not exist."""

    sms_confirm_above_recipients: int = Field(default=10, ge=0)
    sms_confirm_above_cost: float = Field(default=10.0, ge=0)

    sms_allowed_users: IdList = []
    sms_allowed_groups: IdList = []
    sms_allowed_channels: IdList = []
    sms_admins: IdList = []
    sms_default_region: str | None = None
    sms_max_recipients: int = Field(default=100_000, ge=1)
    sms_max_file_rows: int = Field(default=100_000, ge=1)
    sms_max_cost: float | None = Field(default=None, ge=0)
    sms_user_daily_recipients: int | None = Field(default=None, ge=0)
    sms_user_daily_cost: float | None = Field(default=None, ge=0)
    sms_daily_recipients: int | None = Field(default=None, ge=0)
    sms_daily_cost: float | None = Field(default=None, ge=0)
    sms_approval_above_recipients: int | None = Field(default=None, ge=0)
    sms_approval_above_cost: float | None = Field(default=None, ge=0)
    sms_approvals_channel: str | None = None
    sms_approval_expires_after: Duration = timedelta(hours=24)
    report_poll_after: Duration = timedelta(minutes=10)
    report_give_up_after: Duration = timedelta(hours=72)
    report_reconcile_every: Duration = timedelta(seconds=30)

    @field_validator("slack_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix = _TOKEN_PREFIXES[str(info.field_name)]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"must start with {prefix}")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        """An empty token is no token: the route stays away rather than open to anyone."""
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("santo_low_balance", "santo_alert_channel", "santo_digest_channel", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        """`SANTO_LOW_BALANCE=` (set but empty) is unset, not a bad amount."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("santo_alert_channel", "santo_digest_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        """A channel id as it is; a name with its `#` (chat.postMessage takes either)."""
        if value is None:
            return None
        value = value.strip()
        if _CHANNEL_ID.match(value):
            return value
        name = _CHANNEL_NAME.match(value)
        if name is None:
            raise ValueError("must be a channel id or name")
        return "#" + name.group(1)

    @field_validator("santo_default_language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        return parse_language(value) if isinstance(value, str) else value

    @field_validator("sms_default_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
            raise ValueError("must be a two-letter country code")
        return value.strip().upper() if value else None

    @field_validator("santo_digest_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown timezone") from None
        return value.strip()

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("santo_base_url", "public_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value):
            raise ValueError("must be a sqlite:/// or postgres:// URL")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL (`postgres://` from Heroku becomes `postgresql+asyncpg://`)."""
        scheme, rest = self.database_url.split("://", 1)
        if scheme.startswith("sqlite"):
            return f"sqlite+aiosqlite://{rest}"
        return f"postgresql+asyncpg://{rest}"

    @property
    def distributed(self) -> bool:
        """One deployment for many workspaces ("Add to Slack"): each brings its own Santo account."""
        return self.slack_client_id is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_mode(self) -> None:
        """One workspace (SLACK_BOT_TOKEN) or many (SLACK_CLIENT_ID), never both; each with what
        it needs. Slack's requests come over HTTP only: Socket Mode is gone, and a deploy that
        still sets SLACK_APP_TOKEN is stopped rather than left without Slack's traffic."""
        if self.slack_app_token is not None:
            raise SettingsError(
                "Invalid settings:\n  SLACK_APP_TOKEN: Socket Mode is not supported; remove it, set "
                "SLACK_SIGNING_SECRET and point Slack at https://<your-app-host>/slack/events"
            )
        if self.distributed:
            mixed = [n for n in ("slack_bot_token", "santo_cpid", "santo_cppwd") if getattr(self, n)]
            if mixed:
                raise SettingsError(
                    "SLACK_CLIENT_ID makes one deployment serve many workspaces, each with its own Santo "
                    f"account; remove {', '.join(n.upper() for n in mixed)} (single-workspace settings) "
                    "or SLACK_CLIENT_ID"
                )
            self.require("slack_client_secret", "santo_secrets_key", "slack_signing_secret")
            assert self.santo_secrets_key is not None
            try:
                SecretBox(self.santo_secrets_key.get_secret_value())
            except SealError as exc:
                raise SettingsError(
                    f"Invalid settings:\n  SANTO_SECRETS_KEY: {exc} ({_SHAPES['santo_secrets_key']})"
                ) from None
            return
        self.require("slack_bot_token", "slack_signing_secret")

    def require(self, *names: str) -> None:
        """Fail with one message listing every required setting that is missing."""
        missing = [name for name in names if getattr(self, name) in (None, "")]
        if missing:
            lines = [f"  {name.upper()}: {_SHAPES.get(name, 'required')}" for name in missing]
            raise SettingsError("Missing settings:\n" + "\n".join(lines))


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (and `.env`); turn validation errors into one clear SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            shape = _SHAPES.get(name)
            reason = error["msg"].removeprefix("Value error, ")
            hint = f" (should be {shape})" if shape else ""
            lines.append(f"  {name.upper()}: {reason}{hint}")
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
