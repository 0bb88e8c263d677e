"""A store that goes down in the middle of a run: a short outage is retried away; a long one fails
the run cleanly, naming the store and key but no credential, with the published partition intact.

Run on the servers that keep their data across a restart (fake-gcs-server with its filesystem
backend, Azurite with its location directory); moto keeps S3 in memory only, so a restart there
would lose the landing zone itself rather than simulate an outage of it. The long outage runs on
Azurite only: gcsfs retries each request six times with fixed backoff (about 30 s), which the
test would wait out on every step attempt.
"""

import threading

import pytest

from pipeline_assets.assets import reports
from pipeline_assets.transforms import aggregates
from pipeline_assets_tests.conftest import make_pipeline, store_root

pytestmark = [pytest.mark.cloud, pytest.mark.integration]

DAY = "2024-01-01"
PERSISTENT_CLOUDS = ["gcs", "azure"]


@pytest.fixture
def cloud_pipeline(request, tmp_path):
    server = request.getfixturevalue(f"{request.param}_server")
    with store_root(request, request.param, tmp_path) as root, make_pipeline(root) as pipeline:
        pipeline.generate(DAY, 1, rows_per_day=200)
        assert pipeline.run(DAY).success
        yield pipeline, server
    if not server.is_running:
        server.start()


def _stop_server_before_writing(monkeypatch, module, function: str, server, restart_after: float | None) -> None:
    """Stop the server once ``module.function`` has computed (and restart it ``restart_after`` s later)."""
    compute = getattr(module, function)

    def compute_then_stop(*args, **kwargs):
        result = compute(*args, **kwargs)
        if server.is_running:
            server.stop()
            if restart_after is not None:
                threading.Timer(restart_after, server.start).start()
        return result

    monkeypatch.setattr(module, function, compute_then_stop)


@pytest.mark.parametrize("cloud_pipeline", PERSISTENT_CLOUDS, indirect=True)
def test_a_short_outage_is_retried_and_the_partition_ends_correct(cloud_pipeline, monkeypatch):
    pipeline, server = cloud_pipeline
    expected = pipeline.table("daily_event_summary", DAY)
    _stop_server_before_writing(monkeypatch, aggregates, "daily_event_summary", server, restart_after=1.0)

    result = pipeline.run(DAY)

    assert result.success
    assert pipeline.table("daily_event_summary", DAY).equals(expected)
    assert pipeline.files("daily_event_summary") == [f"daily_event_summary/date={DAY}/data.parquet"]


@pytest.mark.parametrize("cloud_pipeline", ["azure"], indirect=True)
def test_a_store_that_stays_down_fails_the_run_cleanly(cloud_pipeline, monkeypatch):
    pipeline, server = cloud_pipeline
    report = f"daily_report/date={DAY}/report.html"
    published = pipeline.warehouse.read_bytes(report)
    secrets = [v for k, v in server.env.items() if "KEY" in k or "CONNECTION" in k or "SECRET" in k]
    # The report is the last step: the outage hits its writes, retried by the client, then the step.
    _stop_server_before_writing(monkeypatch, reports, "render_report", server, restart_after=None)

    result = pipeline.run(DAY)

    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failures[0].step_failure_data.error.message
    cause = failures[0].step_failure_data.error.cause
    text = message + (cause.message if cause else "")
    assert "StorageError: cannot" in text and f"{pipeline.settings.warehouse_url}/" in text
    for event in result.all_events:
        for secret in secrets:
            assert secret not in (event.message or "")
    server.start()
    assert pipeline.warehouse.read_bytes(report) == published
