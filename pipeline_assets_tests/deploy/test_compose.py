"""deploy/compose.yaml: valid against the Compose specification, and wired the way the image works."""

import re

import jsonschema
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema

from pipeline_assets_tests.deploy.deploy_files import (
    DEPLOY,
    PRODUCTION_INSTANCE,
    ROOT,
    dockerfile_env,
    instance_env_vars,
    load_yaml,
)

COMPOSE = DEPLOY / "compose.yaml"
DAGSTER_SERVICES = ("code-server", "webserver", "daemon")


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE)


def compose_spec_errors(document: dict) -> list[str]:
    # The Compose specification's JSON schema as check-jsonschema vendors it
    # (`check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml` does the same).
    schema = get_builtin_schema("vendor.compose-spec")
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_valid_against_the_compose_specification(compose):
    assert compose_spec_errors(compose) == []


def test_the_specification_check_catches_a_mistake(compose):
    broken = {**compose, "services": {**compose["services"], "daemon": {**compose["services"]["daemon"]}}}
    broken["services"]["daemon"]["depends_on"] = {"postgres": {"condition": "when_it_feels_like_it"}}
    assert compose_spec_errors(broken), "a condition outside the specification must be reported"


def test_every_dagster_process_runs_the_projects_image(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in DAGSTER_SERVICES}
    assert len(images) == 1, f"one image for the webserver, daemon and code server: {images}"
    for name in DAGSTER_SERVICES:
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
    commands = {name: services[name]["command"][:3] for name in DAGSTER_SERVICES}
    assert commands["code-server"] == ["dagster", "code-server", "start"]
    assert commands["webserver"][0] == "dagster-webserver" and commands["daemon"][:2] == ["dagster-daemon", "run"]


def test_postgres_password_comes_from_the_environment_only(compose):
    services = compose["services"]
    values = [services[name]["environment"]["DAGSTER_PG_PASSWORD"] for name in DAGSTER_SERVICES]
    values.append(services["postgres"]["environment"]["POSTGRES_PASSWORD"])
    for value in values:
        assert re.fullmatch(r"\$\{DAGSTER_PG_PASSWORD:\?[^}]+\}", value), f"not a required variable: {value!r}"


def test_every_variable_the_production_instance_reads_is_set(compose):
    if not PRODUCTION_INSTANCE.exists():
        pytest.skip("deploy/dagster.yaml (the production instance) is not in this checkout")
    needed = instance_env_vars(load_yaml(PRODUCTION_INSTANCE))
    assert needed, "deploy/dagster.yaml reads no variable: expected the PostgreSQL connection at least"
    for name in DAGSTER_SERVICES:
        missing = needed - set(compose["services"][name]["environment"])
        assert not missing, f"{name} does not set {sorted(missing)}, which deploy/dagster.yaml reads"


def test_instance_workspace_and_data_are_mounted_where_the_image_expects(compose):
    services = compose["services"]
    home = dockerfile_env("DAGSTER_HOME")
    for name in DAGSTER_SERVICES:
        volumes = services[name]["volumes"]
        assert f"./dagster.yaml:{home}/dagster.yaml:ro" in volumes, f"{name} does not use the production instance"
        assert f"dagster-storage:{home}/storage" in volumes, f"{name} does not share the compute logs"
    # Runs execute in the code server (default run launcher): the data is mounted there, at the
    # paths its PIPELINE_*_URL defaults name.
    code_server = services["code-server"]
    mounts = {volume.split(":")[1] for volume in code_server["volumes"]}
    for variable in ("PIPELINE_LANDING_URL", "PIPELINE_WAREHOUSE_URL"):
        default = re.fullmatch(r"\$\{\w+:-([^}]+)\}", code_server["environment"][variable]).group(1)
        assert default in mounts, f"{variable}'s default {default} is not a volume"


def test_webserver_and_daemon_reach_the_code_server(compose):
    workspace = load_yaml(DEPLOY / "compose" / "workspace.yaml")
    server = workspace["load_from"][0]["grpc_server"]
    code_server = compose["services"]["code-server"]["command"]
    assert server["host"] == "code-server" and str(server["port"]) == code_server[code_server.index("-p") + 1]
    for name in ("webserver", "daemon"):
        assert "./compose/workspace.yaml:/opt/dagster/workspace.yaml:ro" in compose["services"][name]["volumes"]
        assert compose["services"][name]["command"][-2:] == ["-w", "/opt/dagster/workspace.yaml"]


def test_ui_is_published_on_loopback_only(compose):
    assert all(port.startswith("127.0.0.1:") for port in compose["services"]["webserver"]["ports"])
