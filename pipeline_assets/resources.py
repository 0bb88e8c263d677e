"""Resources: the landing zone the raw assets read and the sensor watches."""

import dagster as dg

from pipeline_assets.partitions import partition_day
from pipeline_assets.storage import Store, StoredFile
from pipeline_assets.transforms.landing_file import EVENT_SUFFIXES, LandingFileError

EVENTS, FX_RATES = "events", "fx_rates"


class LandingFileChanged(LandingFileError):
    """A landing file replaced while it was read: reading it again can succeed."""


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
        """The day's event files; one inside a folder of the day's prefix (a "file" that is a
        directory, say ``x.csv/part.csv``) is not the contract's layout and is refused by name."""
        prefix = day_prefix(EVENTS, partition_key)
        files = self.store.list_files(prefix, suffixes=SUFFIXES[EVENTS])
        nested = sorted({f.key[len(prefix) + 1 :].split("/", 1)[0] for f in files if "/" in f.key[len(prefix) + 1 :]})
        if nested:
            raise LandingFileError(
                f"{', '.join(self.uri(f'{prefix}/{name}') for name in nested)}: a directory where the day's "
                "files belong; landing files go directly under the day's prefix"
            )
        return files

    def fx_rate_files(self, partition_key: str) -> list[StoredFile]:
        return self.store.list_files(day_prefix(FX_RATES, partition_key), suffixes=SUFFIXES[FX_RATES])

    def all_files(self, dataset: str) -> list[StoredFile]:
        return self.store.list_files(dataset, suffixes=SUFFIXES[dataset])

    def read(self, file: StoredFile) -> bytes:
        """The file's bytes as listed: if it was replaced meanwhile, its bytes could be half of
        each version (an upload over a local file) or not the version the run was planned on."""
        data = self.store.read_bytes(file.key)
        now = self.store.version(file.key)
        if now != file.version:
            raise LandingFileChanged(
                f"{self.uri(file.key)} changed while it was read (version {file.version} then {now}); "
                "the next attempt reads it again"
            )
        return data

    def uri(self, key: str) -> str:
        return self.store.uri(key)


class Warehouse(dg.ConfigurableResource):
    """The warehouse, for assets that write files of their own (the HTML report)."""

    warehouse_url: str

    @property
    def store(self) -> Store:
        return Store(self.warehouse_url)
