"""The production instance end to end on the real PostgreSQL (127.0.0.1:5432): dagster-daemon,
the code server and the webserver as real processes on deploy/dagster.yaml, and every run
launched the way production launches it. The sensor and the schedule are switched on through the
UI's GraphQL API and evaluated by the daemon; the backfill is launched as the UI launches it and
processed by the daemon's backfill loop; two requests for one day meet the instance's limits.

The days: START (the landing sensor), START+1 and START+2 (a backfill), yesterday (the schedule),
so each day's rolling window finds the days before it published."""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.scheduler.instigation import InstigatorStatus

from pipeline_assets.generator import generate
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import published_days
from pipeline_assets_tests.deployment import LOCATION, REPOSITORY, Deployment, deployment, postgres_database, wait_for
from pipeline_assets_tests.processes import TABLES, content_hashes

pytestmark = pytest.mark.integration

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
START = YESTERDAY - timedelta(days=3)
DAYS = [(START + timedelta(days=n)).isoformat() for n in range(4)]
SENSOR_DAY, BACKFILL_DAYS, SCHEDULE_DAY = DAYS[0], DAYS[1:3], DAYS[3]
ROWS_PER_DAY = 200
RUN_TIMEOUT = 240
ALL_ASSETS = [*TABLES, "search_queries", "search_query_embeddings", "search_index", "search_themes", "daily_report"]


@pytest.fixture(scope="module")
def prod(tmp_path_factory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("production")
    pipeline_env = {
        "PIPELINE_LANDING_URL": str(root / "landing"),
        "PIPELINE_WAREHOUSE_URL": str(root / "warehouse"),
        "PIPELINE_START_DATE": START.isoformat(),
        "PIPELINE_SCHEDULE_CRON": "* * * * *",  # a tick every minute instead of at 01:00
    }
    with postgres_database() as database, deployment(root, database, pipeline_env) as target:
        yield target


def land(prod: Deployment, day: str, seed: int = 7) -> None:
    generate(date.fromisoformat(day), 1, ROWS_PER_DAY, prod.env["PIPELINE_LANDING_URL"], seed=seed)


def warehouse(prod: Deployment) -> Store:
    return Store(prod.env["PIPELINE_WAREHOUSE_URL"])


def published(prod: Deployment, day: str) -> bool:
    return all(day in published_days(warehouse(prod), asset) for asset in ALL_ASSETS)


def finished_runs(prod: Deployment, tags: dict[str, str], count: int = 1) -> list[dg.RunRecord]:
    """Wait until ``count`` runs carrying ``tags`` have ended; fail if one of them did not succeed."""
    with prod.instance() as instance:

        def ended():
            done = [r for r in instance.get_run_records(dg.RunsFilter(tags=tags)) if r.dagster_run.is_finished]
            return done if len(done) >= count else None

        records = wait_for(ended, RUN_TIMEOUT, prod, f"{count} finished run(s) tagged {tags}", interval=2)
    failed = [r.dagster_run.run_id for r in records if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS]
    assert not failed, f"runs {failed} did not succeed\n{prod.log_tails()}"
    return records


def test_the_landing_sensor_launches_a_run_that_publishes_a_new_day(prod):
    land(prod, SENSOR_DAY)
    data = prod.graphql(
        """mutation($selector: SensorSelector!) { startSensor(sensorSelector: $selector) {
             __typename ... on Sensor { sensorState { id status } } ... on PythonError { message } } }""",
        selector={"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": "landing_sensor"},
    )["startSensor"]
    assert data["__typename"] == "Sensor", data
    try:
        [record] = finished_runs(prod, {"dagster/sensor_name": "landing_sensor", "dagster/partition": SENSOR_DAY})
    finally:
        stopped = prod.graphql(
            """mutation($id: String) { stopSensor(id: $id) {
                 __typename ... on StopSensorMutationResult { instigationState { status } } } }""",
            id=data["sensorState"]["id"],
        )["stopSensor"]
        assert stopped.get("instigationState", {}).get("status") == "STOPPED", stopped  # later tests need it off
    assert record.dagster_run.job_name == "daily_job"
    assert published(prod, SENSOR_DAY)
    # The run's stdout/stderr, where the UI reads them and README "Deploying" says they are.
    assert list((prod.home / "storage" / record.dagster_run.run_id / "compute_logs").glob("*.err"))


def test_a_backfill_launched_as_the_ui_does_is_run_by_the_daemon(prod):
    for day in BACKFILL_DAYS:
        land(prod, day)
    data = prod.graphql(
        """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
             __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        # What the UI's dialog sends for days picked on the asset graph: names and a selection.
        params={"partitionNames": BACKFILL_DAYS, "assetSelection": [{"path": [asset]} for asset in ALL_ASSETS]},
    )["launchPartitionBackfill"]
    assert data["__typename"] == "LaunchBackfillSuccess", data
    backfill_id = data["backfillId"]
    with prod.instance() as instance:
        status = wait_for(
            lambda: (s := instance.get_backfill(backfill_id).status) != BulkActionStatus.REQUESTED and s,
            RUN_TIMEOUT,
            prod,
            f"backfill {backfill_id}",
            interval=2,
        )
    assert status == BulkActionStatus.COMPLETED_SUCCESS, f"{status}\n{prod.log_tails()}"
    runs = finished_runs(prod, {"dagster/backfill": backfill_id})
    assert len(runs) == 1  # single-run backfill policy: one run for the range
    assert all(published(prod, day) for day in BACKFILL_DAYS)


def test_the_schedule_tick_runs_yesterday(prod):
    land(prod, SCHEDULE_DAY)
    data = prod.graphql(
        """mutation($selector: ScheduleSelector!) { startSchedule(scheduleSelector: $selector) {
             __typename ... on ScheduleStateResult { scheduleState { id selectorId } } ... on PythonError { message } } }""",
        selector={"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "scheduleName": "daily_schedule"},
    )["startSchedule"]
    assert data["__typename"] == "ScheduleStateResult", data
    tags = {"dagster/schedule_name": "daily_schedule"}
    try:  # one tick is enough: switched off as soon as it has requested its run
        with prod.instance() as instance:
            requested = wait_for(
                lambda: instance.get_run_records(dg.RunsFilter(tags=tags)), 90, prod, "a schedule tick"
            )
    finally:
        stop_schedule(prod, data["scheduleState"]["id"], data["scheduleState"]["selectorId"])
    # The daemon's "yesterday" is the clock's at the tick, this module's at its import: a suite
    # running across midnight UTC asks for a day this module never landed.
    tick_day = requested[-1].dagster_run.tags["dagster/partition"]
    if tick_day != SCHEDULE_DAY and datetime.now(UTC).date() - timedelta(days=1) > YESTERDAY:
        pytest.skip(f"midnight UTC passed during the module: the tick asked for {tick_day}, not {SCHEDULE_DAY}")
    record = finished_runs(prod, tags)[-1]  # the first tick's
    assert record.dagster_run.tags["dagster/partition"] == SCHEDULE_DAY == YESTERDAY.isoformat()
    assert published(prod, SCHEDULE_DAY)


def stop_schedule(prod: Deployment, state_id: str, selector_id: str) -> None:
    """Switch the schedule off for good. A tick still in progress writes back the state it read
    (RUNNING) when it ends, so stop until the instance keeps it stopped; later tests need it off."""
    origin_id = state_id.split("::")[0]
    for _ in range(6):
        prod.graphql(
            """mutation($origin: String, $selector: String) {
                 stopRunningSchedule(scheduleOriginId: $origin, scheduleSelectorId: $selector) { __typename } }""",
            origin=origin_id,
            selector=selector_id,
        )
        time.sleep(5)
        with prod.instance() as instance:
            if instance.get_instigator_state(origin_id, selector_id).status == InstigatorStatus.STOPPED:
                return
    raise AssertionError(f"daily_schedule would not stay stopped\n{prod.log_tails()}")


LAUNCH = """mutation($params: ExecutionParams!) { launchPipelineExecution(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def launch_materialization(prod: Deployment, tags: dict[str, str]) -> str:
    """What "Materialize" on the asset graph launches for one day: a run of every asset."""
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": [asset]} for asset in ALL_ASSETS],
        },
        "executionMetadata": {"tags": [{"key": key, "value": value} for key, value in tags.items()]},
    }
    data = prod.graphql(LAUNCH, params=params)["launchPipelineExecution"]
    assert data["__typename"] == "LaunchRunSuccess", data
    return data["run"]["runId"]


def test_two_requests_for_one_day_run_one_after_the_other(prod):
    day = SENSOR_DAY  # published by the first test; its rolling window is itself alone
    before = {key: digest for key, digest in content_hashes(warehouse(prod)).items() if key[1] == day}
    # Not daily_job: its serial tag would keep the two apart whatever the day; the asset job that
    # the UI's "Materialize" launches has only the day's own limit.
    request = uuid.uuid4().hex
    for _ in range(2):
        launch_materialization(prod, {"dagster/partition": day, "test/request": request})
    first, second = sorted(finished_runs(prod, {"test/request": request}, count=2), key=lambda r: r.start_time)
    assert first.end_time <= second.start_time, (
        f"the runs of {day} overlapped: {first.start_time}-{first.end_time} and {second.start_time}-{second.end_time}"
    )
    after = {key: digest for key, digest in content_hashes(warehouse(prod)).items() if key[1] == day}
    assert len(before) == len(TABLES) and after == before  # the same landing state, whole, after each run
