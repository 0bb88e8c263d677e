"""Store credentials never travel: not into a log line, event or check metadata, an error (the
native reader's included) or a warehouse file.

The suite's servers run with distinctive fake credentials (`cloud_servers.SECRETS`); the GCS
emulator takes none, so S3 and Azure are the stores with something to leak.
"""

import polars as pl
import pytest
from dagster._serdes import serialize_value

from pipeline_assets.storage import Store
from pipeline_assets_tests.cloud_servers import SECRETS
from pipeline_assets_tests.conftest import make_pipeline, store_root

pytestmark = pytest.mark.cloud

DAYS = ["2024-01-01", "2024-01-02"]


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def event_log_text(pipeline) -> str:
    """Every event of every run on the instance, metadata and errors included, as stored."""
    return "\n".join(
        serialize_value(entry)
        for run in pipeline.instance.get_runs()
        for entry in pipeline.instance.all_logs(run.run_id)
    )


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_credentials_appear_in_no_log_metadata_error_or_file(request, tmp_path, kind, capfd, monkeypatch):
    with store_root(request, kind, tmp_path) as root, make_pipeline(root) as pipeline:
        secrets = [
            secret for secret in SECRETS if secret in "".join(request.getfixturevalue(f"{kind}_server").env.values())
        ]
        assert secrets, "the server's credentials should be the suite's distinctive ones"
        pipeline.generate(DAYS[0], len(DAYS), rows_per_day=300)
        assert pipeline.run(DAYS[0], DAYS[-1]).success

        # A day that is not ready, and a day whose rolling window holds a day the native reader
        # cannot read.
        assert not pipeline.run("2024-01-05").success
        pipeline.warehouse.write_bytes(f"daily_user_metrics/date={DAYS[0]}/data.parquet", b"not parquet")
        assert not pipeline.run(DAYS[1]).success

        # A native read whose error message carries secret text (as an object-store response body
        # can): the step's failure must not repeat it.
        def scan_failing_with_secret(store: Store, keys: list[str]) -> pl.LazyFrame:
            return pl.LazyFrame({"body": [f"<AWSAccessKeyId>{secrets[0]}</AWSAccessKeyId>"]}).select(
                pl.col("body").cast(pl.Int64)
            )

        monkeypatch.setattr(Store, "scan_parquet", scan_failing_with_secret)
        result = pipeline.run(DAYS[0])
        monkeypatch.undo()
        assert not result.success
        failures = [e for e in result.all_events if e.is_step_failure]
        assert failures and all(not leaked(serialize_value(e), secrets) for e in failures)

        assert leaked(event_log_text(pipeline), secrets) == []
        captured = capfd.readouterr()
        assert leaked(captured.out + captured.err, secrets) == []
        for stored in pipeline.warehouse.list_files(""):
            assert leaked(pipeline.warehouse.read_bytes(stored.key).decode("utf-8", "replace"), secrets) == [], (
                stored.key
            )
