"""Store faults on S3, through a fault-injecting proxy in front of the moto server: transient
faults during reads, listings and publishes are retried away and the day ends exactly as a run
without faults leaves it. (Outages of Azure and GCS, and one that persists: test_outage.py.)"""

import uuid
from collections.abc import Iterator

import pytest

from pipeline_assets_tests.conftest import failure_messages, make_pipeline
from pipeline_assets_tests.fault_proxy import FaultProxy
from pipeline_assets_tests.processes import content_hashes

pytestmark = [pytest.mark.cloud, pytest.mark.integration]

DAY = "2024-01-01"


@pytest.fixture(scope="module")
def faulty_s3(s3_server) -> Iterator[tuple]:
    """A pipeline on the S3 server, reached through a fault proxy, its day run once without faults."""
    proxy = FaultProxy(s3_server.port)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in s3_server.env.items():
                patch.setenv(name, value)
            patch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
            with make_pipeline(f"{s3_server.url}/{uuid.uuid4().hex[:12]}") as pipeline:
                pipeline.generate(DAY, 1, rows_per_day=300)
                assert pipeline.run(DAY).success
                yield pipeline, proxy, content_hashes(pipeline.warehouse)
    finally:
        proxy.close()


READS, LISTINGS, PUBLISHES = r"^GET /[^?]+/landing/events/", r"^GET .*list-type=2", r" copy$"


@pytest.mark.parametrize(
    ("kind", "phase"),
    [("reset", READS), ("truncate", READS), ("503", LISTINGS), ("stall", LISTINGS), ("500", PUBLISHES), ("reset", PUBLISHES)],
)  # fmt: skip
def test_a_transient_fault_is_retried_away_and_the_day_ends_the_same(faulty_s3, kind, phase):
    pipeline, proxy, expected = faulty_s3
    served = proxy.faults_served
    proxy.arm(kind, count=2, matching=phase, stall_seconds=1.0)
    result = pipeline.run(DAY)
    proxy.disarm()
    assert result.success, failure_messages(result)[-2000:]
    assert proxy.faults_served - served == 2, f"no request matching {phase!r} met the fault"
    assert content_hashes(pipeline.warehouse) == expected
