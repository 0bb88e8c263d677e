"""Parsed landing files to the raw layer: one schema every day, drift kept in one column, whatever
the drifted columns are called."""

import json
from datetime import UTC, date, datetime

import polars as pl

from pipeline_assets.transforms.clean import clean_day
from pipeline_assets.transforms.ingest import parse_content
from pipeline_assets.transforms.landing_file import UNPARSABLE_SCHEMA
from pipeline_assets.transforms.raw_layer import EXTRA_COLUMNS, RAW_EVENTS_COLUMNS, raw_events_part, raw_events_stream

DAY, AT = date(2024, 3, 1), datetime(2024, 3, 2, 1, 0, tzinfo=UTC)
HEADER = "event_id,user_id,session_id,event_type,event_ts,amount,currency,country,device,metadata"


def _part(name: str, text: str) -> pl.DataFrame:
    return raw_events_part(parse_content(f"events/date=2024-03-01/{name}", text.encode()).records, DAY, AT)


def test_every_file_gives_the_same_schema_with_or_without_drift_or_records():
    drifted = _part("a.csv", f"{HEADER},campaign,browser\ne1,1,s,view,2024-03-01T00:00:00Z,,,,,,spring,\n")
    plain = _part("b.csv", f"{HEADER}\ne2,1,s,view,2024-03-01T00:00:00Z,,,,,\n")
    empty = _part("c.csv", f"{HEADER}\n")
    sparse = _part("d.jsonl", '{"event_id": "e1", "country": null}\n{"event_id": "e2", "country": null}\n')
    for table in (drifted, plain, empty, sparse):
        assert table.schema == pl.Schema(RAW_EVENTS_COLUMNS)  # a JSON key null on every line is text too
    assert empty.height == 0


def test_drifted_fields_are_packed_into_one_column_per_record():
    csv = _part("a.csv", f"{HEADER},campaign\ne1,1,s,view,2024-03-01T00:00:00Z,,,,,,spring\n")
    jsonl = _part("b.jsonl", '{"event_id": "e2", "browser": "firefox"}\n{"event_id": "e3"}\n')
    # The file's drifted names, null where the record had none of them, then null without any.
    assert csv[EXTRA_COLUMNS].to_list() == ['{"campaign":"spring"}']
    assert jsonl[EXTRA_COLUMNS].to_list() == ['{"browser":"firefox"}', None]


def test_any_column_name_is_kept_as_landed_and_cleaned_as_data():
    """``*`` and ``^a$`` are a wildcard and a pattern to pl.col: as landed names they are data."""
    names = ["*", "^a$", "a", "$", "col(*)"]
    row = "e1,1,s,view,2024-03-01T00:00:00Z,,,,nope,," + ",".join(f"v{n}" for n in range(len(names)))
    part = _part("a.csv", f"{HEADER},{','.join(names)}\n{row}\n")
    landed_extras = {name: f"v{n}" for n, name in enumerate(names)}
    assert json.loads(part[EXTRA_COLUMNS].item()) == landed_extras
    _, rejected = clean_day(
        part.lazy(),
        pl.LazyFrame(schema=UNPARSABLE_SCHEMA),
        pl.LazyFrame({"currency": ["EUR"], "usd_per_unit": [1.0]}),
        DAY,
    ).collect()
    landed = json.loads(rejected["raw_record"].item())  # device 'nope'
    assert landed["device"] == "nope" and {name: landed[name] for name in names} == landed_extras


def test_the_stream_yields_the_parts_in_order_and_passes_their_errors_on():
    parts = [_part("a.csv", f"{HEADER}\ne1,1,s,view,2024-03-01T00:00:00Z,,,,,\n"), _part("b.csv", f"{HEADER}\n")]
    assert raw_events_stream(lambda: iter(parts)).collect().equals(pl.concat(parts))
    assert raw_events_stream(lambda: iter(parts)).select("event_id").head(1).collect()["event_id"].to_list() == ["e1"]

    class Unreadable(Exception):
        pass

    def failing():
        yield parts[0]
        raise Unreadable("landing/b.csv: not a readable gzip file")

    try:
        raw_events_stream(failing).collect()
    except Unreadable as error:
        assert "landing/b.csv" in str(error)
    else:
        raise AssertionError("the part's error was lost")
