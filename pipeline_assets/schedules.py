"""Daily schedule: shortly after midnight UTC, yesterday's partition (the last complete day)."""

import dagster as dg

from pipeline_assets.jobs import daily_job

daily_schedule = dg.build_schedule_from_partitioned_job(
    daily_job,
    hour_of_day=1,
    minute_of_hour=0,
    name="daily_schedule",
    description="At 01:00 UTC, materialise every asset for the day that just ended.",
)
