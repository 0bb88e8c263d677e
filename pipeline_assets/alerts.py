"""Run-failure alerts: a sensor on every run of the code location, sending one message by email
and to Slack (dagster-slack), each when its env vars are set (`alert_settings.py`)."""

import os
from dataclasses import asdict, fields

import dagster as dg
from dagster_slack import SlackResource
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from pipeline_assets.alert_email import AlertDeliveryError, redacted, send_email
from pipeline_assets.alert_message import FailureAlert, StepFailure, error_text, partition_from_tags, run_url
from pipeline_assets.alert_settings import (
    SLACK_TOKEN,
    SMTP_HOST,
    SMTP_PASSWORD,
    EmailSettings,
    alert_settings,
)

ALERTS_RESOURCE = "failure_alerts"


class SlackAlerts(SlackResource):
    """dagster-slack's resource plus the channel to post to and, optionally, another Web API base
    URL than slack.com's (GovSlack's, a proxy's, a test server's): SlackResource has no such field."""

    channel: str
    api_url: str | None = None

    def get_client(self) -> WebClient:
        return WebClient(self.token, base_url=self.api_url or WebClient.BASE_URL)

    def send(self, alert: FailureAlert) -> None:
        try:
            self.get_client().chat_postMessage(channel=self.channel, text=f"*{alert.subject}*\n{alert.text}")
        except (SlackClientError, OSError) as error:
            detail = redacted(f"{type(error).__name__}: {error}", self.token)
            raise AlertDeliveryError(f"Slack alert for run {alert.run_id} to {self.channel} failed: {detail}") from None


class EmailAlerts(dg.ConfigurableResource):
    host: str
    port: int
    sender: str
    recipients: list[str]
    starttls: bool = True
    user: str | None = None
    password: str | None = None  # given as EnvVar: the UI and the run config show its name only

    @classmethod
    def from_settings(cls, email: EmailSettings) -> "EmailAlerts":
        password = dg.EnvVar(SMTP_PASSWORD) if email.user is not None else None
        return cls(**asdict(email) | {"recipients": list(email.recipients), "password": password})

    def send(self, alert: FailureAlert) -> None:
        settings = {field.name: getattr(self, field.name) for field in fields(EmailSettings)}
        send_email(alert, EmailSettings(**settings | {"recipients": tuple(self.recipients)}), self.password)


class FailureAlerts(dg.ConfigurableResource):
    """Every configured alert channel; none configured means alerts are off."""

    email: EmailAlerts | None = None
    slack: SlackAlerts | None = None
    run_url_base: str | None = None

    @property
    def enabled(self) -> bool:
        return self.email is not None or self.slack is not None

    def send(self, alert: FailureAlert) -> None:
        """Try every channel, then fail naming each one that failed: one broken channel neither
        silences the others nor goes unnoticed (the sensor tick shows the error)."""
        failures = []
        for channel in (self.email, self.slack):
            if channel is None:
                continue
            try:
                channel.send(alert)
            except AlertDeliveryError as error:
                failures.append(str(error))
        if failures:
            raise AlertDeliveryError("; ".join(failures))


def failure_alerts_from_env() -> FailureAlerts:
    """The channels the environment configures, secrets passed as EnvVar (never as values)."""
    settings = alert_settings(os.environ)
    return FailureAlerts(
        email=None if settings.email is None else EmailAlerts.from_settings(settings.email),
        slack=None
        if settings.slack_channel is None
        else SlackAlerts(token=dg.EnvVar(SLACK_TOKEN), channel=settings.slack_channel, api_url=settings.slack_api_url),
        run_url_base=settings.run_url_base,
    )


def failure_alert(context: dg.RunFailureSensorContext, run_url_base: str | None) -> FailureAlert:
    """The failed run, its failed steps with their errors (from the instance's event log) and its
    partition, as one alert."""
    run = context.dagster_run
    steps = [
        StepFailure(event.step_key or "?", error_text(_error_chain(event.step_failure_data.error)))
        for event in context.get_step_failure_events()
    ]
    failure = context.failure_event
    run_error = error_text([failure.message or "", *_error_chain(getattr(failure.event_specific_data, "error", None))])
    return FailureAlert(
        run_id=run.run_id,
        job=run.job_name,
        partition=partition_from_tags(run.tags),
        steps=steps,
        run_error=run_error or None,
        run_url=run_url(run_url_base, run.run_id),
    )


def _error_chain(error) -> list[str]:
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    return messages


_said_alerts_off = False


@dg.run_failure_sensor(
    name="run_failure_alerts",
    description="Sends an alert for every failed run of this code location (email and/or Slack).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alerts(context: dg.RunFailureSensorContext, failure_alerts: FailureAlerts):
    # No monitored_jobs: every job of the code location, the UI's asset-materialisation runs included.
    if not failure_alerts.enabled:
        global _said_alerts_off
        if not _said_alerts_off:
            _said_alerts_off = True
            context.log.warning(f"failure alerts are off: set {SMTP_HOST} and/or {SLACK_TOKEN} to turn them on")
        return dg.SkipReason(f"alerts are off ({SMTP_HOST} and {SLACK_TOKEN} unset)")
    alert = failure_alert(context, failure_alerts.run_url_base)
    failure_alerts.send(alert)
    context.log.info(f"sent the failure alert for run {alert.run_id}")
    return None
