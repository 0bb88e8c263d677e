"""deploy/helm/values.yaml: only the chart's own keys, run pods sized from the benchmarks, secrets
from Kubernetes secrets, and the production instance's run queue."""

import re
import tomllib
from typing import Any

import pytest

from pipeline_assets_tests.deploy.chart_keys import CHART_VERSION, KEY_PATHS, OPEN_KEYS
from pipeline_assets_tests.deploy.deploy_files import (
    DEPLOY,
    PRODUCTION_INSTANCE,
    ROOT,
    dockerfile_env,
    dockerfile_runtime_uid,
    load_all_yaml,
    load_yaml,
    parse_quantity,
)

VALUES = DEPLOY / "helm" / "values.yaml"
# benchmarks/RESULTS.md, "Where the targets stand now": peak RSS of one 1M-record day, every asset.
PEAK_RSS_1M_DAY = 1128 * 2**20


@pytest.fixture(scope="module")
def values() -> dict:
    return load_yaml(VALUES)


def key_paths(node: Any, prefix: str = "") -> list[str]:
    """Every key path of a values tree, `[]` for list items, stopping at the chart's free-form keys."""
    if prefix in OPEN_KEYS or not isinstance(node, dict | list) or not node:
        return [prefix]
    if isinstance(node, list):
        items = [item for item in node if isinstance(item, dict)]
        return [p for item in items for p in key_paths(item, f"{prefix}[]")] or [prefix]
    paths = []
    for key, value in node.items():
        paths.extend(key_paths(value, f"{prefix}.{key}" if prefix else key))
    return paths


def deployment(values: dict) -> dict:
    (only,) = values["dagster-user-deployments"]["deployments"]
    return only


def run_launcher(values: dict) -> dict:
    return values["runLauncher"]["config"]["k8sRunLauncher"]


def test_every_key_is_one_the_chart_has(values):
    unknown = [path for path in key_paths(values) if path not in KEY_PATHS]
    assert not unknown, f"keys the dagster chart {CHART_VERSION} does not have (or not yet verified): {unknown}"


def test_key_check_catches_a_misspelt_key(values):
    misspelt = {**values, "runLauncher": {**values["runLauncher"], "configs": {}}}
    assert "runLauncher.configs" in [p for p in key_paths(misspelt) if p not in KEY_PATHS]


def test_readme_names_the_chart_version():
    assert f"--version {CHART_VERSION}" in VALUES.read_text()
    assert CHART_VERSION in (ROOT / "README.md").read_text()
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (dagster,) = [p for p in lock["package"] if p["name"] == "dagster"]
    assert dagster["version"] == CHART_VERSION, "the chart is versioned with Dagster: use the locked version"


def test_each_run_is_its_own_pod_sized_from_the_benchmarks(values):
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    resources = run_launcher(values)["resources"]
    request = parse_quantity(resources["requests"]["memory"])
    limit = parse_quantity(resources["limits"]["memory"])
    assert request >= 1.5 * PEAK_RSS_1M_DAY, "a 1M-record day's peak RSS plus headroom must be requested"
    assert limit >= request
    assert parse_quantity(resources["requests"]["cpu"]) <= parse_quantity(resources["limits"]["cpu"])
    # With includeConfigInLaunchedRuns on, the chart hands the code server's own `resources` to the
    # run pods and they win over the run launcher's: the sizing above would never apply.
    assert deployment(values)["includeConfigInLaunchedRuns"]["enabled"] is False


def test_run_pods_get_the_code_servers_settings_and_secrets(values):
    code_server = {key: str(value) for key, value in deployment(values)["env"].items()}
    runs = dict(item.split("=", 1) for item in run_launcher(values)["envVars"])
    assert runs == code_server
    assert run_launcher(values)["envSecrets"] == deployment(values)["envSecrets"]


def test_user_code_is_this_image_as_its_non_root_user(values):
    user_code = deployment(values)
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert user_code["codeServerArgs"] == ["-m", module]
    uid = dockerfile_runtime_uid()
    assert user_code["podSecurityContext"]["runAsUser"] == uid and user_code["podSecurityContext"]["runAsNonRoot"]
    assert run_launcher(values)["securityContext"]["runAsUser"] == uid
    assert values["global"]["dagsterHome"] == dockerfile_env("DAGSTER_HOME")


def test_postgres_is_external_and_its_password_a_kubernetes_secret(values):
    postgres = values["postgresql"]
    assert postgres["enabled"] is False and postgres["postgresqlHost"]
    assert "postgresqlPassword" not in postgres
    assert values["generatePostgresqlPasswordSecret"] is False
    secrets = {doc["metadata"]["name"]: doc for doc in load_all_yaml(DEPLOY / "k8s" / "secrets.example.yaml")}
    assert "postgresql-password" in secrets[values["global"]["postgresqlSecretName"]]["stringData"]
    for ref in deployment(values)["envSecrets"] + run_launcher(values)["envSecrets"]:
        assert ref["name"] in secrets, f"{ref['name']} is not in deploy/k8s/secrets.example.yaml"


def test_no_secret_value_in_the_values(values):
    text = VALUES.read_text()
    assert not re.search(r"(?i)(password|secret_access_key|account_key|connection_string)\s*:", text)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _snake_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {_snake(key): _snake_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_snake_keys(item) for item in node]
    return node


def test_same_run_queue_as_the_production_instance(values):
    if not PRODUCTION_INSTANCE.exists():
        pytest.skip("deploy/dagster.yaml (the production instance) is not in this checkout")
    instance = load_yaml(PRODUCTION_INSTANCE)
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    coordinator = instance["run_coordinator"]["config"]
    # Tag values keep their spelling (applyLimitPerUniqueValue is camelCase in Dagster too).
    helm_tags = [{_snake(k): v for k, v in limit.items()} for limit in queued["tagConcurrencyLimits"]]
    assert helm_tags == coordinator["tag_concurrency_limits"]
    blocking = coordinator.get("block_op_concurrency_limited_runs", {"enabled": False})
    assert queued["blockOpConcurrencyLimitedRuns"]["enabled"] == blocking["enabled"]
    extra = values["additionalInstanceConfig"]
    assert extra["concurrency"] == instance.get("concurrency")
    assert extra["run_retries"] == instance.get("run_retries")
    monitoring = _snake_keys(values["dagsterDaemon"]["runMonitoring"])
    assert monitoring == instance.get("run_monitoring")


def test_the_instance_the_chart_writes_loads_in_dagster(values, tmp_path):
    """The queue, pools and retries as the chart's templates write them into dagster.yaml
    (_run-coordinator.tpl, additionalInstanceConfig): Dagster must accept them together."""
    import yaml
    from dagster import DagsterInstance

    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    instance_yaml = {
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {
                "max_concurrent_runs": queued["maxConcurrentRuns"],
                "tag_concurrency_limits": queued["tagConcurrencyLimits"],
                "block_op_concurrency_limited_runs": _snake_keys(queued["blockOpConcurrencyLimitedRuns"]),
            },
        },
        **values["additionalInstanceConfig"],
    }
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml))
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_coordinator is not None
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.run_retries_max_retries == values["additionalInstanceConfig"]["run_retries"]["max_retries"]
