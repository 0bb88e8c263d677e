"""What an analyst does in the UI, driven in Debian's Chromium (Playwright cannot download browsers here)."""

import re
from pathlib import Path

from pipeline_assets_tests.ui_server import CONTRACT_ASSETS, CONTRACT_LINEAGE, UiServer

CHROMIUM = "/usr/bin/chromium"
LOAD_MS = 120_000


def drive_ui(ui: UiServer, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LOAD_MS)
    one_day, backfill = ui.days[0], ui.days[:3]  # the first day: its rolling window needs no earlier day
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(LOAD_MS)

        # The asset graph: every contract asset, and an edge per dependency.
        page.goto(f"{ui.url}/asset-groups")
        page.get_by_text("Materialize all").first.wait_for()
        _dismiss_welcome(page)
        _expand_groups(page)
        graph = page.locator("svg").filter(has=page.locator("path[marker-end]")).first
        for asset in CONTRACT_ASSETS:
            expect(graph).to_contain_text(_as_shown(asset))
        edges = sum(len(deps) for deps in CONTRACT_LINEAGE.values())
        assert graph.locator("path[marker-end]").count() >= edges
        page.screenshot(path=artifacts / "01-asset-graph.png")

        # clean_events: its columns, described, and its checks, per partition.
        page.goto(f"{ui.url}/assets/clean_events")
        expect(page.get_by_text("Columns", exact=True)).to_be_visible()
        for column, description in (("amount_usd", "amount × usd_per_unit"), ("event_ts", "Event time, UTC")):
            expect(page.get_by_text(column, exact=True).first).to_be_visible()
            expect(page.get_by_text(description).first).to_be_visible()
        page.screenshot(path=artifacts / "02-clean-events-columns.png", full_page=True)
        page.goto(f"{ui.url}/assets/clean_events?view=checks")
        for check in ("schema", "reconciliation", "freshness"):
            expect(page.get_by_text(check, exact=True).first).to_be_visible()
        page.screenshot(path=artifacts / "03-clean-events-checks.png", full_page=True)

        # One day of every asset, launched from the asset graph (one run).
        page.goto(f"{ui.url}/asset-groups")
        page.get_by_text("Materialize all").first.click()
        _choose_partitions(page, one_day)
        page.screenshot(path=artifacts / "04-launch-one-partition.png")
        _launch(page)

        # A three-day backfill of raw_fx_rates, selected in the asset graph. (Backfills of the whole
        # graph: test_daemon.py launches one as the UI's dialog does.)
        page.goto(f"{ui.url}/asset-groups")
        page.get_by_text("Materialize all").first.wait_for()
        _expand_groups(page)
        page.get_by_text("raw_fx_rates", exact=True).first.click()
        page.locator("button", has_text="Materialize").first.click()
        _choose_partitions(page, f"[{backfill[0]}...{backfill[-1]}]")
        page.screenshot(path=artifacts / "05-launch-backfill.png")
        _launch(page)

        ui.wait_for_runs(2, timeout=300)

        # The new partitions, with their checks and metadata.
        page.goto(f"{ui.url}/assets/raw_fx_rates?view=partitions")
        for day in backfill:
            expect(page.get_by_text(day).first).to_be_visible()
        page.get_by_text(backfill[1]).first.click()
        expect(page.get_by_text("currencies").first).to_be_visible()
        page.screenshot(path=artifacts / "06-raw-fx-rates-backfilled-partition.png", full_page=True)
        page.goto(f"{ui.url}/assets/clean_events?view=partitions")
        page.get_by_text(one_day, exact=True).filter(visible=True).last.click()  # the list entry, not the range label
        expect(page.get_by_text("dagster/row_count").first).to_be_visible()
        page.screenshot(path=artifacts / "07-clean-events-partition.png", full_page=True)
        page.goto(f"{ui.url}/assets/clean_events?view=checks")
        page.get_by_text("reconciliation", exact=True).first.click()
        expect(page.get_by_text(one_day).first).to_be_visible()
        expect(page.get_by_text("Passed").first).to_be_visible()
        page.screenshot(path=artifacts / "08-reconciliation-per-partition.png", full_page=True)
        browser.close()


def _as_shown(asset: str) -> re.Pattern:
    """A long name is shortened in its box (daily_eve…_summary): its start, anything, its end."""
    if len(asset) <= 18:
        return re.compile(re.escape(asset))
    return re.compile(re.escape(asset[:9]) + ".{1,3}" + re.escape(asset[-8:]))


def _expand_groups(page) -> None:
    """Groups start collapsed; the graph's shortcut toggles them all (and the UI remembers it)."""
    page.locator("svg path[marker-end]").first.wait_for(state="attached")
    page.wait_for_timeout(1000)
    if page.get_by_text("raw_fx_rates", exact=True).count() == 0:
        page.mouse.click(1000, 900)  # focus the graph, then its shortcut
        page.keyboard.press("Alt+e")
    page.get_by_text("raw_fx_rates", exact=True).first.wait_for()


def _dismiss_welcome(page) -> None:
    """The first visit to a new instance asks to join the community; later visits do not."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=3000)
    except Exception:  # noqa: BLE001 - not shown: nothing to dismiss
        return
    skip.click()


def _choose_partitions(page, selection: str) -> None:
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Custom", exact=True).click()
    field = dialog.locator("input[type=text]").first
    field.fill(selection)
    field.press("Enter")
    dialog.get_by_text(re.compile("^Launch runs to materialize")).click()  # close the suggestions


def _launch(page) -> None:
    """Launch what the dialog shows; an error the UI reports instead fails the test with its text."""
    page.get_by_role("dialog").get_by_role("button", name=re.compile(r"^Launch")).click()
    for _ in range(LOAD_MS // 500):
        dialogs = page.get_by_role("dialog")
        if dialogs.count() == 0:
            return
        text = " ".join(dialogs.all_inner_texts())
        assert "Error" not in text, text
        page.wait_for_timeout(500)
    raise AssertionError("the launch dialog did not close")
