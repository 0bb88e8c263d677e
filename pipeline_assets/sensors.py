"""Landing-zone sensor: a run for a day whenever its event or fx-rate files appear or change.

The cursor remembers each landing object's version (ETag, or size and modification time), not
the last key seen: a late file for an old day and a re-upload under the same name are both
noticed, and an unchanged file never triggers twice. Each tick requests at most
``MAX_DAYS_PER_TICK`` days; the rest stay unrecorded and are picked up on the next tick.

A changed day also changes the rolling 7-day window of the six days after it, so for each of
those already run, the sensor requests just ``rolling_revenue_7d`` and ``daily_report`` again.
Runs of ``daily_job`` go one at a time, in the order requested (see jobs.py).
"""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg

from pipeline_assets.jobs import daily_job
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import EVENTS, FX_RATES, LandingZone
from pipeline_assets.storage import StoredFile
from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS

MAX_DAYS_PER_TICK = 10
WINDOW_ASSETS = [dg.AssetKey("rolling_revenue_7d"), dg.AssetKey("daily_report")]
_DAY = re.compile(r"(?:^|/)date=(\d{4}-\d{2}-\d{2})/")


@dataclass(frozen=True)
class LandingPlan:
    days: list[tuple[str, str]]  # (partition key, run key), oldest first: run every asset
    window_refreshes: list[tuple[str, str]]  # later days whose rolling window now includes a change
    cursor: dict[str, str]  # landing key -> version, for every file settled so far
    deferred: int  # changed days left for a later tick


def plan_landing_runs(
    files: Iterable[StoredFile], cursor: dict[str, str], valid_days: set[str], max_days: int = MAX_DAYS_PER_TICK
) -> LandingPlan:
    """Pure: which days to run, given the landing files now and the versions seen before."""
    by_day: dict[str, list[StoredFile]] = defaultdict(list)
    for file in files:
        match = _DAY.search(file.key)
        if match and match.group(1) in valid_days:
            by_day[match.group(1)].append(file)
    changed = sorted(
        day
        for day, day_files in by_day.items()
        if any(cursor.get(f.key) != f.version for f in day_files)
        and any(f.key.startswith(f"{EVENTS}/") for f in day_files)  # fx rates alone are not a day
    )
    chosen = changed[:max_days]
    settled = {day for day in by_day if day not in changed or day in chosen}
    # Only files that still exist are kept, so the cursor stays the size of the landing zone.
    new_cursor = {
        f.key: (f.version if day in settled else cursor[f.key])
        for day, day_files in by_day.items()
        for f in day_files
        if day in settled or f.key in cursor
    }
    days = [(day, f"{day}:{_state(by_day[day])}") for day in chosen]
    already_run = {
        day for day, day_files in by_day.items() if day not in changed and any(f.key in cursor for f in day_files)
    }
    later = sorted({d for day in chosen for d in _following_days(day)} & already_run)
    trigger = hashlib.sha256("".join(key for _, key in days).encode()).hexdigest()[:16]
    refreshes = [(day, f"{day}:window-after:{trigger}") for day in later]
    return LandingPlan(days, refreshes, new_cursor, deferred=len(changed) - len(chosen))


def _following_days(partition_key: str) -> list[str]:
    day = date.fromisoformat(partition_key)
    return [(day + timedelta(days=n)).isoformat() for n in range(1, ROLLING_WINDOW_DAYS)]


def _state(files: list[StoredFile]) -> str:
    """A digest of a day's files and versions: the run key, so one state never runs twice."""
    text = "\n".join(f"{f.key}\t{f.version}" for f in sorted(files, key=lambda f: f.key))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dg.sensor(
    job=daily_job,
    minimum_interval_seconds=60,
    description="Requests a daily_job run for each day whose landing files appeared or changed, "
    "and refreshes the rolling window of the six days after it.",
)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone) -> dg.SensorResult:
    files = [*landing.all_files(EVENTS), *landing.all_files(FX_RATES)]
    valid_days = set(daily_partitions.get_partition_keys(current_time=None))
    plan = plan_landing_runs(files, json.loads(context.cursor or "{}"), valid_days)
    if plan.deferred:
        context.log.info(f"{plan.deferred} more changed days will be requested on the next ticks")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, partition_key=day) for day, run_key in plan.days]
        + [
            dg.RunRequest(run_key=run_key, partition_key=day, asset_selection=WINDOW_ASSETS)
            for day, run_key in plan.window_refreshes
        ],
        cursor=json.dumps(plan.cursor, sort_keys=True),
    )
