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


def test_blocking_checks_cover_clean_rejected_and_every_aggregate():
    graph = defs.resolve_asset_graph()
    blocking = {
        (spec.asset_key.to_user_string(), spec.name)
        for key in graph.get_all_asset_keys()
        for spec in graph.get(key).assets_def.check_specs
        if spec.blocking
    }
    assert blocking == {
        ("clean_events", "schema"), ("clean_events", "reconciliation"), ("rejected_events", "schema"),
        ("daily_user_metrics", "schema"), ("daily_event_summary", "schema"), ("rolling_revenue_7d", "schema"),
        ("search_queries", "schema"), ("search_query_embeddings", "schema"),
        ("search_query_embeddings", "every_query_embedded_once"), ("search_index", "schema"), ("search_themes", "schema"),
    }  # fmt: skip


def test_automation_targets_the_daily_job():
    schedule = defs.resolve_schedule_def("daily_schedule")
    assert schedule.job_name == "daily_job" and schedule.cron_schedule == "0 1 * * *"
    assert defs.resolve_sensor_def("landing_sensor").job_name == "daily_job"
    assert defs.resolve_job_def("daily_job").executor_def.name == "in_process"
