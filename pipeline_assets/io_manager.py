"""Parquet IO manager: records a step's published days, and reads published days back.

Layout and staging are `pipeline_assets.warehouse`'s. A daily asset does not hand this IO manager
frames: it stages and audits each day itself and publishes the days of all its tables together
once every blocking check of the step passed (write-audit-publish, `assets.common`), then returns
a `PublishedTable` per asset, which is checked against the run's partitions here.
Dagster's own ``UPathIOManager`` refuses outputs that span several partitions (dagster#14332); a
single-run backfill's output spans all its days. Inputs load as one lazy scan over the requested
window (annotate ``pl.LazyFrame``) or as ``{partition_key: LazyFrame}`` (annotate ``dict``).
"""

from typing import Any

import dagster as dg
import polars as pl

from pipeline_assets.log_format import log_fields
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import PublishedTable, scan_partitions


class ParquetWarehouseIOManager(dg.ConfigurableIOManager):
    """Reads and writes the warehouse; ``warehouse_url`` is a path or an object-store URL."""

    warehouse_url: str

    @property
    def store(self) -> Store:
        return Store(self.warehouse_url)

    def handle_output(self, context: dg.OutputContext, obj: PublishedTable) -> None:
        asset = context.asset_key.path[-1]
        expected = sorted(context.asset_partition_keys)
        published = sorted(p.partition_key for p in obj.partitions)
        if obj.asset != asset or published != expected:
            raise dg.Failure(f"{asset}: published {obj.asset} for {published} but the run is for {expected}")
        context.log.info(
            f"{asset}: published {len(published)} partitions under {self.store.uri(asset)}",
            extra=log_fields(
                asset=asset, counts={"partitions": len(published), "rows": sum(p.rows for p in obj.partitions)}
            ),
        )

    def load_input(self, context: dg.InputContext) -> Any:
        asset = context.asset_key.path[-1]
        partition_keys = list(context.asset_partition_keys) if context.has_asset_partitions else []
        scans = scan_partitions(self.store, asset, partition_keys)
        if _wants_mapping(context):
            return scans
        return pl.concat(scans.values(), how="vertical") if scans else pl.LazyFrame()


def _wants_mapping(context: dg.InputContext) -> bool:
    annotation = context.dagster_type.typing_type
    return annotation is dict or getattr(annotation, "__origin__", None) is dict
