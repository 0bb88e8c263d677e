"""The partitioned job that schedules and sensors launch: every asset, one day at a time."""

import dagster as dg

# One daily run at a time (dagster.yaml limits this tag to 1): the sensor may request several days
# at once, and a day's rolling window reads the days before it, so they must land in order.
SERIAL_TAG = {"pipeline/serial": "daily"}

daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.all(),
    tags=SERIAL_TAG,
    description="Materialise every asset (landing zone to report) for one day, or a range as one run.",
)
