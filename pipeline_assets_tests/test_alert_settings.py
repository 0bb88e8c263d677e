"""Alert settings, the alert's text, the log format switch and the launcher: plain Python, no server."""

import json
import logging

import dagster as dg
import pytest

from pipeline_assets.alert_message import FailureAlert, StepFailure, error_text, partition_from_tags, run_url
from pipeline_assets.alert_settings import alert_settings
from pipeline_assets.alerts import failure_alerts_from_env
from pipeline_assets.log_format import FIELDS_ATTR, JsonLinesFormatter, log_fields, log_format, run_loggers
from pipeline_assets.serve import dagster_command

EMAIL = {"PIPELINE_ALERT_SMTP_HOST": "smtp.example.test", "PIPELINE_ALERT_SMTP_TO": "a@example.test"}


def test_no_variable_means_alerts_off():
    settings = alert_settings({})
    assert not settings.enabled and settings.email is None and settings.slack_channel is None


def test_email_settings_with_their_defaults():
    email = alert_settings({**EMAIL, "PIPELINE_ALERT_SMTP_USER": "bot@example.test"}).email
    assert (email.port, email.starttls, email.sender, email.recipients) == (
        587,
        True,
        "bot@example.test",
        ("a@example.test",),
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"PIPELINE_ALERT_SMTP_HOST": "smtp.example.test", "PIPELINE_ALERT_SMTP_FROM": "x@y"},
            "PIPELINE_ALERT_SMTP_TO",
        ),
        ({**EMAIL}, "PIPELINE_ALERT_SMTP_FROM"),
        ({**EMAIL, "PIPELINE_ALERT_SMTP_FROM": "x@y", "PIPELINE_ALERT_SMTP_PORT": "25x"}, "PIPELINE_ALERT_SMTP_PORT"),
        ({**EMAIL, "PIPELINE_ALERT_SMTP_FROM": "x@y", "PIPELINE_ALERT_SMTP_PORT": "70000"}, "PIPELINE_ALERT_SMTP_PORT"),
        ({**EMAIL, "PIPELINE_ALERT_SMTP_FROM": "x@y", "PIPELINE_ALERT_SMTP_STARTTLS": "maybe"}, "STARTTLS"),
        ({**EMAIL, "PIPELINE_ALERT_SMTP_FROM": "x@y", "PIPELINE_ALERT_SMTP_PASSWORD": "p"}, "PIPELINE_ALERT_SMTP_USER"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "PIPELINE_ALERT_SLACK_CHANNEL"),
    ],
)
def test_a_half_configured_channel_fails_naming_the_setting(env, named):
    with pytest.raises(ValueError, match=named):
        alert_settings(env)


def test_secrets_reach_the_resource_as_env_var_names_only(monkeypatch):
    env = {
        **EMAIL,
        "PIPELINE_ALERT_SMTP_USER": "bot",
        "PIPELINE_ALERT_SMTP_PASSWORD": "pw-secret-1",
        "SLACK_BOT_TOKEN": "xoxb-secret-2",
        "PIPELINE_ALERT_SLACK_CHANNEL": "#alerts",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    alerts = failure_alerts_from_env()
    assert alerts.email.password == dg.EnvVar("PIPELINE_ALERT_SMTP_PASSWORD")
    assert alerts.slack.token == dg.EnvVar("SLACK_BOT_TOKEN")
    assert "secret" not in repr(alerts)


@pytest.mark.parametrize(
    ("tags", "partition"),
    [
        ({"dagster/partition": "2024-01-03"}, "2024-01-03"),
        (
            {"dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-01-07"},
            "2024-01-01...2024-01-07",
        ),  # fmt: skip
        (
            {"dagster/asset_partition_range_start": "2024-01-02", "dagster/asset_partition_range_end": "2024-01-02"},
            "2024-01-02",
        ),  # fmt: skip
        ({}, None),
    ],
)
def test_the_partition_comes_from_the_run_tags(tags, partition):
    assert partition_from_tags(tags) == partition


def test_the_alert_names_run_job_partition_steps_errors_and_link():
    alert = FailureAlert(
        run_id="r-1",
        job="daily_job",
        partition="2024-01-02",
        steps=[StepFailure("raw_fx_rates", "bad rate")],
        run_error="Steps failed",
        run_url=run_url("https://dagster.example.test/", "r-1"),
    )
    assert alert.subject == "[pipeline-assets] run r-1 of daily_job failed for 2024-01-02 at raw_fx_rates"
    assert alert.text.splitlines() == [
        "Run: r-1",
        "Job: daily_job",
        "Partition: 2024-01-02",
        "Link: https://dagster.example.test/runs/r-1",
        "",
        "Failed steps:",
        "- raw_fx_rates: bad rate",
    ]


def test_a_run_that_failed_outside_any_step_shows_the_run_error():
    alert = FailureAlert("r-2", "daily_job", None, [], "the run worker died", None)
    assert "Partition: (none)" in alert.text and "Error: the run worker died" in alert.text


def test_a_long_error_is_cut():
    assert len(error_text(["x" * 10_000, "cause"])) == 2000


def test_the_log_format_is_text_unless_json_and_nothing_else():
    assert log_format({}) == "text" and log_format({"PIPELINE_LOG_FORMAT": "JSON"}) == "json"
    assert run_loggers({}) is None and set(run_loggers({"PIPELINE_LOG_FORMAT": "json"})) == {"console"}
    with pytest.raises(ValueError, match="PIPELINE_LOG_FORMAT"):
        log_format({"PIPELINE_LOG_FORMAT": "xml"})


def test_a_plain_record_becomes_one_json_line_with_the_project_fields():
    record = logging.LogRecord("pipeline", logging.INFO, __file__, 1, "%s rows", ("7",), None)
    setattr(record, FIELDS_ATTR, log_fields(partition="2024-01-01", counts={"rows": 7})[FIELDS_ATTR])
    line = JsonLinesFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["event"] == "7 rows" and entry["level"] == "info" and entry["logger"] == "pipeline"
    assert entry["partition"] == "2024-01-01" and entry["counts"] == {"rows": 7}


@pytest.mark.parametrize(("chosen", "dagster_format"), [("json", "json"), ("text", "colored"), ("", "colored")])
def test_the_launcher_passes_the_chosen_format_to_dagster(chosen, dagster_format):
    daemon, env = dagster_command("daemon", ["-w", "workspace.yaml"], {"PIPELINE_LOG_FORMAT": chosen})
    assert daemon[1:] == ["run", "--log-format", dagster_format, "-w", "workspace.yaml"]
    assert daemon[0].endswith("dagster-daemon")
    server, env = dagster_command("code-server", ["-m", "pipeline_assets.definitions"], {"PIPELINE_LOG_FORMAT": chosen})
    assert server[1:] == ["code-server", "start", "-m", "pipeline_assets.definitions"]
    assert env["DAGSTER_CLI_CODE_SERVER_START_LOG_FORMAT"] == env["DAGSTER_CLI_API_GRPC_LOG_FORMAT"] == dagster_format


def test_the_launcher_refuses_an_unknown_process():
    with pytest.raises(ValueError, match="unknown process 'webservr'"):
        dagster_command("webservr", [], {})
