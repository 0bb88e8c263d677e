"""The storage layer on local disk: atomic publish, listing, versions."""

from pathlib import Path

import polars as pl
import pytest

from pipeline_assets.storage import StorageError, Store
from pipeline_assets_tests.conftest import STORES, store_root


def test_publish_replaces_whole_files_and_leaves_no_temporary_files(tmp_path):
    store = Store(str(tmp_path))
    store.write_parquet("t/date=2024-01-01/data.parquet", pl.DataFrame({"a": [1, 2]}))
    store.write_parquet("t/date=2024-01-01/data.parquet", pl.DataFrame({"a": [3]}))
    assert [f.key for f in store.list_files("t")] == ["t/date=2024-01-01/data.parquet"]
    assert sorted(p.name for p in (tmp_path / "t" / "date=2024-01-01").iterdir()) == ["data.parquet"]
    assert store.scan_parquet(["t/date=2024-01-01/data.parquet"]).collect()["a"].to_list() == [3]


@pytest.mark.parametrize("kind", STORES)
def test_a_writer_that_fails_midway_leaves_the_previous_version(request, tmp_path, kind):
    with store_root(request, kind, tmp_path) as root:
        store = Store(root)
        store.write_bytes("x/report.html", b"old")

        def crash(handle):
            handle.write(b"half of the new")
            raise OSError("disk full")

        with pytest.raises(StorageError, match="cannot write .*x/report.html"):
            store._publish("x/report.html", crash)
        assert store.read_bytes("x/report.html") == b"old"
        assert [f.key for f in store.list_files("x")] == ["x/report.html"]


def test_listing_skips_hidden_and_filters_suffixes_and_versions_change(tmp_path):
    store = Store(str(tmp_path))
    store.write_bytes("events/date=2024-01-01/a.csv", b"1")
    store.write_bytes("events/date=2024-01-01/b.jsonl", b"1")
    (tmp_path / "events" / "date=2024-01-01" / ".a.csv.123.tmp").write_bytes(b"partial")
    files = store.list_files("events", suffixes=(".csv",))
    assert [f.key for f in files] == ["events/date=2024-01-01/a.csv"]
    store.write_bytes("events/date=2024-01-01/a.csv", b"12")
    assert store.list_files("events", suffixes=(".csv",))[0].version != files[0].version


def test_missing_prefixes_list_as_empty_and_uris_name_the_store(tmp_path):
    store = Store(str(tmp_path / "nowhere"))
    assert store.list_files("events") == []
    assert store.uri("events/x.csv") == f"{tmp_path}/nowhere/events/x.csv"
    with pytest.raises(StorageError, match="cannot read .*nowhere/missing.csv"):
        store.read_bytes("missing.csv")


@pytest.mark.parametrize(
    "key", ["../outside.parquet", "a/../../outside.parquet", "/tmp/outside.parquet", "a\\..\\b", "./x"]
)
def test_no_key_leads_outside_the_store(tmp_path, key):
    store = Store(str(tmp_path / "warehouse"))
    with pytest.raises(StorageError, match="would lead outside"):
        store.write_bytes(key, b"x")
    assert not (tmp_path / "outside.parquet").exists() and not Path("/tmp/outside.parquet").exists()
