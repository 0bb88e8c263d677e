"""The store clients' retry budget: each client's own by default, ``PIPELINE_STORE_RETRIES`` when
set (how test_store_faults.py makes a fault that persists fail in seconds, not minutes)."""

import pytest

from pipeline_assets.cloud import STORE_RETRIES_VARIABLE, cloud_options
from pipeline_assets.storage import StorageError, Store
from pipeline_assets_tests.cloud_servers import azurite_connection_string, free_port
from pipeline_assets_tests.fault_proxy import FaultProxy

AZURE = {"AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string(1)}  # never contacted


def _budget(protocol: str, store: Store) -> dict:
    polars = store._polars_options()["storage_options"]["max_retries"]
    if protocol == "s3":
        return {
            "botocore": store.options.fsspec["config_kwargs"]["retries"]["max_attempts"],
            "s3fs": store.fs.retries,
            "polars": polars,
        }
    return {"azure": store.fs.service_client._config.retry_policy.total_retries, "polars": polars}


@pytest.mark.parametrize(
    ("protocol", "defaults", "one_retry"),
    [
        ("s3", {"botocore": 5, "s3fs": 5, "polars": 5}, {"botocore": 2, "s3fs": 2, "polars": 1}),
        ("az", {"azure": 2, "polars": 5}, {"azure": 1, "polars": 1}),
    ],
)  # fmt: skip
def test_each_client_retries_as_configured(monkeypatch, protocol, defaults, one_retry):
    for name, value in AZURE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(STORE_RETRIES_VARIABLE, raising=False)
    assert _budget(protocol, Store(f"{protocol}://bucket/root")) == defaults
    monkeypatch.setenv(STORE_RETRIES_VARIABLE, "1")
    assert _budget(protocol, Store(f"{protocol}://bucket/root")) == one_retry


@pytest.mark.integration
def test_gcsfs_attempts_follow_the_setting(monkeypatch):
    proxy = FaultProxy(upstream_port=free_port())  # answers 503 itself: nothing behind it
    try:
        proxy.arm("503", count=-1)
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.endpoint)
        monkeypatch.setenv(STORE_RETRIES_VARIABLE, "1")
        with pytest.raises(StorageError, match="gs://bucket/root/key"):
            Store("gs://bucket/root").read_bytes("key")
        assert proxy.faults_served == 2  # gcsfs's own six attempts (31 s of waits) replaced
    finally:
        proxy.close()


def test_a_bad_retry_count_names_the_variable(monkeypatch):
    monkeypatch.setenv(STORE_RETRIES_VARIABLE, "-1")
    with pytest.raises(ValueError, match=STORE_RETRIES_VARIABLE):
        cloud_options("s3")
