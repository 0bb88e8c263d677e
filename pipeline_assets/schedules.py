"""Daily schedule: shortly after midnight UTC, yesterday's partition (the last complete day).

Its cron comes from PIPELINE_SCHEDULE_CRON (default ``0 1 * * *``, 01:00 UTC), read once when the
code location loads; whatever it says, a tick requests the last day complete at its scheduled
time.
"""

import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster._utils.schedules import is_valid_cron_string

from pipeline_assets.jobs import daily_job
from pipeline_assets.partitions import daily_partitions

DEFAULT_SCHEDULE_CRON = "0 1 * * *"


def schedule_cron() -> str:
    """PIPELINE_SCHEDULE_CRON, checked here so that a typo names the setting, not a Dagster internal."""
    cron = os.environ.get("PIPELINE_SCHEDULE_CRON", DEFAULT_SCHEDULE_CRON).strip()
    if not is_valid_cron_string(cron):
        raise ValueError(
            f"PIPELINE_SCHEDULE_CRON must be a cron expression such as {DEFAULT_SCHEDULE_CRON!r}, got {cron!r}"
        )
    return cron


# A plain schedule rather than build_schedule_from_partitioned_job, which derives its cron from the
# partitions and refuses any other.
@dg.schedule(
    job=daily_job,
    cron_schedule=schedule_cron(),
    execution_timezone="UTC",
    description="Materialise every asset for the day that just ended, at 01:00 UTC (PIPELINE_SCHEDULE_CRON).",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    day = last_complete_day(context.scheduled_execution_time)
    if day < daily_partitions.start.date():
        return dg.SkipReason(f"no complete day yet (the partitions start {daily_partitions.start.date()})")
    return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())


def last_complete_day(at: datetime) -> date:
    """The UTC day that ended last before ``at``."""
    return at.astimezone(UTC).date() - timedelta(days=1)
