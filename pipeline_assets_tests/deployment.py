"""A production deployment on this machine, for the daemon tests: a fresh PostgreSQL database, a
DAGSTER_HOME holding deploy/dagster.yaml, and the code server, dagster-daemon and
dagster-webserver as real processes, each in its own process group (run workers, started by the
code server, are in its group), stopped by group at the end."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import dagster as dg
import psycopg2

from pipeline_assets.settings import REPO_ROOT
from pipeline_assets_tests.cloud_servers import free_port
from pipeline_assets_tests.processes import stop_group

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
LOCATION = "pipeline_assets"
REPOSITORY = "__repository__"  # the repository a Definitions object makes
BIN = Path(sys.executable).parent  # dagster-daemon and dagster-webserver of this environment


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, uniquely named database on the local server; dropped afterwards, connections and all."""
    name = f"pipeline_assets_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@dataclass
class Deployment:
    home: Path
    env: dict[str, str]
    webserver_url: str
    logs: dict[str, Path] = field(default_factory=dict)

    def instance(self) -> dg.DagsterInstance:
        """The production instance as the test process sees it (same PostgreSQL database)."""
        saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            return dg.DagsterInstance.from_config(str(self.home))
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def graphql(self, query: str, **variables) -> dict:
        request = urllib.request.Request(
            f"{self.webserver_url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:  # GraphQL errors come back as 4xx/5xx with a body
            raise AssertionError(f"GraphQL {error.code}: {error.read().decode(errors='replace')[:3000]}") from None
        assert "errors" not in body, body["errors"]
        return body["data"]

    def log_tails(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {name} ---\n{path.read_text(errors='replace')[-chars:]}" for name, path in self.logs.items()
        )


@contextmanager
def deployment(workdir: Path, database: str, pipeline_env: dict[str, str]) -> Iterator[Deployment]:
    """Code server, daemon and webserver on the production instance, ready to take requests."""
    home = workdir / "dagster-home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    grpc_port, web_port = free_port(), free_port()
    workspace = workdir / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {grpc_port}\n"
        f"      location_name: {LOCATION}\n"
    )
    env = {
        **{f"DAGSTER_PG_{key.upper()}": str(value) for key, value in PG.items()},
        "DAGSTER_PG_PASSWORD": "",  # trust authentication here
        "DAGSTER_PG_DB": database,
        "DAGSTER_MAX_CONCURRENT_RUNS": "4",
        "DAGSTER_HOME": str(home),
        **pipeline_env,
    }
    target = Deployment(home, env, f"http://127.0.0.1:{web_port}")
    commands = {
        "code-server": [sys.executable, "-m", "dagster", "api", "grpc", "-m", "pipeline_assets.definitions",
                        "-h", "127.0.0.1", "-p", str(grpc_port), "--location-name", LOCATION],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        "webserver": [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port), "-w", str(workspace)],
    }  # fmt: skip
    with ExitStack() as stack:
        for name, command in commands.items():
            log = workdir / f"{name}.log"
            target.logs[name] = log
            process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                cwd=REPO_ROOT,
                stdout=stack.enter_context(log.open("w")),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(stop_group, process)
            if name == "code-server":  # the others load the code location from it
                wait_for(partial(_says, log, "Started Dagster code server"), 120, target, "the code server")
        wait_for(lambda: _location_loaded(target), 120, target, "the webserver")
        yield target


def _says(log: Path, text: str) -> bool:
    return text in log.read_text(errors="replace")


def _location_loaded(target: Deployment) -> bool:
    try:
        data = target.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }")
    except OSError:
        return False
    entries = data["workspaceOrError"]["locationEntries"]
    return bool(entries) and all(entry["loadStatus"] == "LOADED" for entry in entries)


def wait_for(condition, timeout: float, target: Deployment, what: str, interval: float = 1.0):
    """Poll ``condition`` until it returns something truthy; fail with the processes' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{target.log_tails()}")
