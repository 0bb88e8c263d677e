"""The code location as analysts and automation see it: keys, lineage, groups, policies."""

import json
from pathlib import Path

import dagster as dg

from pipeline_assets.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def asset_graph_snapshot() -> dict:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {
            "deps": sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
            "group": graph.get(key).group_name,
            "checks": sorted(check.name for check in graph.get(key).check_keys),
        }
        for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    }


def test_asset_keys_and_dependencies_match_the_snapshot():
    # A rename here breaks lineage, bookmarks and every analyst query: update the snapshot
    # (and the data contract) deliberately, never as a side effect.
    assert asset_graph_snapshot() == json.loads(SNAPSHOT.read_text())


def test_every_asset_is_daily_single_run_described_and_owned():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), key
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), key
        assert node.description, key
        assert node.owners == ["team:data-platform"], key
        assert node.kinds, key


def test_every_table_and_the_report_have_a_blocking_check():
    graph = defs.resolve_asset_graph()
    blocking = {
        (key.asset_key.to_user_string(), key.name)
        for key in graph.asset_check_keys
        if graph.get_check_spec(key).blocking
    }
    assert blocking == {
        ("raw_fx_rates", "schema"), ("raw_events", "schema"), ("raw_events", "landing_files"),
        ("clean_events", "schema"), ("clean_events", "reconciliation"), ("rejected_events", "schema"),
        ("daily_user_metrics", "schema"), ("daily_event_summary", "schema"), ("rolling_revenue_7d", "schema"),
        ("search_queries", "schema"), ("search_query_embeddings", "schema"),
        ("search_query_embeddings", "every_query_embedded_once"), ("search_index", "schema"), ("search_themes", "schema"),
        ("daily_report", "report_files"),
    }  # fmt: skip


def test_every_asset_and_column_is_described_tagged_and_linked_to_its_code():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        columns = node.metadata["dagster/column_schema"].columns
        assert columns and all(c.description for c in columns), key
        assert node.tags["layer"] == node.group_name and node.tags["domain"] == "product-events", key
        references = node.metadata["dagster/code_references"].code_references
        assert references and all(Path(r.file_path).is_file() for r in references), key


def test_aggregates_and_clean_events_have_column_lineage_to_real_upstream_columns():
    graph = defs.resolve_asset_graph()
    for asset in ("clean_events", "daily_user_metrics", "daily_event_summary", "rolling_revenue_7d"):
        node = graph.get(dg.AssetKey(asset))
        own = {c.name for c in node.metadata["dagster/column_schema"].columns}
        lineage = node.metadata["dagster/column_lineage"].deps_by_column
        assert set(lineage) == own - {"_source_file", "_source_line"} or set(lineage) == own, asset
        for deps in lineage.values():
            for dep in deps:
                assert dep.asset_key in node.parent_keys, (asset, dep)
                upstream = {c.name for c in graph.get(dep.asset_key).metadata["dagster/column_schema"].columns}
                assert dep.column_name in upstream, (asset, dep)


def test_freshness_is_checked_per_partition_by_a_running_sensor_not_by_the_daily_job():
    graph = defs.resolve_asset_graph()
    freshness = [key for key in graph.asset_check_keys if key.name == "freshness"]
    assert {key.asset_key for key in freshness} == graph.get_all_asset_keys()
    for key in freshness:
        spec = graph.get_check_spec(key)
        assert spec.partitions_def == graph.get(key.asset_key).partitions_def and not spec.blocking
    sensor = defs.resolve_sensor_def("freshness_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    job_checks = defs.resolve_job_def("daily_job").asset_layer.asset_graph.asset_check_keys
    assert not [key for key in job_checks if key.name == "freshness"]


def test_automation_targets_the_daily_job():
    schedule = defs.resolve_schedule_def("daily_schedule")
    assert schedule.job_name == "daily_job" and schedule.cron_schedule == "0 1 * * *"
    assert defs.resolve_sensor_def("landing_sensor").job_name == "daily_job"
    assert defs.resolve_job_def("daily_job").executor_def.name == "in_process"


def test_loading_the_code_location_makes_polars_hand_freed_memory_back_sooner():
    """A process that loads the code location configures Polars' allocator before Polars loads
    (pipeline_assets/__init__.py: up to 170 MiB more at the peak of a 1M-record day otherwise)."""
    import os
    import subprocess
    import sys

    script = "import os, pipeline_assets.definitions, polars; print(os.environ['_RJEM_MALLOC_CONF'].split(',')[-2:])"
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['dirty_decay_ms:100', 'muzzy_decay_ms:100']"
