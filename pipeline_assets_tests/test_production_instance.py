"""The production instance (deploy/dagster.yaml) as Dagster reads it, without a database: every
setting resolves from the documented variables, and the limits that keep two runs off one day
are there. The daemon end to end on PostgreSQL is test_daemon.py."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import ConcurrencyConfig, dagster_instance_config
from dagster._core.run_coordinator.queued_run_coordinator import QueuedRunCoordinator
from dagster._core.storage.config import pg_config
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.runs import SqliteRunStorage

from pipeline_assets.definitions import defs
from pipeline_assets.schedules import DEFAULT_SCHEDULE_CRON, last_complete_day, schedule_cron
from pipeline_assets.settings import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
PG_ENV = {
    "DAGSTER_PG_HOST": "db.internal",
    "DAGSTER_PG_PORT": "6543",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-real-password",
    "DAGSTER_PG_DB": "dagster_prod",
    "DAGSTER_MAX_CONCURRENT_RUNS": "7",
}


@pytest.fixture
def prod_env(monkeypatch):
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)


def instance_config(tmp_path: Path, text: str | None = None) -> dict:
    """The instance file as Dagster validates it from a DAGSTER_HOME."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    if text is None:
        shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text(text)
    config, _ = dagster_instance_config(str(home))
    return config


def resolved(schema, value) -> dict:
    result = process_config(resolve_to_config_type(schema), value)
    assert result.success, result.errors
    return result.value


def test_storage_is_postgres_from_the_documented_variables(tmp_path, prod_env):
    postgres = instance_config(tmp_path)["storage"]["postgres"]
    assert resolved(pg_config(), postgres)["postgres_db"] == {
        "hostname": "db.internal",
        "port": 6543,
        "username": "dagster",
        "password": "not-a-real-password",
        "db_name": "dagster_prod",
        "params": {},
        "scheme": "postgresql",
    }
    assert "not-a-real-password" not in (DEPLOY / "dagster.yaml").read_text()


def test_a_missing_variable_is_named(tmp_path, prod_env, monkeypatch):
    monkeypatch.delenv("DAGSTER_PG_HOST")
    postgres = instance_config(tmp_path)["storage"]["postgres"]
    result = process_config(resolve_to_config_type(pg_config()), postgres)
    assert not result.success and "DAGSTER_PG_HOST" in str(result.errors)


def test_runs_are_queued_with_an_env_total_and_one_run_per_day(tmp_path, prod_env):
    config = instance_config(tmp_path)
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    queue = resolved(QueuedRunCoordinator.config_type(), coordinator["config"])
    assert queue["max_concurrent_runs"] == 7
    limits = {(limit["key"], str(limit.get("value"))): limit["limit"] for limit in queue["tag_concurrency_limits"]}
    assert limits == {
        ("pipeline/serial", "None"): 1,
        ("dagster/partition", "{'applyLimitPerUniqueValue': True}"): 1,
    }
    assert queue["block_op_concurrency_limited_runs"]["enabled"]


def test_every_step_has_a_pool_of_its_own_limited_to_one(tmp_path, prod_env):
    config = instance_config(tmp_path)
    pools = ConcurrencyConfig.from_concurrency_settings(config["concurrency"], None).pool_config
    assert pools.default_pool_limit == 1
    graph = defs.resolve_asset_graph()
    pool_of = {
        graph.get(key).assets_def.op.name: graph.get(key).assets_def.op.pool for key in graph.get_all_asset_keys()
    }
    assert all(pool_of.values()), pool_of
    assert len(set(pool_of.values())) == len(pool_of)


def test_run_retries_monitoring_and_retention(tmp_path, prod_env):
    config = instance_config(tmp_path)
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert config["run_monitoring"]["enabled"]
    assert config["retention"]["sensor"]["purge_after_days"]["skipped"] == 7


@pytest.mark.parametrize(
    "variant, manager",
    [
        ("s3.yaml", "S3ComputeLogManager"),
        ("gcs.yaml", "GCSComputeLogManager"),
        ("azure.yaml", "AzureBlobComputeLogManager"),
    ],
)
def test_each_compute_log_variant_fits_the_production_instance(tmp_path, prod_env, monkeypatch, variant, manager):
    for name in ("DAGSTER_COMPUTE_LOGS_BUCKET", "DAGSTER_COMPUTE_LOGS_CONTAINER", "AZURE_STORAGE_ACCOUNT_NAME"):
        monkeypatch.setenv(name, "logs")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", "a2V5")
    base = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    block = yaml.safe_load((DEPLOY / "compute-logs" / variant).read_text())
    config = instance_config(tmp_path, yaml.safe_dump({**base, **block}))
    compute_logs = config["compute_logs"]
    assert compute_logs["class"] == manager
    module = __import__(compute_logs["module"], fromlist=[manager])
    settings = resolved(getattr(module, manager).config_type(), compute_logs["config"])
    assert settings["prefix"] == "dagster-compute-logs"


def test_the_local_instance_stays_sqlite_for_the_demo(tmp_path, monkeypatch):
    """SQLite files in Dagster's layout under $DAGSTER_HOME, the only variable it reads (set
    wherever Dagster finds this file)."""
    home = tmp_path / "home"
    config = instance_config(tmp_path, (REPO_ROOT / "dagster.yaml").read_text())
    assert config["storage"]["custom"]["config"] == {"base_dir": {"env": "DAGSTER_HOME"}}
    assert "run_storage" not in config and "event_log_storage" not in config
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, SqliteRunStorage)
        assert isinstance(instance.event_log_storage, SqliteEventLogStorage)
    assert {"history/runs.db", "history/runs/index.db"} <= {str(p.relative_to(home)) for p in home.rglob("*.db")}


def test_schedule_cron_defaults_to_one_in_the_morning_and_can_be_set(monkeypatch):
    monkeypatch.delenv("PIPELINE_SCHEDULE_CRON", raising=False)
    assert schedule_cron() == DEFAULT_SCHEDULE_CRON == "0 1 * * *"
    monkeypatch.setenv("PIPELINE_SCHEDULE_CRON", "*/5 * * * *")
    assert schedule_cron() == "*/5 * * * *"
    monkeypatch.setenv("PIPELINE_SCHEDULE_CRON", "61 * * * *")
    with pytest.raises(ValueError, match="PIPELINE_SCHEDULE_CRON"):
        schedule_cron()


def test_a_tick_asks_for_the_day_that_just_ended_in_utc():
    late_evening_in_new_york = datetime(2024, 3, 5, 1, 0, tzinfo=UTC).astimezone()
    assert last_complete_day(late_evening_in_new_york).isoformat() == "2024-03-04"
