"""The partitioned job that schedules and sensors launch: every asset, one day at a time."""

import dagster as dg

from pipeline_assets.freshness import freshness_checks

# One daily run at a time (dagster.yaml limits this tag to 1): the sensor may request several days
# at once, and a day's rolling window reads the days before it, so they must land in order.
SERIAL_TAG = {"pipeline/serial": "daily"}

daily_job = dg.define_asset_job(
    "daily_job",
    # Freshness is judged by freshness_sensor after each day's deadline, not by the run that
    # materialises the day (which would always find it fresh).
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(freshness_checks),
    tags=SERIAL_TAG,
    description="Materialise every asset (landing zone to report) for one day, or a range as one run.",
)
