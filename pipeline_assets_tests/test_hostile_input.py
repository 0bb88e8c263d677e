"""Hostile landing input: each case ends as rejected records with reasons, or as a run failure
naming the file and the problem; nothing is dropped silently and nothing lands outside the
warehouse. Each hostile file lands beside a good one, on local disk."""

import gzip
import json
import random
from pathlib import Path

import polars as pl
import pytest

from pipeline_assets.assets import raw
from pipeline_assets.storage import Store
from pipeline_assets_tests.conftest import failure_messages, make_pipeline

pytestmark = pytest.mark.integration

DAY = "2024-01-01"
HEADER = "event_id,user_id,session_id,event_type,event_ts,amount,currency,country,device,metadata\n"
GOOD = HEADER + "g1,1,s1,view,2024-01-01T10:00:00Z,,,DE,web,\n"
GARBAGE = bytes(random.Random(7).randrange(256) for _ in range(5000))


@pytest.fixture
def pipeline(tmp_path):
    with make_pipeline(str(tmp_path)) as pipeline:
        pipeline.landing.write_bytes(f"events/date={DAY}/good.csv", GOOD.encode())
        yield pipeline
    assert sorted(p.name for p in tmp_path.iterdir()) in (["landing"], ["landing", "warehouse"])


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("garbage.csv", GARBAGE, "the CSV header is not valid UTF-8"),
        ("utf16.csv", GOOD.encode("utf-16"), "the CSV header is not valid UTF-8"),
        ("truncated.csv.gz", gzip.compress(GOOD.encode(), mtime=0)[:-10], "not a readable gzip file"),
        ("x.csv/inside.csv", GOOD.encode(), "a directory where the day's files belong"),
    ],
)
def test_a_file_that_cannot_be_read_fails_the_day_naming_it(pipeline, name, content, problem):
    pipeline.landing.write_bytes(f"events/date={DAY}/{name}", content)
    result = pipeline.run(DAY)
    assert not result.success
    message = failure_messages(result)
    assert pipeline.landing.uri(f"events/date={DAY}/{name.split('/')[0]}") in message and problem in message
    assert pipeline.files("raw_events") == pipeline.files("clean_events") == []


@pytest.mark.parametrize(
    ("name", "content", "reasons"),
    [
        ("array.jsonl", json.dumps([{"event_id": "a1"}, {"event_id": "a2"}]).encode(), ["not an object"]),
        # White space to Unicode, not to JSON (a no-break space, a form feed): broken lines, not blank ones.
        ("spaces.jsonl", '\u00a0\n{"event_id": "b1"}\x0c\n'.encode(), ["broken JSON"]),
        ("other-day.csv", GOOD.replace("g1,", "o1,").replace("2024-01-01T", "2024-01-05T").encode(), ["not on the partition day"]),
        # Legal amounts no money decimal holds: summed, charted and reported, not a failed day.
        ("huge.csv", (HEADER + "h1,1,s1,purchase,2024-01-01T10:00:00Z,1e30,USD,DE,web,\nh2,2,s2,purchase,2024-01-01T11:00:00Z,1e40,USD,DE,web,\n").encode(), []),
        ("long.csv", (HEADER + "l1,1,s1,view,2024-01-01T11:00:00Z,,,DE,web," + "x" * 10_000_000 + "\n").encode(), []),
        ("dé jà vu ü.csv", GOOD.replace("g1,", "u1,").encode(), []),
        ("odd-names.csv", (HEADER.rstrip() + ",*,^a$\nn1,1,s1,view,2024-01-01T10:00:00Z,,,DE,fridge,,x,y\n").encode(), ["device 'fridge'"]),
    ],
)  # fmt: skip
def test_records_that_cannot_become_clean_are_rejected_with_reasons(pipeline, name, content, reasons):
    pipeline.landing.write_bytes(f"events/date={DAY}/{name}", content)
    assert pipeline.run(DAY).success  # the blocking reconciliation check held: nothing dropped
    rejected = pipeline.table("rejected_events", DAY).filter(pl_source(name))
    for reason in reasons:
        assert rejected.height and all(reason in r for r in rejected["reject_reason"])
    clean = pipeline.table("clean_events", DAY)
    assert clean.filter(pl_source(name)).height + rejected.height >= 1
    assert "g1" in clean["event_id"].to_list()


def test_a_file_the_parser_cannot_read_fails_the_day_naming_it(pipeline, monkeypatch):
    """Should Polars refuse a record the parser's checks let through (a parser defect), the day
    fails naming the file, instead of with Polars' bare message."""
    refused = f"events/date={DAY}/refused.jsonl"
    pipeline.landing.write_bytes(refused, b'{"event_id": "r1"}\n')
    parse = raw.parse_content

    def refusing(name, content):
        if name == refused:
            raise pl.exceptions.ComputeError("InternalError(TapeError) at character 19")
        return parse(name, content)

    monkeypatch.setattr(raw, "parse_content", refusing)
    result = pipeline.run(DAY)
    assert not result.success
    message = failure_messages(result)
    assert pipeline.landing.uri(refused) in message and "TapeError" in message
    assert pipeline.files("raw_events") == pipeline.files("clean_events") == []


def pl_source(name: str) -> pl.Expr:
    return pl.col("_source_file") == f"events/date={DAY}/{name}"


def test_an_unreadable_file_fails_the_day_naming_store_and_key(pipeline, monkeypatch):
    """Root reads any file whatever its mode, so the denial is made where the filesystem answers."""
    denied = f"events/date={DAY}/denied.csv"
    pipeline.landing.write_bytes(denied, GOOD.encode())
    original = Store.read_bytes

    def read_bytes(store: Store, key: str) -> bytes:
        if key == denied:
            return store._guarded("read", key, lambda: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
        return original(store, key)

    monkeypatch.setattr(Store, "read_bytes", read_bytes)
    result = pipeline.run(DAY)
    assert not result.success
    assert f"cannot read {pipeline.landing.uri(denied)}: PermissionError" in failure_messages(result)
    assert pipeline.files("clean_events") == []


def test_a_file_replaced_while_it_is_read_is_read_again(pipeline, monkeypatch):
    changing = f"events/date={DAY}/changing.csv"
    pipeline.landing.write_bytes(changing, GOOD.replace("g1,", "v1,").encode())
    original, replaced = Store.read_bytes, []

    def read_bytes(store: Store, key: str) -> bytes:
        data = original(store, key)
        if key == changing and not replaced:  # a new upload lands as the first read ends
            replaced.append(key)
            Path(store.path(key)).write_bytes(GOOD.replace("g1,", "v2,").encode())
        return data

    monkeypatch.setattr(Store, "read_bytes", read_bytes)
    result = pipeline.run(DAY)
    assert result.success, failure_messages(result)
    assert f"{pipeline.landing.uri(changing)} changed while it was read" in failure_messages(result)
    assert "v2" in pipeline.table("clean_events", DAY)["event_id"].to_list()
