"""Duban's settings, read once from the environment (prefix DUBAN_) and an optional .env file."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///duban.db"
TELEGRAM_API_URL = "https://api.telegram.org"


def _starting(value: str, *prefixes: str) -> str:
    """The value, when it starts with one of the prefixes."""
    if not value.startswith(prefixes):
        raise ValueError("must start with " + " or ".join(prefixes))
    return value


class Settings(BaseSettings):
    """Every setting of the product; one instance is built at start-up and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="DUBAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    bot_username: str | None = None
    webhook_secret: SecretStr | None = None
    timezone: str = "Asia/Shanghai"
    # Telegram user ids that are coordinators from the start (more can join by invite).
    coordinators: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_language: Literal["zh", "en"] = "zh"

    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    period_kind: Literal["month", "quarter"] = "month"
    due_day: int = Field(default=25, ge=1, le=31)
    invite_ttl_days: int = Field(default=7, ge=1, le=365)
    invite_max_failures_per_hour: int = Field(default=5, ge=1)
    conversation_timeout_minutes: int = Field(default=30, ge=1)
    # Nudges go out from this local time on working days (never in quiet hours).
    nudge_time: time = time(9, 0)
    warn_working_days: int = Field(default=3, ge=1, le=20)
    # 逐级督办: a unit's leaders hear when a task stays red this many periods in a row (0: never)
    # and when a 催办 goes unacknowledged this many working days (0: never).
    leader_red_periods: int = Field(default=2, ge=0, le=12)
    leader_chase_working_days: int = Field(default=2, ge=0, le=20)
    # Coordinators hear this many working days before each due day which units owe a report
    # but have nobody reachable (0: never).
    coverage_working_days: int = Field(default=5, ge=0, le=20)
    # Days off and make-up working days for years the chinese-calendar package does not know
    # yet (a YAML file; see bot/calendar/workdays.py load_calendar_file).
    calendar_file: Path | None = None
    # Where the terminal console saves the pictures and files the bot sends (relative paths
    # are under the working directory; `duban console --files DIR` overrides it).
    console_files: Path = Path("duban-console-files")
    # Delivery: Telegram allows about 30 messages/s overall, 1/s per chat. Every message the
    # bot sends counts; the outbox leaves `reply_reserve_per_s` of each second to interactive
    # replies (and gives way when they need more).
    send_rate_per_s: float = Field(default=30.0, gt=0, le=1000)
    reply_reserve_per_s: int = Field(default=1, ge=0, le=1000)
    per_chat_interval_s: float = Field(default=1.0, ge=0)
    send_concurrency: int = Field(default=8, ge=1, le=64)
    max_attachment_mb: int = Field(default=20, ge=1, le=2000)
    # The coordinators' dashboard (a Telegram Mini App): its public https address (no web-app
    # button is offered without it), and how old Telegram's signed initData (and a local
    # login's session) may be.
    dashboard_url: str | None = None
    dashboard_max_age_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # GET /healthz answers 503 when the oldest message due in the outbox has waited longer, or
    # the clock's last tick is older, than these.
    health_outbox_max_age_minutes: int = Field(default=15, ge=1)
    health_tick_max_age_minutes: int = Field(default=5, ge=1)

    @field_validator("calendar_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # DUBAN_CALENDAR_FILE= (empty) means no file, not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("coordinators", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # The environment gives "123,456"; accept spaces and semicolons too.
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            return [int(p) for p in parts]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_https(cls, value: str | None) -> str | None:
        # Telegram opens Mini Apps over https only.
        if value is None or not value.strip():
            return None
        return _starting(value.strip(), "https://").rstrip("/") + "/"

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z a-z 0-9 _ - (setWebhook's secret_token).
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = _starting(value, "http://", "https://").rstrip("/")
        try:  # a malformed host or port is refused here, not deep inside the HTTP client
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it checks it
        except ValueError as exc:
            raise ValueError(f"not a usable URL ({exc})") from exc
        if not parts.hostname:
            raise ValueError("names no host")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_async(cls, value: str) -> str:
        return _starting(value, "sqlite+aiosqlite://", "postgresql+asyncpg://")

    @property
    def tz(self) -> ZoneInfo:
        """The plan's time zone as a tzinfo."""
        return ZoneInfo(self.timezone)
