"""Parquet IO manager: one Hive-style prefix per daily partition, published atomically.

Layout (the data contract): ``<warehouse>/<asset>/date=YYYY-MM-DD/data.parquet``.

Dagster's own ``UPathIOManager`` refuses outputs that span several partitions (dagster#14332), so
a single-run backfill could not write its days separately. Here an asset returns
``{partition_key: DataFrame}`` for every day of its run, and each day is published on its own.
Inputs load as one lazy scan over the requested window (annotate ``pl.LazyFrame``) or as
``{partition_key: LazyFrame}`` (annotate ``dict``).
"""

from typing import Any

import dagster as dg
import polars as pl

from pipeline_assets.metadata import partition_metadata, run_metadata
from pipeline_assets.storage import Store

DATA_FILE = "data.parquet"


class MissingPartitionsError(dg.Failure):
    """An upstream partition the step needs was never published (retrying cannot help)."""

    def __init__(self, description: str):
        super().__init__(description=description, allow_retries=False)


def partition_prefix(asset: str, partition_key: str) -> str:
    return f"{asset}/date={partition_key}"


class ParquetWarehouseIOManager(dg.ConfigurableIOManager):
    """Reads and writes the warehouse; ``warehouse_url`` is a path or an object-store URL."""

    warehouse_url: str

    @property
    def store(self) -> Store:
        return Store(self.warehouse_url)

    def handle_output(self, context: dg.OutputContext, obj: dict[str, pl.DataFrame]) -> None:
        asset = context.asset_key.path[-1]
        expected = list(context.asset_partition_keys)
        if sorted(obj) != sorted(expected):
            raise dg.Failure(f"{asset}: produced partitions {sorted(obj)} but the run is for {expected}")
        store = self.store
        published = {}
        for partition_key in expected:
            prefix = partition_prefix(asset, partition_key)
            size = store.write_parquet(f"{prefix}/{DATA_FILE}", obj[partition_key])
            # Objects of an earlier layout or an interrupted writer are removed only after the new
            # version is in place, so the prefix never reads as empty.
            stale = [f.key for f in store.list_files(prefix, suffixes=(".parquet",)) if f.name != DATA_FILE]
            store.delete(stale)
            published[partition_key] = partition_metadata(obj[partition_key], store.uri(f"{prefix}/{DATA_FILE}"), size)
        context.add_output_metadata(run_metadata(published, context.definition_metadata))

    def load_input(self, context: dg.InputContext) -> Any:
        asset = context.asset_key.path[-1]
        partition_keys = list(context.asset_partition_keys) if context.has_asset_partitions else []
        scans = scan_partitions(self.store, asset, partition_keys)
        if _wants_mapping(context):
            return scans
        return pl.concat(scans.values(), how="vertical") if scans else pl.LazyFrame()


def scan_partitions(store: Store, asset: str, partition_keys: list[str]) -> dict[str, pl.LazyFrame]:
    """A lazy scan per published partition; any missing day fails, naming every missing day."""
    files = {
        key: [f.key for f in store.list_files(partition_prefix(asset, key), suffixes=(".parquet",))]
        for key in partition_keys
    }
    missing = [key for key, keys in files.items() if not keys]
    if missing:
        raise MissingPartitionsError(
            f"{asset} has no published partition for {', '.join(missing)} under {store.uri(asset)}: "
            f"materialise {asset} for {'that day' if len(missing) == 1 else 'those days'} first"
        )
    return {key: store.scan_parquet(keys) for key, keys in files.items()}


def _wants_mapping(context: dg.InputContext) -> bool:
    annotation = context.dagster_type.typing_type
    return annotation is dict or getattr(annotation, "__origin__", None) is dict
