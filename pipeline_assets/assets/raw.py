"""Raw layer: the day's fx rates as landed, and the landing-zone ingestion shared with events."""

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime

import dagster as dg
import polars as pl

from pipeline_assets.assets.common import WriteAuditPublish, daily_multi_asset, table_out
from pipeline_assets.checks import schema_check_spec
from pipeline_assets.resources import EVENTS, LandingFileChanged, LandingZone, Warehouse, day_prefix
from pipeline_assets.schemas import RawFxRates
from pipeline_assets.storage import StoredFile
from pipeline_assets.transforms.clean import type_fx_rates
from pipeline_assets.transforms.ingest import decompressed, parse_content
from pipeline_assets.transforms.landing_count import count_records
from pipeline_assets.transforms.landing_file import INGESTED_AT, SOURCE_FILE, SOURCE_LINE, LandingFileError, ParsedFile

# One pool for the process, not one per day: C allocators keep an arena per thread, and fresh
# threads every day would each fragment a fresh one (a range run's memory grew by the day).
_READERS = ThreadPoolExecutor(max_workers=3, thread_name_prefix="landing-reader")
# Files are parsed ahead of the one being used while their landing bytes stay within this (one
# is always read, whatever its size): parsed text takes several times its file's size, so a day
# of large files is read one file at a time and a day of small ones all at once.
READ_AHEAD_BYTES = 256 * 2**20
_GZIP_RATIO = 5  # a gzip file's text is about this many times its size (the generator's: 4.6-5.2)
LandingReads = Iterator[tuple[StoredFile, ParsedFile, int]]  # each file, its records, its count from the bytes


def read_landing_days(
    landing: LandingZone, files_by_day: Mapping[str, Sequence[StoredFile]]
) -> Iterator[tuple[str, LandingReads]]:
    """Each day with its files: each file (in name order) parsed, and its records counted from
    the bytes by other code than the parser's (for the reconciliation). Take each day's files
    before the next day's, and let go of each file's records before the next.

    Several files are parsed at a time within `READ_AHEAD_BYTES` (Arrow, Polars and NumPy release
    the GIL). The next day's files start when a day's last file is handed over, within that budget
    counting the file handed over: a range run of small days parses a day while the one before is
    cleaned, staged and audited, instead of waiting for its parse. Never more than one day ahead,
    so a range run holds no more the longer it is."""
    reads = _ReadAhead(landing, files_by_day)
    try:
        for day in files_by_day:
            yield day, reads.files_of(day)
    finally:  # a step that stops early (a failed check) leaves no file queued to be parsed
        reads.cancel()


class _ReadAhead:
    def __init__(self, landing: LandingZone, files_by_day: Mapping[str, Sequence[StoredFile]]):
        self.landing = landing
        self.waiting = deque(
            (day, file) for day, files in files_by_day.items() for file in sorted(files, key=lambda file: file.key)
        )
        self.reading: deque[tuple[str, StoredFile, Future[tuple[ParsedFile, int]]]] = deque()

    def files_of(self, day: str) -> LandingReads:
        while self._has(day):
            self._start(day)
            _, file, future = self.reading.popleft()
            # No log line per file: each is an event the run's storage writes (a range run has
            # thousands); the day's counts are logged, and each file's are in landing_files' metadata.
            parsed, counted = future.result()
            self._start(day, held=file)
            if self.waiting and not self._has(day):  # the day's last file: the next day's are read meanwhile
                self._start(self.waiting[0][0], held=file)
            yield file, parsed, counted
            del parsed, future  # resumed: the caller is done with the file

    def cancel(self) -> None:
        for _, _, future in self.reading:
            future.cancel()

    def _has(self, day: str) -> bool:
        """Whether any of ``day``'s files is waiting or in flight (days are taken in order)."""
        return any(queue and queue[0][0] == day for queue in (self.reading, self.waiting))

    def _start(self, day: str, held: StoredFile | None = None) -> None:
        """Start ``day``'s waiting files within the budget, counting the file the caller holds
        (with nothing in flight or held, one whatever its size)."""
        while self.waiting and self.waiting[0][0] == day:
            in_flight = [file for _, file, _ in self.reading] + ([held] if held else [])
            if in_flight and _text_size(self.waiting[0][1], *in_flight) > READ_AHEAD_BYTES:
                return
            _, file = self.waiting.popleft()
            self.reading.append((day, file, _READERS.submit(_read_landing_file, self.landing, file)))


def _text_size(*files: StoredFile) -> int:
    return sum(file.size * (_GZIP_RATIO if file.key.endswith(".gz") else 1) for file in files)


def _read_landing_file(landing: LandingZone, file: StoredFile) -> tuple[ParsedFile, int]:
    try:
        content = decompressed(file.key, landing.read(file))
        return parse_content(file.key, content), count_records(file.key, content)
    except LandingFileChanged as error:
        raise dg.Failure(str(error), allow_retries=True) from None
    except LandingFileError as error:
        problem = str(error).removeprefix(f"{file.key}: ")
        raise dg.Failure(f"{landing.uri(file.key)}: {problem}", allow_retries=False) from None
    except pl.exceptions.PolarsError as error:
        # A record the parser's own checks passed and Polars' bulk reader still refused: a parser
        # defect, since such a record belongs in rejected_events. The day stops, naming the file.
        reason = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise dg.Failure(
            f"{landing.uri(file.key)}: the parser could not read this file ({reason}); nothing was written",
            allow_retries=False,
        ) from error


def require_event_files(landing: LandingZone, partition_keys: Iterable[str]) -> dict[str, list[StoredFile]]:
    """Every day's event files; a day without any is not ready, and nothing is written."""
    try:
        files = {key: landing.event_files(key) for key in partition_keys}
    except LandingFileError as error:
        raise dg.Failure(str(error), allow_retries=False) from None
    missing = [key for key, found in files.items() if not found]
    if missing:
        prefixes = ", ".join(landing.uri(day_prefix(EVENTS, key)) + "/" for key in missing)
        raise dg.Failure(
            f"No landing event file for {', '.join(missing)}: nothing under {prefixes}. "
            "The day is not ready; nothing was written.",
            allow_retries=False,
        )
    return files


def ingestion_time() -> datetime:
    return datetime.now(UTC)


@daily_multi_asset(
    outs={
        "raw_fx_rates": table_out(
            "raw",
            "The day's fx rates as landed (currency, usd_per_unit), with their source file and line.",
            model=RawFxRates,
        )
    },
    check_specs=[schema_check_spec("raw_fx_rates", RawFxRates)],
)
def raw_fx_rates(context: dg.AssetExecutionContext, landing: LandingZone, warehouse: Warehouse):
    """``<landing>/fx_rates/date=D/*.csv``; a day without a file has no rates (only USD converts).

    A rate that is not a decimal > 0, or two rates for one currency, fail the day naming the file
    and line: a wrong rate would silently misstate revenue. A day without event files is not
    ready, so its rates are not published either.
    """
    with WriteAuditPublish(context, warehouse, {"raw_fx_rates": RawFxRates}) as wap:
        require_event_files(landing, context.partition_keys)
        ingested_at = ingestion_time()
        files_by_day = {key: landing.fx_rate_files(key) for key in context.partition_keys}
        for partition_key, reads in read_landing_days(landing, files_by_day):
            parsed = [parsed for _, parsed, _ in reads]
            records = pl.concat([p.records for p in parsed], how="diagonal") if parsed else pl.DataFrame()
            rates, problems = type_fx_rates(records)
            problems = [
                f"{row[SOURCE_FILE]} line {row[SOURCE_LINE]}: {row['reject_reason']}"
                for p in parsed
                for row in p.unparsable.iter_rows(named=True)
            ] + problems
            if problems:
                raise dg.Failure(
                    f"fx rates for {partition_key} are unusable: " + "; ".join(problems[:20]), allow_retries=False
                )
            frame = rates.select(
                pl.lit(date.fromisoformat(partition_key)).alias("date"),
                pl.all(),
                pl.lit(ingested_at).alias(INGESTED_AT),
            )
            figures = {"files": len(files_by_day[partition_key]), "currencies": rates.height}
            yield from wap.day(partition_key, {"raw_fx_rates": frame}, figures=figures)
        yield from wap.outputs()
