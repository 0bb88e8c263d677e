"""Where failure alerts go, from the environment: names and checks in one place, no Dagster."""

from collections.abc import Mapping
from dataclasses import dataclass

SMTP_HOST = "PIPELINE_ALERT_SMTP_HOST"
SMTP_PORT = "PIPELINE_ALERT_SMTP_PORT"
SMTP_USER = "PIPELINE_ALERT_SMTP_USER"
SMTP_PASSWORD = "PIPELINE_ALERT_SMTP_PASSWORD"
SMTP_FROM = "PIPELINE_ALERT_SMTP_FROM"
SMTP_TO = "PIPELINE_ALERT_SMTP_TO"
SMTP_STARTTLS = "PIPELINE_ALERT_SMTP_STARTTLS"
SLACK_TOKEN = "SLACK_BOT_TOKEN"
SLACK_CHANNEL = "PIPELINE_ALERT_SLACK_CHANNEL"
SLACK_API_URL = "PIPELINE_ALERT_SLACK_API_URL"
RUN_URL_BASE = "PIPELINE_ALERT_RUN_URL_BASE"

DEFAULT_SMTP_PORT = 587
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool
    user: str | None  # the password itself is never held here: it stays an env var until sending


@dataclass(frozen=True)
class AlertSettings:
    email: EmailSettings | None
    slack_channel: str | None  # set exactly when SLACK_BOT_TOKEN is
    slack_api_url: str | None
    run_url_base: str | None

    @property
    def enabled(self) -> bool:
        return self.email is not None or self.slack_channel is not None


def alert_settings(env: Mapping[str, str]) -> AlertSettings:
    """The alert channels ``env`` configures; a half-configured one fails naming what is missing."""
    return AlertSettings(
        email=_email(env),
        slack_channel=_slack_channel(env),
        slack_api_url=_value(env, SLACK_API_URL),
        run_url_base=_value(env, RUN_URL_BASE),
    )


def _email(env: Mapping[str, str]) -> EmailSettings | None:
    host = _value(env, SMTP_HOST)
    if host is None:
        return None
    recipients = tuple(r.strip() for r in (_value(env, SMTP_TO) or "").split(",") if r.strip())
    if not recipients:
        raise ValueError(f"{SMTP_HOST} is set but {SMTP_TO} names no recipient (comma-separated addresses)")
    user = _value(env, SMTP_USER)
    sender = _value(env, SMTP_FROM) or user
    if sender is None:
        raise ValueError(f"{SMTP_HOST} is set but neither {SMTP_FROM} nor {SMTP_USER} gives a sender address")
    if _value(env, SMTP_PASSWORD) is not None and user is None:
        raise ValueError(f"{SMTP_PASSWORD} is set but {SMTP_USER} is not")
    return EmailSettings(
        host=host,
        port=_port(env),
        sender=sender,
        recipients=recipients,
        starttls=_flag(env, SMTP_STARTTLS, default=True),
        user=user,
    )


def _slack_channel(env: Mapping[str, str]) -> str | None:
    if _value(env, SLACK_TOKEN) is None:
        return None
    channel = _value(env, SLACK_CHANNEL)
    if channel is None:
        raise ValueError(f"{SLACK_TOKEN} is set but {SLACK_CHANNEL} is not (a channel name or id, e.g. #data-alerts)")
    return channel


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _port(env: Mapping[str, str]) -> int:
    text = _value(env, SMTP_PORT)
    if text is None:
        return DEFAULT_SMTP_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{SMTP_PORT} must be a port number (1-65535), got {text!r}")
    return int(text)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (_value(env, name) or "").lower()
    if not text:
        return default
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"{name} must be true or false, got {text!r}")
