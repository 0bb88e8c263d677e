"""Two runs of one day at once, raced in real processes: the day ends as one landing state, the
newer, whole. The first run reads the contested day first in a range of five and publishes it
only at the end of its step; the second, started once the first has read that day and the
landing zone has changed, runs that day alone. Without the per-day leases the second publishes
first and the first then puts the older state over it."""

from datetime import date

import dagster as dg
import pytest

from pipeline_assets.definitions import build_definitions
from pipeline_assets.demo import run_range
from pipeline_assets.generator import generate
from pipeline_assets.settings import PipelineSettings
from pipeline_assets.storage import Store
from pipeline_assets_tests.conftest import store_root
from pipeline_assets_tests.processes import content_hashes, start_run, wait_for_log

pytestmark = pytest.mark.integration

DAYS = [f"2024-01-{day:02d}" for day in range(1, 31)]
CONTESTED = DAYS[0]
OLDER, NEWER = (7, 5_000), (8, 300)  # (seed, records a day) of the landing states


def day_hashes(store: Store, day: str) -> dict:
    return {key: digest for key, digest in content_hashes(store).items() if key[1] == day}


@pytest.fixture(scope="module")
def newer_state(tmp_path_factory) -> dict:
    """The contested day as a run that nothing disturbs publishes it from the newer landing."""
    root = tmp_path_factory.mktemp("reference")
    settings = PipelineSettings(f"{root}/landing", f"{root}/warehouse", DAYS[0])
    generate(date.fromisoformat(CONTESTED), 1, NEWER[1], settings.landing_url, seed=NEWER[0])
    with dg.instance_for_test() as instance:
        assert run_range(build_definitions(settings), CONTESTED, CONTESTED, instance).success
    return day_hashes(Store(settings.warehouse_url), CONTESTED)


# Each store's own guard (its conditional create) is raced on every store in test_leases.py.
@pytest.mark.parametrize("kind", ["local", pytest.param("s3", marks=pytest.mark.cloud)])
def test_two_runs_of_a_day_end_with_the_newer_landing_state_whole(request, tmp_path, kind, newer_state):
    with store_root(request, kind, tmp_path / "root") as root:
        settings = PipelineSettings(f"{root}/landing", f"{root}/warehouse", DAYS[0])
        home = tmp_path / "dagster-home"
        home.mkdir()
        generate(date.fromisoformat(DAYS[0]), len(DAYS), OLDER[1], settings.landing_url, seed=OLDER[0])

        first = start_run(settings, str(home), DAYS[0], DAYS[-1])
        assert wait_for_log(first, rf" - events - {CONTESTED}: \d+ records"), "the first run never read the day"
        generate(date.fromisoformat(CONTESTED), 1, NEWER[1], settings.landing_url, seed=NEWER[0])
        second = start_run(settings, str(home), CONTESTED, CONTESTED)
        second_log = second.stderr.read()
        first.stderr.read()
        assert (first.wait(timeout=600), second.wait(timeout=600)) == (0, 0), second_log[-3000:]

        assert day_hashes(Store(settings.warehouse_url), CONTESTED) == newer_state
        assert "waiting for run" in second_log  # it did meet the first run's lease
