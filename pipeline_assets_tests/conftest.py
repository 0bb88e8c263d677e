"""Shared fixtures: a pipeline wired to temporary landing and warehouse directories."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline_assets.definitions import build_definitions
from pipeline_assets.demo import run_range
from pipeline_assets.generator import generate
from pipeline_assets.settings import PipelineSettings
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import scan_partitions
from pipeline_assets_tests import cloud_servers

CLOUDS = ("s3", "gcs", "azure")


@dataclass
class Pipeline:
    """The real code location over a given landing zone and warehouse, on a throwaway instance."""

    settings: PipelineSettings
    instance: dg.DagsterInstance

    @property
    def defs(self) -> dg.Definitions:
        return build_definitions(self.settings)

    @property
    def warehouse(self) -> Store:
        return Store(self.settings.warehouse_url)

    @property
    def landing(self) -> Store:
        return Store(self.settings.landing_url)

    def run(self, start: str, end: str | None = None) -> dg.ExecuteInProcessResult:
        return run_range(self.defs, start, end or start, self.instance)

    def generate(self, start: str, days: int, rows_per_day: int = 400) -> dict:
        return generate(date.fromisoformat(start), days, rows_per_day, self.settings.landing_url)

    def table(self, asset: str, day: str) -> pl.DataFrame:
        """A published partition as the project reads it (``date`` from its prefix)."""
        return scan_partitions(self.warehouse, asset, [day])[day].collect()

    def files(self, asset: str) -> list[str]:
        return [f.key for f in self.warehouse.list_files(asset)]


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    """The errors of every failed or retried step attempt of a run, with what caused them."""
    messages = []
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        while error is not None:
            messages.append(error.message)
            error = error.cause
    return "\n".join(messages)


# Every store the product supports; the cloud ones talk to the servers started below.
STORES = ["local", *(pytest.param(cloud, marks=pytest.mark.cloud) for cloud in CLOUDS)]


@contextmanager
def store_root(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh root URL on ``kind``, with that cloud's standard variables set while in use."""
    if kind == "local":
        yield str(tmp_path)
        return
    server = request.getfixturevalue(f"{kind}_server")
    if not server.is_running:  # an outage test stopped it and failed before restarting it
        server.start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in server.env.items():
            patch.setenv(name, value)
        yield f"{server.url}/{uuid.uuid4().hex[:12]}"


@contextmanager
def make_pipeline(root: str) -> Iterator[Pipeline]:
    settings = PipelineSettings(
        landing_url=f"{root}/landing", warehouse_url=f"{root}/warehouse", start_date="2024-01-01"
    )
    with dg.instance_for_test() as instance:
        yield Pipeline(settings, instance)


@pytest.fixture(params=STORES)
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    with store_root(request, request.param, tmp_path) as root, make_pipeline(root) as pipeline:
        yield pipeline


# -- local object-store servers (moto, fake-gcs-server, Azurite), one set per test session --
@pytest.fixture(scope="session")
def _cloud_servers(tmp_path_factory):
    """All three servers, spawned together (a failure in one is reported by that one's fixture)."""
    started = time.monotonic()
    servers = cloud_servers.start_servers(CLOUDS, workdir=tmp_path_factory.mktemp("cloud-servers"))
    elapsed = time.monotonic() - started
    summary = ", ".join(
        f"{kind}: {s.name} pid {s.pid} port {s.port} up in {s.startup_seconds:.2f} s"
        if isinstance(s, cloud_servers.CloudServer)
        else f"{kind}: FAILED"
        for kind, s in servers.items()
    )
    print(f"\n[cloud servers] started in {elapsed:.2f} s ({summary})")
    yield servers
    for server in servers.values():
        if isinstance(server, cloud_servers.CloudServer):
            server.close()


def _server(servers, kind):
    server = servers[kind]
    if isinstance(server, Exception):
        pytest.fail(f"the {kind} server did not start: {server}", pytrace=False)
    return server


@pytest.fixture(scope="session")
def s3_server(_cloud_servers):
    return _server(_cloud_servers, "s3")


@pytest.fixture(scope="session")
def gcs_server(_cloud_servers):
    return _server(_cloud_servers, "gcs")


@pytest.fixture(scope="session")
def azure_server(_cloud_servers):
    return _server(_cloud_servers, "azure")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test against the local cloud servers is an integration test too: `-m "not integration"`
    must start no server."""
    for item in items:
        if item.get_closest_marker("cloud") is not None and item.get_closest_marker("integration") is None:
            item.add_marker(pytest.mark.integration)
