"""Shared fixtures: a pipeline wired to temporary landing and warehouse directories."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline_assets.definitions import build_definitions
from pipeline_assets.demo import run_range
from pipeline_assets.generator import generate
from pipeline_assets.settings import PipelineSettings
from pipeline_assets.storage import Store


@dataclass
class Pipeline:
    """The real code location over a given landing zone and warehouse, on a throwaway instance."""

    settings: PipelineSettings
    instance: dg.DagsterInstance

    @property
    def defs(self) -> dg.Definitions:
        return build_definitions(self.settings)

    @property
    def warehouse(self) -> Store:
        return Store(self.settings.warehouse_url)

    @property
    def landing(self) -> Store:
        return Store(self.settings.landing_url)

    def run(self, start: str, end: str | None = None) -> dg.ExecuteInProcessResult:
        return run_range(self.defs, start, end or start, self.instance)

    def generate(self, start: str, days: int, rows_per_day: int = 400) -> dict:
        return generate(date.fromisoformat(start), days, rows_per_day, self.settings.landing_url)

    def table(self, asset: str, day: str) -> pl.DataFrame:
        files = self.warehouse.list_files(f"{asset}/date={day}", suffixes=(".parquet",))
        return self.warehouse.scan_parquet([f.key for f in files]).collect()

    def files(self, asset: str) -> list[str]:
        return [f.key for f in self.warehouse.list_files(asset)]


def make_pipeline(landing_url: str, warehouse_url: str) -> Iterator[Pipeline]:
    settings = PipelineSettings(landing_url=landing_url, warehouse_url=warehouse_url, start_date="2024-01-01")
    with dg.instance_for_test() as instance:
        yield Pipeline(settings, instance)


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    yield from make_pipeline(str(tmp_path / "landing"), str(tmp_path / "warehouse"))
