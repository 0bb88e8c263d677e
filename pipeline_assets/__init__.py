"""Daily product-event analytics as a Dagster asset graph (see README.md)."""

import warnings

# Partitioned asset checks (preview) and backfill policies (beta) are used on purpose: dagster is
# pinned to an exact version and the tests cover both, so their notices would only be noise.
warnings.filterwarnings("ignore", category=Warning, module=r"dagster\..*", message=r".*(preview|beta).*")
