"""Parsed landing files to the raw layer: one schema every day, drift kept in one column."""

from datetime import UTC, date, datetime

import polars as pl

from pipeline_assets.transforms.ingest import parse_content
from pipeline_assets.transforms.raw_layer import (
    EXTRA_COLUMNS,
    RAW_EVENTS_COLUMNS,
    extra_columns,
    raw_events_table,
    raw_records,
    raw_records_from_table,
)

DAY, AT = date(2024, 3, 1), datetime(2024, 3, 2, 1, 0, tzinfo=UTC)
HEADER = "event_id,user_id,session_id,event_type,event_ts,amount,currency,country,device,metadata"


def _raw(*files: tuple[str, str]) -> pl.DataFrame:
    return raw_records(
        [parse_content(f"events/date=2024-03-01/{name}", text.encode()) for name, text in files], DAY, AT
    )


def test_every_day_has_the_same_schema_with_or_without_drift_or_records():
    drifted = _raw(("a.csv", f"{HEADER},campaign,browser\ne1,1,s,view,2024-03-01T00:00:00Z,,,,,,spring,\n"))
    plain = _raw(("b.csv", f"{HEADER}\ne2,1,s,view,2024-03-01T00:00:00Z,,,,,\n"))
    empty, nothing = _raw(("c.csv", f"{HEADER}\n")), _raw()
    for table in (drifted, plain, empty, nothing):
        assert raw_events_table(table).schema == pl.Schema(RAW_EVENTS_COLUMNS)
    assert (empty.height, nothing.height) == (0, 0)


def test_drifted_fields_are_packed_into_one_column_and_kept_as_columns_for_cleaning():
    raw = _raw(
        ("a.csv", f"{HEADER},campaign\ne1,1,s,view,2024-03-01T00:00:00Z,,,,,,spring\n"),
        ("b.jsonl", '{"event_id": "e2", "browser": "firefox"}\n{"event_id": "e3"}\n'),
    )
    assert raw.columns[11:13] == ["browser", "campaign"]  # after the contract's fields, by name
    table = raw_events_table(raw)
    # Every drifted name of the day, null where the record's file lacked it; null without any.
    assert table[EXTRA_COLUMNS].to_list() == [
        '{"browser":null,"campaign":"spring"}',
        '{"browser":"firefox","campaign":null}',
        None,
    ]


def test_a_json_key_null_on_every_line_is_text_not_typeless():
    raw = _raw(("a.jsonl", '{"event_id": "e1", "country": null}\n{"event_id": "e2", "country": null}\n'))
    assert raw.schema["country"] == pl.String
    assert raw_events_table(raw).schema == pl.Schema(RAW_EVENTS_COLUMNS)


def test_cleaning_reads_back_from_the_staged_table_exactly_what_was_parsed():
    raw = _raw(
        ("a.csv", f'{HEADER},campaign\ne1,1,s,view,2024-03-01T00:00:00Z,,,,,"{{""q"": 1}}",spring\n'),
        ("b.jsonl", '{"event_id": "e2", "browser": "fire\\"fox\\u00e9"}\n{"event_id": "e3", "campaign": ""}\n'),
        ("c.csv", f"{HEADER}\ne4,1,s,view,2024-03-01T00:00:00Z,,,,,\n"),
    )
    staged = raw_events_table(raw).lazy()
    assert raw_records_from_table(staged, extra_columns(raw.columns)).collect().equals(raw)
    plain = _raw(("c.csv", f"{HEADER}\ne4,1,s,view,2024-03-01T00:00:00Z,,,,,\n"))
    assert raw_records_from_table(raw_events_table(plain).lazy(), []).collect().equals(plain)
