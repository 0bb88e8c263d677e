"""Per-partition freshness: each day's partition of every asset is expected by an hour (UTC) of the next day.

Dagster 1.13's ``FreshnessPolicy`` and ``build_time_partition_freshness_checks`` look at the
asset as a whole (the latest partition, or the latest materialisation of any partition), so a
missing older day goes unnoticed and nothing shows per partition. Here the ``freshness`` check is
partitioned like the assets: the daemon runs ``freshness_sensor``, which records one evaluation
per (asset, day) once the day's deadline has passed, runlessly (no run, no step process). The
check can also be executed from the UI for chosen partitions (a late day then shows as fresh, and
late), and runs launched from the UI include it. The hour comes from ``PIPELINE_FRESHNESS_HOUR_UTC`` (default 6, five hours
after the 01:00 schedule).
"""

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg

from pipeline_assets.checks import check_outputs, check_results, daily_check_spec
from pipeline_assets.partitions import daily_partitions

FRESHNESS_CHECK = "freshness"
FRESHNESS_HOUR_ENV = "PIPELINE_FRESHNESS_HOUR_UTC"
DEFAULT_FRESHNESS_HOUR = 6
LOOKBACK_DAYS = 7  # how far back the sensor looks for due days; it judges each day once (see freshness_sensor)
DAILY_ASSETS = (
    "raw_fx_rates", "raw_events", "clean_events", "rejected_events",
    "daily_user_metrics", "daily_event_summary", "rolling_revenue_7d", "daily_report",
    "search_queries", "search_query_embeddings", "search_index", "search_themes",
)  # fmt: skip


def freshness_hour(environ: Mapping[str, str] = os.environ) -> int:
    raw = environ.get(FRESHNESS_HOUR_ENV, str(DEFAULT_FRESHNESS_HOUR))
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 23:
        raise ValueError(f"{FRESHNESS_HOUR_ENV} must be an hour of the day from 0 to 23 (UTC), got {raw!r}")
    return int(raw)


def deadline(day: date, hour: int) -> datetime:
    """When ``day``'s partition is expected: ``hour`` o'clock UTC the next day."""
    return datetime.combine(day + timedelta(days=1), time(hour), UTC)


def days_due(now: datetime, hour: int, first_day: date, lookback_days: int = LOOKBACK_DAYS) -> list[date]:
    """The days, newest ``lookback_days`` only and none before ``first_day``, whose deadline has passed."""
    latest = now.date() - timedelta(days=1 if now >= deadline(now.date() - timedelta(days=1), hour) else 2)
    return [d for d in (latest - timedelta(days=back) for back in range(lookback_days)) if d >= first_day][::-1]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    description: str
    metadata: dict


def verdict(day: date, first_materialized: datetime | None, now: datetime, hour: int) -> Verdict:
    """Fresh if the day is materialised, or not due yet; late arrivals pass and say so."""
    due = deadline(day, hour)
    metadata: dict = {"deadline": dg.MetadataValue.timestamp(due)}
    if first_materialized is not None:
        late = first_materialized > due
        metadata |= {"first_materialized": dg.MetadataValue.timestamp(first_materialized), "late": late}
        when = "after" if late else "before"
        return Verdict(True, f"{day} materialised {when} its deadline {due:%Y-%m-%d %H:%M} UTC.", metadata)
    if now < due:
        return Verdict(True, f"{day} is not due until {due:%Y-%m-%d %H:%M} UTC.", metadata)
    return Verdict(False, f"{day} is overdue: expected by {due:%Y-%m-%d %H:%M} UTC, not materialised.", metadata)


def first_materializations(instance: dg.DagsterInstance, asset: str, days: Sequence[str]) -> dict[str, datetime]:
    """When each of ``days`` was first materialised, for those that were: one query for all of
    them (a range run's check asks for every day of the range), paged oldest first."""
    first: dict[str, datetime] = {}
    if not days:
        return first
    records_filter = dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=list(days))
    cursor = None
    while True:
        page = instance.fetch_materializations(records_filter, limit=1000, cursor=cursor, ascending=True)
        for record in page.records:
            if record.partition_key is not None:
                first.setdefault(record.partition_key, datetime.fromtimestamp(record.timestamp, UTC))
        if not page.has_more:
            return first
        cursor = page.cursor


def evaluations(
    instance: dg.DagsterInstance, asset: str, days: Sequence[str], now: datetime, hour: int
) -> list[dg.AssetCheckEvaluation]:
    """The freshness verdict of each of ``days`` of ``asset``."""
    first = first_materializations(instance, asset, days)
    return [_evaluation(asset, day, verdict(date.fromisoformat(day), first.get(day), now, hour)) for day in days]


def _evaluation(asset: str, day: str, result: Verdict) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(asset),
        check_name=FRESHNESS_CHECK,
        passed=result.passed,
        partition=day,
        description=result.description,
        metadata=result.metadata,
        severity=dg.AssetCheckSeverity.WARN,  # a late day is news, not a reason to block its consumers
    )


def _spec(asset: str) -> dg.AssetCheckSpec:
    return daily_check_spec(
        FRESHNESS_CHECK,
        asset,
        f"Each day's partition is materialised by {freshness_hour():02d}:00 UTC the next day "
        f"({FRESHNESS_HOUR_ENV}); evaluated per partition by freshness_sensor under the daemon.",
        blocking=False,
    )


@dg.multi_asset_check(specs=[_spec(asset) for asset in DAILY_ASSETS], name="freshness_checks", can_subset=True)
def freshness_checks(context: dg.AssetCheckExecutionContext):
    """Executed from the UI for chosen partitions: the same verdict the sensor records."""
    now, hour = datetime.now(UTC), freshness_hour()
    verdicts = [
        evaluation
        for check_key in context.selected_asset_check_keys
        for evaluation in evaluations(
            context.instance, check_key.asset_key.to_user_string(), context.partition_keys, now, hour
        )
    ]
    yield from check_results(context, verdicts)
    yield from check_outputs(context)


def pending(cursor: Mapping[str, list[str]], asset: str, days: Iterable[date]) -> list[str]:
    """The due days of ``asset`` whose verdict is not recorded yet (the cursor keeps those recorded)."""
    recorded = set(cursor.get(asset, ()))
    return [d.isoformat() for d in days if d.isoformat() not in recorded]


@dg.sensor(
    name="freshness_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records the per-partition freshness check of every daily asset once each day's deadline passes.",
)
def freshness_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """One verdict per (asset, day), at its deadline: was the day there in time? Dagster stores one
    runless evaluation per check and partition, so a later arrival is judged by executing the check
    (from the UI, or in a run the UI launches for that day), which records it again."""
    now, hour = datetime.now(UTC), freshness_hour()
    days = days_due(now, hour, daily_partitions.start.date())
    cursor = json.loads(context.cursor) if context.cursor else {}
    events, recorded = [], {}
    for asset in DAILY_ASSETS:
        kept = [d for d in cursor.get(asset, ()) if days and d >= days[0].isoformat()]
        new = pending(cursor, asset, days)
        events += evaluations(context.instance, asset, new, now, hour)
        recorded[asset] = sorted(kept + new)
    return dg.SensorResult(asset_events=events, cursor=json.dumps(recorded))
