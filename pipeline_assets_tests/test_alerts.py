"""The run-failure alert sensor, evaluated on the instance after real failed runs, sending to a
real SMTP server (aiosmtpd) and a local stand-in for Slack's Web API."""

from pathlib import Path

import dagster as dg
import pytest

from pipeline_assets_tests.alert_servers import fake_slack_api, smtp_server
from pipeline_assets_tests.conftest import make_pipeline

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),  # the test server's own choice
]

SENSOR = "run_failure_alerts"
FIRST, BAD_DAY = "2024-01-01", "2024-01-02"
BAD_RATES = "currency,usd_per_unit\nEUR,1.1\nGBP,-2\n"
ERROR = f"fx_rates/date={BAD_DAY}/"  # the step's error names the file, then "line 3: currency 'GBP'"
PASSWORD = "pw-Zq7-smtp-secret"
TOKEN = "xoxb-test-9f3c-slack-secret"
SMTP_ENV = {
    "PIPELINE_ALERT_SMTP_HOST": "127.0.0.1",
    "PIPELINE_ALERT_SMTP_FROM": "pipeline@example.test",
    "PIPELINE_ALERT_SMTP_TO": "oncall@example.test, data@example.test",
    "PIPELINE_ALERT_SMTP_USER": "alerts",
    "PIPELINE_ALERT_SMTP_PASSWORD": PASSWORD,
    "PIPELINE_ALERT_SMTP_STARTTLS": "false",
}


@pytest.fixture(scope="module")
def failed_runs(tmp_path_factory):
    """Two failed runs of the code location on one instance, and the sensor's cursor from before
    them: the UI's asset job for one day (tag dagster/partition) and daily_job for a range."""
    root = tmp_path_factory.mktemp("alerts")
    with make_pipeline(str(root)) as pipeline:
        pipeline.generate(FIRST, 2, rows_per_day=50)
        fx = pipeline.landing.list_files(f"fx_rates/date={BAD_DAY}")[0]
        (Path(pipeline.settings.landing_url) / fx.key).write_text(BAD_RATES)
        cursor = _evaluate(pipeline, cursor=None).cursor  # the first tick only places the cursor
        defs = pipeline.defs
        one_day = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=pipeline.instance,
            partition_key=BAD_DAY,
            asset_selection=[dg.AssetKey("raw_fx_rates")],
            raise_on_error=False,
        )
        a_range = pipeline.run(FIRST, BAD_DAY)
        assert not one_day.success and not a_range.success
        yield pipeline, cursor, {one_day.run_id: BAD_DAY, a_range.run_id: f"{FIRST}...{BAD_DAY}"}


def _evaluate(pipeline, cursor):
    """One tick of the code location's own sensor, with the resources the code location gives it."""
    defs = pipeline.defs  # built now: the alert channels come from the environment as it is
    with dg.build_sensor_context(
        instance=pipeline.instance, cursor=cursor, sensor_name=SENSOR, resources=defs.resources
    ) as context:
        return defs.resolve_sensor_def(SENSOR).evaluate_tick(context)


def _errors(data) -> list[str]:
    return [reaction.error.to_string() for reaction in data.dagster_run_reactions if reaction.error]


def _clear_alert_env(monkeypatch):
    for name in (*SMTP_ENV, "SLACK_BOT_TOKEN", "PIPELINE_ALERT_SLACK_CHANNEL", "PIPELINE_ALERT_SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)


def _assert_names_the_failure(text: str, run_id: str, partition: str) -> None:
    assert run_id in text
    assert "raw_fx_rates" in text  # the failed step
    assert f"Partition: {partition}" in text
    assert ERROR in text and "line 3: currency 'GBP'" in text


def test_an_email_names_the_run_the_failed_step_the_partition_and_the_error(failed_runs, monkeypatch):
    pipeline, cursor, runs = failed_runs
    _clear_alert_env(monkeypatch)
    with smtp_server(login=("alerts", PASSWORD)) as inbox:
        for name, value in {**SMTP_ENV, "PIPELINE_ALERT_SMTP_PORT": str(inbox.port)}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PIPELINE_ALERT_RUN_URL_BASE", "https://dagster.example.test/")
        data = _evaluate(pipeline, cursor)
    assert _errors(data) == []
    assert len(inbox.messages) == len(runs)
    for message, recipients in zip(inbox.messages, inbox.recipients, strict=True):
        run_id = next(r for r in runs if r in message["Subject"])
        body = message.get_content()
        _assert_names_the_failure(body, run_id, runs[run_id])
        assert f"https://dagster.example.test/runs/{run_id}" in body
        assert recipients == ["oncall@example.test", "data@example.test"]
        assert PASSWORD not in message.as_string()


def test_a_slack_message_goes_through_dagster_slack_when_its_token_is_set(failed_runs, monkeypatch):
    pipeline, cursor, runs = failed_runs
    _clear_alert_env(monkeypatch)
    with fake_slack_api() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("PIPELINE_ALERT_SLACK_CHANNEL", "#data-alerts")
        monkeypatch.setenv("PIPELINE_ALERT_SLACK_API_URL", slack.api_url)
        data = _evaluate(pipeline, cursor)
    assert _errors(data) == []
    assert [r.path for r in slack.requests] == ["/api/chat.postMessage"] * len(runs)
    for request in slack.requests:
        assert request.authorization == f"Bearer {TOKEN}"
        assert request.body["channel"] == "#data-alerts"
        run_id = next(r for r in runs if r in request.body["text"])
        _assert_names_the_failure(request.body["text"], run_id, runs[run_id])


def test_with_no_channel_configured_the_sensor_skips_and_sends_nothing(failed_runs, monkeypatch):
    pipeline, cursor, _ = failed_runs
    _clear_alert_env(monkeypatch)
    with smtp_server() as inbox, fake_slack_api() as slack:
        data = _evaluate(pipeline, cursor)
    assert "alerts are off" in (data.skip_message or "")
    assert data.dagster_run_reactions == [] and inbox.messages == [] and slack.requests == []


def test_a_refused_login_fails_the_tick_naming_the_server_but_not_the_password(failed_runs, monkeypatch):
    pipeline, cursor, runs = failed_runs
    _clear_alert_env(monkeypatch)
    with smtp_server(login=("alerts", "another-password")) as inbox, fake_slack_api() as slack:
        for name, value in {**SMTP_ENV, "PIPELINE_ALERT_SMTP_PORT": str(inbox.port)}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("PIPELINE_ALERT_SLACK_CHANNEL", "#data-alerts")
        monkeypatch.setenv("PIPELINE_ALERT_SLACK_API_URL", slack.api_url)
        data = _evaluate(pipeline, cursor)
    errors = _errors(data)
    assert len(errors) == len(runs)  # each failed run's alert fails the tick: shown, not swallowed
    for error in errors:
        assert f"via 127.0.0.1:{inbox.port} failed: SMTPAuthenticationError" in error
        assert PASSWORD not in error and TOKEN not in error
    assert inbox.messages == []
    assert len(slack.requests) == len(runs)  # the broken email channel did not silence Slack


def test_starttls_is_on_unless_turned_off(failed_runs, monkeypatch):
    pipeline, cursor, _ = failed_runs
    _clear_alert_env(monkeypatch)
    with smtp_server() as inbox:  # offers no STARTTLS
        for name, value in {**SMTP_ENV, "PIPELINE_ALERT_SMTP_PORT": str(inbox.port)}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("PIPELINE_ALERT_SMTP_STARTTLS")
        data = _evaluate(pipeline, cursor)
    errors = _errors(data)
    assert errors and all("STARTTLS extension not supported by server" in e for e in errors)
    assert inbox.messages == []
