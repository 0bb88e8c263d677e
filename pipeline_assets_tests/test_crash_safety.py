"""kill -9 of a range run at many moments (eight on disk, two on each object store): readers only ever see whole partitions of one version,
staging is never read, and the next run publishes exactly the right data. On disk and each store.

Two landing states of the same days (seeds 7 and 8, same file names): each moment kills a run of
the second over a warehouse holding the first and checks what a reader sees; then the landing
zone goes back to the first, and the next run must publish exactly it, whatever the killed run
had staged or begun to publish.
"""

import os
import signal
import time
from dataclasses import dataclass
from datetime import date

import dagster as dg
import pytest

from pipeline_assets.definitions import build_definitions
from pipeline_assets.demo import run_range
from pipeline_assets.generator import generate
from pipeline_assets.settings import PipelineSettings
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import STAGING
from pipeline_assets_tests.conftest import STORES, store_root
from pipeline_assets_tests.processes import TABLES, content_hashes, start_run, wait_for_log

pytestmark = pytest.mark.integration

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
SEEDS = (7, 8)


@dataclass(frozen=True)
class Moment:
    """Kill when the ``occurrence``-th line matching ``pattern`` is logged, ``delay`` s later."""

    name: str
    pattern: str
    occurrence: int = 1
    delay: float = 0.0


MOMENTS = [
    Moment("reading", r" - events - STEP_START"),
    Moment("computing and staging", r" - events - .*2024-01-02: \d+ records"),
    Moment("auditing", r"ASSET_CHECK_EVALUATION - Asset check 'schema' on 'clean_events'", occurrence=2),
    Moment("publishing", r"ASSET_CHECK_EVALUATION - Asset check 'reconciliation'", occurrence=3),
    Moment("publishing, later", r"ASSET_CHECK_EVALUATION - Asset check 'reconciliation'", occurrence=3, delay=0.05),
    Moment("after events published", r" - events - .*published \d+ partitions"),
    Moment("aggregating", r" - daily_user_metrics - STEP_START"),
    Moment("publishing the last step", r" - rolling_revenue_7d - ASSET_CHECK_EVALUATION", occurrence=3),
]
CLOUD_MOMENTS = [MOMENTS[3], MOMENTS[6]]  # publishing and after: where object stores differ from disk


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict[int, dict[tuple[str, str], str]]:
    """What a run that nothing interrupts publishes for each landing state (the store does not
    change the rows, so disk is the reference)."""
    hashes = {}
    for seed in SEEDS:
        root = tmp_path_factory.mktemp(f"reference-{seed}")
        settings = PipelineSettings(f"{root}/landing", f"{root}/warehouse", DAYS[0])
        generate(date.fromisoformat(DAYS[0]), len(DAYS), 300, settings.landing_url, seed=seed)
        with dg.instance_for_test() as instance:
            assert run_range(build_definitions(settings), DAYS[0], DAYS[-1], instance).success
        hashes[seed] = content_hashes(Store(settings.warehouse_url))
        assert len(hashes[seed]) == len(TABLES) * len(DAYS)
    assert all(hashes[SEEDS[0]][k] != hashes[SEEDS[1]][k] for k in hashes[SEEDS[0]] if k[0] != "raw_fx_rates")
    return hashes


def run_and_kill(settings: PipelineSettings, home: str, moment: Moment) -> None:
    process = start_run(settings, home, DAYS[0], DAYS[-1])
    try:
        seen = wait_for_log(process, moment.pattern, moment.occurrence)
        assert seen, f"the run ended before {moment.name} ({moment.pattern!r})"
        time.sleep(moment.delay)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("kind", STORES)
def test_kill_9_at_any_moment_leaves_whole_partitions_and_the_next_run_repairs(request, tmp_path, kind, expected):
    with store_root(request, kind, tmp_path / "root") as root:
        settings = PipelineSettings(f"{root}/landing", f"{root}/warehouse", DAYS[0])
        home = str(tmp_path / "dagster-home")
        os.makedirs(home)
        store = Store(settings.warehouse_url)
        with dg.DagsterInstance.from_config(home) as instance:
            landed, killed = SEEDS
            generate(date.fromisoformat(DAYS[0]), len(DAYS), 300, settings.landing_url, seed=landed)
            assert run_range(build_definitions(settings), DAYS[0], DAYS[-1], instance).success
            for moment in MOMENTS if kind == "local" else CLOUD_MOMENTS:
                generate(date.fromisoformat(DAYS[0]), len(DAYS), 300, settings.landing_url, seed=killed)
                run_and_kill(settings, home, moment)

                for (asset, day), digest in content_hashes(store).items():
                    assert digest in (expected[landed][asset, day], expected[killed][asset, day]), (
                        f"killed while {moment.name}: {asset} {day} is from neither landing state"
                    )
                # The landing zone goes back: the next run must publish exactly that state, so
                # nothing the killed run staged may reach the warehouse after it.
                generate(date.fromisoformat(DAYS[0]), len(DAYS), 300, settings.landing_url, seed=landed)
                assert run_range(build_definitions(settings), DAYS[0], DAYS[-1], instance).success, moment.name
                assert content_hashes(store) == expected[landed], f"after a kill while {moment.name}"
                assert store.list_files(STAGING) == [], f"staging left after a kill while {moment.name}"
