"""The one partitioning of the graph: UTC days from PIPELINE_START_DATE."""

import warnings

import dagster as dg

from pipeline_assets.settings import PipelineSettings

# Partitioned asset checks (preview) and backfill policies and window mappings (beta) are used on
# purpose: dagster is pinned to an exact version and the tests cover them, so the notices are noise.
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
warnings.filterwarnings("ignore", category=dg.BetaWarning)

# Read once at import: a partitions definition is fixed when the code location loads.
daily_partitions = dg.DailyPartitionsDefinition(start_date=PipelineSettings.from_env().start_date, timezone="UTC")

# One run writes every day of a range (each day still published on its own): a backfill of a
# month is one process, one code load, instead of thirty.
single_run_backfill = dg.BackfillPolicy.single_run()
