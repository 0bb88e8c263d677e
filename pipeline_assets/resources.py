"""Resources: the landing zone the raw assets read and the sensor watches."""

import dagster as dg

from pipeline_assets.partitions import partition_day
from pipeline_assets.storage import Store, StoredFile
from pipeline_assets.transforms.ingest import EVENT_SUFFIXES

EVENTS, FX_RATES = "events", "fx_rates"
SUFFIXES = {EVENTS: EVENT_SUFFIXES, FX_RATES: (".csv",)}


def day_prefix(dataset: str, partition_key: str) -> str:
    return f"{dataset}/date={partition_day(partition_key).isoformat()}"


class LandingZone(dg.ConfigurableResource):
    """``<landing>/events/date=YYYY-MM-DD/*`` and ``<landing>/fx_rates/date=YYYY-MM-DD/*.csv``."""

    landing_url: str

    @property
    def store(self) -> Store:
        return Store(self.landing_url)

    def event_files(self, partition_key: str) -> list[StoredFile]:
        return self.store.list_files(day_prefix(EVENTS, partition_key), suffixes=SUFFIXES[EVENTS])

    def fx_rate_files(self, partition_key: str) -> list[StoredFile]:
        return self.store.list_files(day_prefix(FX_RATES, partition_key), suffixes=SUFFIXES[FX_RATES])

    def all_files(self, dataset: str) -> list[StoredFile]:
        return self.store.list_files(dataset, suffixes=SUFFIXES[dataset])

    def read(self, file: StoredFile) -> bytes:
        return self.store.read_bytes(file.key)

    def uri(self, key: str) -> str:
        return self.store.uri(key)


class Warehouse(dg.ConfigurableResource):
    """The warehouse, for assets that write files of their own (the HTML report)."""

    warehouse_url: str

    @property
    def store(self) -> Store:
        return Store(self.warehouse_url)
