"""SQL over the warehouse: every table asset is a table, read where it lies.

Polars' SQL engine runs over the same Hive-partitioned scans the project reads with
(`warehouse.asset_scan`), so a query works on local disk, S3, GCS and Azure with the store
credentials the pipeline uses. A filter on ``date`` (``--days``, or the query's own ``WHERE``) is
applied to the scan, so Polars opens only the partitions it keeps.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from pipeline_assets.cloud import redact
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import PARTITION_COLUMN, asset_scan, partition_prefix, published_days

OUTPUT_FORMATS = (".csv", ".parquet")


class QueryError(ValueError):
    """A query that cannot run as asked (unknown table, bad SQL, nothing published)."""


@dataclass(frozen=True)
class Window:
    """The days a query reads: the ``days`` days ending ``last``."""

    first: date
    last: date

    @classmethod
    def ending(cls, last: date, days: int) -> "Window":
        if days < 1:
            raise QueryError(f"--days must be at least 1, got {days}")
        return cls(last - timedelta(days=days - 1), last)


def table_assets(store: Store) -> dict[str, list[str]]:
    """Each asset of the warehouse that holds Parquet tables, with its published days.

    The report asset (HTML and CSV) is not a table, nor is what the pipeline keeps beside the
    assets (``_staging``, ``_leases``)."""
    tables = {}
    for name in store.list_children(""):
        if name.startswith(("_", ".")):
            continue
        days = published_days(store, name)
        if days and store.list_files(partition_prefix(name, days[-1]), suffixes=(".parquet",)):
            tables[name] = days
    return tables


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    tables: tuple[str, ...]
    window: Window | None  # the days read, when --days limited them


def run_query(store: Store, sql: str, days: int | None = None, until: date | None = None) -> QueryResult:
    """``sql`` over every table asset, each limited to the ``days`` days ending ``until`` (by
    default the latest day any table has published) when ``days`` is given."""
    tables = table_assets(store)
    if not tables:
        raise QueryError(f"no table has been published under {store.uri()}: materialise some days first")
    window = None
    if days is not None:
        latest = max(date.fromisoformat(day) for published in tables.values() for day in published)
        window = Window.ending(until or latest, days)
    elif until is not None:
        raise QueryError("--until says where --days ends; give --days too")
    context = pl.SQLContext({name: _scan(store, name, days, window) for name, days in tables.items()})
    try:
        frame = context.execute(sql, eager=False).collect()
    except pl.exceptions.SQLInterfaceError as error:  # an unknown table among others
        raise QueryError(f"{error} (the warehouse's tables: {', '.join(sorted(tables))})") from None
    except (pl.exceptions.PolarsError, OSError) as error:  # bad SQL, or a store that failed a read
        raise QueryError(redact(f"{type(error).__name__}: {error}")) from None
    return QueryResult(frame, tuple(sorted(tables)), window)


def _scan(store: Store, asset: str, days: list[str], window: Window | None) -> pl.LazyFrame:
    scan = asset_scan(store, asset, days)
    if window is None:
        return scan
    return scan.filter(pl.col(PARTITION_COLUMN).is_between(window.first, window.last))


def write_result(result: pl.DataFrame, out: str) -> None:
    path = Path(out)
    if path.suffix == ".csv":
        result.write_csv(path)
    elif path.suffix == ".parquet":
        result.write_parquet(path)
    else:
        raise QueryError(f"--out must end with {' or '.join(OUTPUT_FORMATS)}, got {out!r}")


def format_result(result: pl.DataFrame, max_rows: int) -> str:
    with pl.Config(tbl_rows=max_rows, tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=True):
        table = str(result)
    return f"{table}\n{result.height:,} rows"
