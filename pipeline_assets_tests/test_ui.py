"""The project as analysts meet it: the webserver's GraphQL API and the UI in a real browser.

One `dagster dev` (webserver + daemon, `ui_server`) serves every test here, in file order: the API
tests read the definitions as served, the browser test launches runs from the UI, and the last
test reads what the daemon recorded per partition afterwards (freshness). Screenshots go to
test-artifacts/browser/ (gitignored).
"""

import time
from collections.abc import Iterator

import pytest

from pipeline_assets.settings import REPO_ROOT
from pipeline_assets_tests import ui_server
from pipeline_assets_tests.ui_server import CONTRACT_LINEAGE

pytestmark = pytest.mark.integration

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"

ASSET_NODES = """
{ assetNodes {
    assetKey { path } dependencyKeys { path } description
    owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    kinds tags { key value }
    metadataEntries {
      label
      ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
      ... on TableColumnLineageMetadataEntry { lineage { columnName columnDeps { assetKey { path } columnName } } }
      ... on CodeReferencesMetadataEntry { codeReferences { ... on LocalFileCodeReference { filePath } } }
    }
} }
"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> Iterator[ui_server.UiServer]:
    process, server = ui_server.start(tmp_path_factory.mktemp("ui"))
    try:
        yield server
    finally:
        ui_server.stop(process)


def _nodes(ui: ui_server.UiServer) -> dict[str, dict]:
    return {"/".join(n["assetKey"]["path"]): n for n in ui.graphql(ASSET_NODES)["assetNodes"]}


def _entry(node: dict, label: str) -> dict:
    return next(e for e in node["metadataEntries"] if e["label"] == label)


def test_the_served_lineage_is_the_contracts(ui):
    nodes = _nodes(ui)
    assert {key: {"/".join(d["path"]) for d in n["dependencyKeys"]} for key, n in nodes.items()} == CONTRACT_LINEAGE


def test_every_asset_served_has_a_description_columns_owner_kinds_tags_and_code(ui):
    for key, node in _nodes(ui).items():
        assert node["description"], key
        columns = _entry(node, "dagster/column_schema")["schema"]["columns"]
        assert columns and all(c["description"] for c in columns), key
        assert node["owners"] == [{"team": "data-platform"}], key
        assert node["kinds"], key
        assert {"key": "domain", "value": "product-events"} in node["tags"], key
        assert _entry(node, "dagster/code_references")["codeReferences"], key


def test_the_aggregates_column_lineage_is_served(ui):
    nodes = _nodes(ui)
    lineage = {
        c["columnName"]: {("/".join(d["assetKey"]["path"]), d["columnName"]) for d in c["columnDeps"]}
        for c in _entry(nodes["daily_user_metrics"], "dagster/column_lineage")["lineage"]
    }
    assert lineage["revenue_usd"] == {("clean_events", "amount_usd")}
    assert lineage["sessions"] == {("clean_events", "session_id")}


@pytest.mark.browser
def test_an_analyst_sees_the_graph_columns_and_checks_and_launches_a_day_and_a_backfill(ui):
    from pipeline_assets_tests.ui_browser import drive_ui

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\n[browser] screenshots in {ARTIFACTS}")
    drive_ui(ui, ARTIFACTS)


def _freshness(ui: ui_server.UiServer, asset: str, day: str) -> bool | None:
    query = """query($asset: AssetKeyInput!, $day: String) {
      assetCheckExecutions(assetKey: $asset, checkName: "freshness", partition: $day, limit: 1) {
        evaluation { success partition } } }"""
    executions = ui.graphql(query, {"asset": {"path": [asset]}, "day": day})["assetCheckExecutions"]
    return executions[0]["evaluation"]["success"] if executions and executions[0]["evaluation"] else None


def _materialised_days(ui: ui_server.UiServer, asset: str) -> set[str]:
    query = """query($asset: AssetKeyInput!) { assetOrError(assetKey: $asset) {
      ... on Asset { assetMaterializations { partition } } } }"""
    found = ui.graphql(query, {"asset": {"path": [asset]}})["assetOrError"]["assetMaterializations"]
    return {m["partition"] for m in found}


def test_the_daemon_records_freshness_per_partition(ui):
    # The freshness sensor runs under the daemon of `dagster dev` (a tick a minute). Every day
    # served is past its deadline: those materialised (by the browser test) are fresh, the rest
    # (at least the last day, which nothing materialises) overdue.
    materialised = _materialised_days(ui, "clean_events")
    assert ui.days[-1] not in materialised
    expected = {day: day in materialised for day in ui.days}
    deadline = time.monotonic() + 150
    while (verdicts := {day: _freshness(ui, "clean_events", day) for day in ui.days}) != expected:
        assert time.monotonic() < deadline, f"freshness per partition: {verdicts}, expected {expected}; see {ui.log}"
        time.sleep(5)
    assert _freshness(ui, "daily_report", ui.days[-1]) is False
