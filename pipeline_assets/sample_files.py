"""How the generator writes a day's records: CSV (any column order, a BOM, CRLF, a drifted extra
column) and JSON Lines, each with the unparsable lines its format defects call for."""

import csv
import io
import json
import random
from operator import itemgetter

from pipeline_assets.transforms.clean import EVENT_COLUMNS

EXTRA_COLUMN = "campaign"
COLUMN_INDEX = {column: i for i, column in enumerate(EVENT_COLUMNS)}
_CAMPAIGNS = ("spring", "", "retarget")
# The unparsable line each format defect writes (the first two in the CSV file, the others in JSON Lines).
BROKEN_LINES = {
    "wrong_field_count": b'"x1","2","3"\r\n',
    "not_utf8": b"bad-\xff\xfe-id" + b",x" * (len(EVENT_COLUMNS) - 1) + b"\r\n",
    "broken_json": b'{"event_id": "broken", "user_id": \n',
    "json_not_an_object": b'["not", "an", "object"]\n',
}


def shuffled_columns(rng: random.Random) -> list[str]:
    columns = list(EVENT_COLUMNS)
    rng.shuffle(columns)
    return columns


def csv_bytes(
    records: list[tuple[str, ...]],
    columns: list[str],
    *,
    bom: bool = False,
    crlf: bool = False,
    rng: random.Random | None = None,
    broken: list[bytes] = (),
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(columns)
    fields = itemgetter(*(COLUMN_INDEX[c] for c in columns if c != EXTRA_COLUMN))
    if EXTRA_COLUMN in columns and rng is not None:
        assert columns[-1] == EXTRA_COLUMN
        below = rng._randbelow  # rng.choice(_CAMPAIGNS) per record, in record order
        writer.writerows((*fields(record), _CAMPAIGNS[below(len(_CAMPAIGNS))]) for record in records)
    else:
        writer.writerows(map(fields, records))
    content = buffer.getvalue().encode()
    for lines in broken:
        content += lines
    return (b"\xef\xbb\xbf" if bom else b"") + content


def _json_value(key: str, value: str) -> object:
    """Numbers as JSON numbers where they are numbers, as a JSON producer would write them."""
    if key in ("user_id", "amount"):
        try:
            return int(value) if key == "user_id" else float(value)
        except ValueError:
            return value
    return value


def jsonl_bytes(records: list[tuple[str, ...]], unparsable: dict[str, int]) -> bytes:
    lines = [
        json.dumps({k: _json_value(k, v) for k, v in zip(EVENT_COLUMNS, r, strict=True) if v != ""}) for r in records
    ]
    content = ("\n".join(lines) + "\n").encode() if lines else b""
    for kind in ("broken_json", "json_not_an_object"):
        content += BROKEN_LINES[kind] * unparsable[kind]
    return content or b"\n"
