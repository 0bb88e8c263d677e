"""The partitioned job that schedules and sensors launch: every asset, one day at a time."""

import dagster as dg

daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.all(),
    description="Materialise every asset (landing zone to report) for one day, or a range as one run.",
)
