"""Where the pipeline reads and writes, from the environment (names fixed by the data contract)."""

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# The repository root: the contract's relative defaults (data/landing, data/warehouse) resolve here,
# so `dagster dev`, the CLI and the tests agree whatever directory they start from.
REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_START_DATE = "2024-01-01"


@dataclass(frozen=True)
class PipelineSettings:
    landing_url: str
    warehouse_url: str
    start_date: str

    @classmethod
    def from_env(cls) -> "PipelineSettings":
        start_date = os.environ.get("PIPELINE_START_DATE", DEFAULT_START_DATE)
        try:
            date.fromisoformat(start_date)
        except ValueError:
            raise ValueError(f"PIPELINE_START_DATE must be a date as YYYY-MM-DD, got {start_date!r}") from None
        return cls(
            landing_url=_resolve(os.environ.get("PIPELINE_LANDING_URL", "data/landing")),
            warehouse_url=_resolve(os.environ.get("PIPELINE_WAREHOUSE_URL", "data/warehouse")),
            start_date=start_date,
        )


def _resolve(url: str) -> str:
    """Anchor a relative local path at the repo root; leave absolute paths and URLs alone."""
    if "://" in url or Path(url).is_absolute():
        return url
    return str(REPO_ROOT / url)
