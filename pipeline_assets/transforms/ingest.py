"""Landing files to text records: RFC 4180 CSV (`csv_file`) and JSON Lines (`jsonl_file`), plain
or gzip-compressed.

Every file takes one vectorised path, whatever it holds. Its bytes are split into records with
NumPy (`landing_file`: a record ends at a line feed outside quotes); each record is checked as a
whole (valid UTF-8, RFC 4180 grammar or a JSON object, the header's field count) with Polars
expressions; the good records go to Arrow's CSV reader or Polars' NDJSON reader in one call. Python touches only
the records that fail, to show their raw text. So a broken line costs what it costs, not the rest
of its file, and no field is too large (Python's ``csv`` module refuses fields over 128 KiB).

Every record of the file is accounted for: ``records + unparsable = record_count``. The
reconciliation check does not trust that: it compares against `landing_count`, which counts the
same bytes by other code.
"""

import gzip
import zlib

from pipeline_assets.transforms.csv_file import parse_csv
from pipeline_assets.transforms.jsonl_file import parse_jsonl
from pipeline_assets.transforms.landing_file import EVENT_SUFFIXES, LandingFileError, ParsedFile
from pipeline_assets.transforms.memory import return_freed_memory

BOM = b"\xef\xbb\xbf"


def decompressed(name: str, data: bytes) -> bytes:
    """The file's content: gunzipped for ``.gz`` names, a byte-order mark removed."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise LandingFileError(f"{name}: not a readable gzip file ({error})") from None
    return data.removeprefix(BOM)


def landing_format(name: str) -> str:
    """``csv`` or ``jsonl`` from a landing file's name."""
    plain = name.removesuffix(".gz")
    for suffix in ("csv", "jsonl"):
        if plain.endswith(f".{suffix}"):
            return suffix
    raise LandingFileError(f"{name}: unsupported file type (expected one of {', '.join(EVENT_SUFFIXES)})")


def parse_landing_file(name: str, data: bytes) -> ParsedFile:
    """Parse one landing file; ``name`` is its key in the landing zone (kept on every record)."""
    return parse_content(name, decompressed(name, data))


def parse_content(name: str, content: bytes) -> ParsedFile:
    """Parse a landing file's `decompressed` content."""
    parse = parse_csv if landing_format(name) == "csv" else parse_jsonl
    parsed = parse(name, content)
    # The split's NumPy arrays (a few times the file's size) are freed by now, but glibc keeps
    # them in the reader thread's arena: 70-80 MiB for a 1M-record day, held through clean_day,
    # where the day's memory peaks.
    return_freed_memory()
    return parsed
