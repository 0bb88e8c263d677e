"""The S3 compute-log variant (deploy/compute-logs/s3.yaml) on a moto server: a step's stdout and
stderr end up in the bucket, under the variant's prefix, readable back through the instance as
the UI reads them."""

import boto3
import dagster as dg
import pytest
import yaml

from pipeline_assets.settings import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.cloud]

MARK = "stdout-of-the-step-7f3a"


@dg.op
def talkative_step() -> None:
    print(MARK)


@dg.job
def talkative_job() -> None:
    talkative_step()


def test_a_run_writes_its_step_logs_to_the_bucket(s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_BUCKET", s3_server.bucket)
    variant = yaml.safe_load((REPO_ROOT / "deploy" / "compute-logs" / "s3.yaml").read_text())
    with dg.instance_for_test(overrides=variant) as instance:
        result = talkative_job.execute_in_process(instance=instance)
        assert result.success
        manager = instance.compute_log_manager
        assert type(manager).__name__ == "S3ComputeLogManager"

        s3 = boto3.client("s3", endpoint_url=s3_server.env["AWS_ENDPOINT_URL"])
        listed = s3.list_objects_v2(Bucket=s3_server.bucket, Prefix="dagster-compute-logs/")
        keys = [item["Key"] for item in listed.get("Contents", [])]
        stdout_keys = [key for key in keys if key.endswith(".out")]
        assert stdout_keys, keys
        texts = [s3.get_object(Bucket=s3_server.bucket, Key=key)["Body"].read().decode() for key in stdout_keys]
        assert any(MARK in text for text in texts), texts
