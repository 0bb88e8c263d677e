"""Store faults on S3, GCS and Azure, through a fault-injecting proxy in front of each local server
(moto, fake-gcs-server, Azurite): transient faults during reads, listings and publishes are
retried away and the day ends exactly as a run without faults leaves it; a fault that persists
fails the run naming the store and key, with nothing of the new run published. (Servers stopped
in the middle of a run: test_outage.py.)"""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest

from pipeline_assets.cloud import STORE_RETRIES_VARIABLE
from pipeline_assets_tests.cloud_servers import CloudServer, azurite_connection_string
from pipeline_assets_tests.conftest import failure_messages, make_pipeline
from pipeline_assets_tests.fault_proxy import FaultProxy
from pipeline_assets_tests.processes import content_hashes

pytestmark = [pytest.mark.cloud, pytest.mark.integration]

DAY = "2024-01-01"
# What each store's requests look like through the proxy ("METHOD /path?query", " copy" for a
# server-side copy): reads of a landing event file, listings, and the copy that publishes.
READS, LISTINGS, PUBLISHES = "reads", "listings", "publishes"
REQUESTS = {
    "s3": {READS: r"^GET /[^?]+/landing/events/", LISTINGS: r"^GET .*list-type=2", PUBLISHES: r" copy$"},
    "gcs": {READS: r"^GET /download/.*%2Flanding%2Fevents%2F", LISTINGS: r"^GET /storage/v1/b/[^/]+/o\?", PUBLISHES: r"/rewriteTo/"},
    "azure": {READS: r"^GET /[^?]+/landing/events/", LISTINGS: r"comp=list", PUBLISHES: r" copy$"},
}  # fmt: skip


def _through(server: CloudServer, proxy: FaultProxy) -> dict[str, str]:
    """The server's variables, with its endpoint replaced by the proxy's."""
    if server.cloud == "s3":
        return {**server.env, "AWS_ENDPOINT_URL": proxy.endpoint}
    if server.cloud == "gcs":
        return {**server.env, "STORAGE_EMULATOR_HOST": proxy.endpoint}
    return {**server.env, "AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string(proxy.port)}


def _proxied_pipeline(request: pytest.FixtureRequest, cloud: str, rows: int) -> Iterator[tuple]:
    """A pipeline on ``cloud``'s server reached through a fault proxy, its day run once without faults."""
    server = request.getfixturevalue(f"{cloud}_server")
    if not server.is_running:  # an outage test stopped it and failed before restarting it
        server.start()
    proxy = FaultProxy(server.port, rewrite_host=cloud == "gcs")
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in _through(server, proxy).items():
                patch.setenv(name, value)
            with make_pipeline(f"{server.url}/{uuid.uuid4().hex[:12]}") as pipeline:
                pipeline.generate(DAY, 1, rows_per_day=rows)
                assert pipeline.run(DAY).success
                yield pipeline, proxy, content_hashes(pipeline.warehouse), cloud
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def faulty_pipelines() -> Iterator[Callable[[pytest.FixtureRequest, str], tuple]]:
    """One proxied pipeline per store for all its transient cases (each leaves the day as it
    found it), made when a case first needs it."""
    with ExitStack() as stack:
        made: dict[str, tuple] = {}

        def pipeline_on(request: pytest.FixtureRequest, cloud: str) -> tuple:
            if cloud not in made:
                made[cloud] = stack.enter_context(contextmanager(_proxied_pipeline)(request, cloud, rows=300))
            return made[cloud]

        yield pipeline_on


@pytest.mark.parametrize(
    ("cloud", "kind", "phase"),
    [
        *[("s3", kind, phase) for kind, phase in [("reset", READS), ("truncate", READS), ("503", LISTINGS)]],
        *[("s3", kind, phase) for kind, phase in [("stall", LISTINGS), ("500", PUBLISHES), ("reset", PUBLISHES)]],
        ("gcs", "reset", READS), ("gcs", "503", LISTINGS), ("gcs", "500", PUBLISHES),
        ("azure", "truncate", READS), ("azure", "503", LISTINGS), ("azure", "reset", PUBLISHES),
    ],
)  # fmt: skip
def test_a_transient_fault_is_retried_away_and_the_day_ends_the_same(request, faulty_pipelines, cloud, kind, phase):
    pipeline, proxy, expected, _ = faulty_pipelines(request, cloud)
    served = proxy.faults_served
    proxy.arm(kind, count=2, matching=REQUESTS[cloud][phase], stall_seconds=1.0)
    result = pipeline.run(DAY)
    proxy.disarm()
    assert result.success, failure_messages(result)[-2000:]
    assert proxy.faults_served - served == 2, f"no request matching {phase} met the {kind} fault"
    assert content_hashes(pipeline.warehouse) == expected


@pytest.fixture
def persistent(request) -> Iterator[tuple]:
    """A fresh pipeline whose clients retry each request once (the step still retries 3 times):
    each layer's default budget would make a fault that persists take minutes to fail."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STORE_RETRIES_VARIABLE, "1")
        yield from _proxied_pipeline(request, request.param, rows=200)


@pytest.mark.parametrize(
    ("persistent", "kind", "phase"),
    [("s3", "503", READS), ("s3", "reset", PUBLISHES), ("gcs", "503", READS), ("azure", "500", PUBLISHES)],
    indirect=["persistent"],
)
def test_a_fault_that_persists_fails_the_run_naming_store_and_key_and_publishes_nothing(persistent, kind, phase):
    pipeline, proxy, before, cloud = persistent
    pipeline.generate(DAY, 1, rows_per_day=300)  # a new version of the day: a partial publish would show
    proxy.arm(kind, count=-1, matching=REQUESTS[cloud][phase])
    started = time.monotonic()
    result = pipeline.run(DAY)
    elapsed = time.monotonic() - started
    proxy.disarm()
    assert not result.success and proxy.faults_served > 0
    messages = failure_messages(result)
    store = pipeline.settings.landing_url if phase == READS else pipeline.settings.warehouse_url
    key = f"/events/date={DAY}/" if phase == READS else f"/date={DAY}/data.parquet"
    assert any(store in line and key in line for line in messages.splitlines()), messages[-2000:]
    assert content_hashes(pipeline.warehouse) == before, "a table of the failed run was published"
    assert elapsed < 120, f"failing took {elapsed:.0f} s"

    assert pipeline.run(DAY).success  # once the store answers again, the day is published whole
    after = content_hashes(pipeline.warehouse)
    assert after.keys() == before.keys() and after != before
