"""Landing-zone sensor: a run for a day whenever its event or fx-rate files appear or change.

The cursor keeps, for each day, the newest modification time among its files, how many files
carry it and a digest of their names and versions: a late file or a re-upload makes a newer
file (or, within the store's clock tick, a new name or version at the newest time), so both are
noticed, and an unchanged day never triggers twice. A deleted file requests nothing. This stays
the size of the number of days (about 50 bytes each: 55 KB for three years), not of the files.
A tick does not list every file: it lists the day prefixes, then in full the new and the most
recent days and a rotating slice of the older ones, within a time budget (`landing_scan`); a
day not listed keeps its cursor entry, and the cursor also keeps where the rotation stopped.
Each tick requests at most ``MAX_DAYS_PER_TICK`` days; the rest keep their old entry and are
picked up on the next ticks. Files under a prefix that is not a partition day
(``date=2024-13-45``, before the start date, no ``date=`` at all) are reported once by name and
never run.

A changed day also changes the rolling 7-day window of the six days after it, so for each of
those already run, the sensor requests just ``rolling_revenue_7d`` and ``daily_report`` again.
Runs of ``daily_job`` go one at a time, in the order requested (see jobs.py).
"""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg

from pipeline_assets.jobs import daily_job
from pipeline_assets.landing_scan import ScanLimits, next_resume, scan_landing
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import EVENTS, LandingZone
from pipeline_assets.storage import StoredFile
from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS

MAX_DAYS_PER_TICK = 10
WINDOW_ASSETS = [dg.AssetKey("rolling_revenue_7d"), dg.AssetKey("search_themes"), dg.AssetKey("daily_report")]
_DAY = re.compile(r"^(?:events|fx_rates)/date=([^/]*)/")
NOT_A_DAY = "_not_a_day"  # the cursor entry of files under no partition day's prefix

DayMark = list  # [newest modification time, files at that time, digest of their keys and versions]


@dataclass(frozen=True)
class LandingPlan:
    days: list[tuple[str, str]]  # (partition key, run key), oldest first: run every asset
    window_refreshes: list[tuple[str, str]]  # later days whose rolling window now includes a change
    cursor: dict[str, DayMark]  # partition key -> its DayMark, for every day settled so far
    deferred_days: list[str]  # changed days left for a later tick
    not_a_day: list[str]  # files newly seen under a prefix that is not a partition day

    @property
    def deferred(self) -> int:
        return len(self.deferred_days)


def day_mark(files: list[StoredFile]) -> DayMark:
    newest = max(f.modified for f in files)
    at_newest = sorted(f"{f.key}\t{f.version}" for f in files if f.modified == newest)
    return [newest, len(at_newest), hashlib.sha256("\n".join(at_newest).encode()).hexdigest()[:12]]


def _is_newer(mark: DayMark, seen: DayMark | None) -> bool:
    """Has a file appeared or been replaced since ``seen``? (Only removed: no.)"""
    if seen is None or mark[0] > seen[0]:
        return True
    return mark[0] == seen[0] and mark[2] != seen[2] and mark[1] >= seen[1]


def plan_landing_runs(
    files: Iterable[StoredFile],
    cursor: dict[str, DayMark],
    valid_days: set[str],
    max_days: int = MAX_DAYS_PER_TICK,
    unlisted: Iterable[str] = (),
) -> LandingPlan:
    """Pure: which days to run, given the landing files now and the cursor of the last tick.

    ``files`` hold every file of the days they name; ``unlisted`` are days that exist but were
    not listed this tick: they keep their cursor entry and count as run if they have one."""
    by_day: dict[str, list[StoredFile]] = defaultdict(list)
    for file in files:
        match = _DAY.search(file.key)
        by_day[match.group(1) if match and match.group(1) in valid_days else NOT_A_DAY].append(file)
    stray = by_day.pop(NOT_A_DAY, [])
    marks = {day: day_mark(day_files) for day, day_files in by_day.items()}
    changed = sorted(
        day
        for day, day_files in by_day.items()
        if _is_newer(marks[day], cursor.get(day))
        and any(f.key.startswith(f"{EVENTS}/") for f in day_files)  # fx rates alone are not a day
    )
    chosen = changed[:max_days]
    deferred = set(changed[max_days:])
    new_cursor = {
        day: cursor[day] if day in deferred else mark
        for day, mark in marks.items()
        if day not in deferred or day in cursor
    }
    kept = {day for day in unlisted if day in cursor and day not in marks}
    new_cursor.update((day, cursor[day]) for day in kept)
    days = [(day, f"{day}:{_state(by_day[day])}") for day in chosen]
    already_run = {day for day in [*by_day, *kept] if day not in changed and day in cursor}
    later = sorted({d for day in chosen for d in _following_days(day)} & already_run)
    trigger = hashlib.sha256("".join(key for _, key in days).encode()).hexdigest()[:16]
    refreshes = [(day, f"{day}:window-after:{trigger}") for day in later]
    not_a_day = []
    if stray:
        mark, seen = day_mark(stray), cursor.get(NOT_A_DAY)
        if _is_newer(mark, seen):
            not_a_day = sorted(
                f.key for f in stray if seen is None or f.modified > seen[0] or f.modified == seen[0] == mark[0]
            )
        new_cursor[NOT_A_DAY] = mark
    return LandingPlan(days, refreshes, new_cursor, deferred_days=sorted(deferred), not_a_day=not_a_day)


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
    cursor = LandingCursor.parse(context.cursor)
    valid_days = set(daily_partitions.get_partition_keys(current_time=None))
    scan = scan_landing(
        landing.store,
        valid_days,
        set(cursor.days) - {NOT_A_DAY},
        cursor.resume,
        MAX_DAYS_PER_TICK,
        ScanLimits.from_env(),
    )
    plan = plan_landing_runs(scan.files, cursor.days, valid_days, unlisted=scan.unlisted)
    if plan.deferred:
        context.log.info(f"{plan.deferred} more changed days will be requested on the next ticks")
    if plan.not_a_day:
        shown = ", ".join(landing.uri(key) for key in plan.not_a_day[:10])
        more = f" and {len(plan.not_a_day) - 10} more" if len(plan.not_a_day) > 10 else ""
        context.log.warning(
            f"ignored {len(plan.not_a_day)} landing files under no partition day (not a YYYY-MM-DD "
            f"prefix, or outside {daily_partitions.start.date()} to today): {shown}{more}"
        )
    resume = next_resume(scan.rotated, set(plan.deferred_days), cursor.resume)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, partition_key=day) for day, run_key in plan.days]
        + [
            dg.RunRequest(run_key=run_key, partition_key=day, asset_selection=WINDOW_ASSETS)
            for day, run_key in plan.window_refreshes
        ],
        cursor=LandingCursor(plan.cursor, resume).dump(),
    )


@dataclass(frozen=True)
class LandingCursor:
    days: dict[str, DayMark]  # partition key (or NOT_A_DAY) -> its DayMark
    resume: str = ""  # the last older day the rotation revisited

    def dump(self) -> str:
        return json.dumps({"days": self.days, "resume": self.resume}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def parse(cls, text: str | None) -> "LandingCursor":
        """The last tick's cursor. The earlier form without a rotation (day -> DayMark) is read
        as it is; the per-file form before it (key -> version) starts afresh: each day is
        requested again under the run key it had, which Dagster skips if it ran."""
        data = json.loads(text or "{}")
        if isinstance(data.get("days"), Mapping):
            return cls(dict(data["days"]), str(data.get("resume") or ""))
        return cls(data if all(isinstance(mark, list) for mark in data.values()) else {})
