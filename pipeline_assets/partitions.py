"""The one partitioning of the graph: UTC days from PIPELINE_START_DATE."""

import re
import warnings
from datetime import date

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


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def partition_day(partition_key: str) -> date:
    """The day a partition key names; anything but ``YYYY-MM-DD`` is refused, so that no key
    (from a run's tags, a CLI argument or a landing prefix) can steer a path elsewhere."""
    try:
        if _DAY.fullmatch(partition_key):
            return date.fromisoformat(partition_key)
    except ValueError:
        pass
    raise ValueError(f"partition key {partition_key!r} is not a day as YYYY-MM-DD")
