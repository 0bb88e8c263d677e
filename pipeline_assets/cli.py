"""``pipeline-assets``: generate sample landing data, run the demo, open the UI.

pipeline-assets generate --start 2024-01-01 --days 7 --rows-per-day 20000 --out data/landing
pipeline-assets demo      # the last week (ending yesterday, UTC) of sample data, materialised as one range run
pipeline-assets ui        # dagster dev on the same instance as the demo, on 127.0.0.1:3000
pipeline-assets query "SELECT country, sum(amount_usd) FROM clean_events GROUP BY 1" --days 7
pipeline-assets search "shoes for jogging" --days 7
"""

import argparse
import os
import shutil
import sys
from datetime import UTC, date, datetime, timedelta

from pipeline_assets.settings import REPO_ROOT, PipelineSettings
from pipeline_assets.storage import StorageError

DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster"
INSTANCE_CONFIG = REPO_ROOT / "dagster.yaml"
# `dagster dev` tells whoever runs it to use `dg dev` instead: noise for someone who ran
# `pipeline-assets ui`, which chooses the command itself.
_SUPERSEDED_NOTICE = "ignore:Function `dev_command` is superseded"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-assets", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write sample landing data with every contract defect kind")
    generate.add_argument("--start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    generate.add_argument("--days", type=int, default=7)
    generate.add_argument("--rows-per-day", type=int, default=20_000)
    generate.add_argument("--out", required=True, help="landing zone: a path or s3://, gs://, az:// URL")
    generate.add_argument("--seed", type=int, default=7)

    demo = commands.add_parser("demo", help="generate a week of landing data and materialise it as one run")
    demo.add_argument("--days", type=int, default=7)
    demo.add_argument(
        "--start",
        type=date.fromisoformat,
        help="first day, YYYY-MM-DD (default: the week ending yesterday, UTC, so the UI's default "
        "'last 90 days' views show it)",
    )
    demo.add_argument("--rows-per-day", type=int, default=20_000)

    ui = commands.add_parser("ui", help="start dagster dev on the demo's instance ($DAGSTER_HOME or .dagster)")
    ui.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this machine only)")
    ui.add_argument("--port", type=int, default=3000)

    query = commands.add_parser(
        "query",
        help="run SQL over the warehouse, every table asset a table",
        description="Run SQL (Polars' dialect) over the warehouse ($PIPELINE_WAREHOUSE_URL): every table "
        "asset (raw_events, clean_events, daily_user_metrics, ...) is a table with a date column. "
        "Only the partitions that --days or a filter on date keeps are read.",
    )
    query.add_argument("sql", help='for example "SELECT event_type, count(*) FROM clean_events GROUP BY 1"')
    query.add_argument("--days", type=int, help="read only the last N days (ending --until)")
    query.add_argument(
        "--until", type=date.fromisoformat, help="last day of --days, YYYY-MM-DD (default: the latest published day)"
    )
    query.add_argument("--out", help="write the whole result to a .csv or .parquet file instead of printing it")
    query.add_argument("--max-rows", type=int, default=50, help="rows printed (default 50)")

    search = commands.add_parser(
        "search",
        help="the queries users searched for that are nearest in meaning to TEXT",
        description="Embed TEXT with the configured backend ($PIPELINE_EMBEDDINGS_*) and list the nearest "
        "queries of the search_index in the warehouse ($PIPELINE_WAREHOUSE_URL), with their dates, "
        "searches and cosine similarity.",
    )
    search.add_argument("text", help='for example "shoes for jogging"')
    search.add_argument("--days", type=int, help="only the last N published days (default: all)")
    search.add_argument("--top", type=int, default=10, help="queries listed (default 10)")

    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (StorageError, ValueError) as error:  # bad settings, a bad query or an unreachable store: say which
        print(f"pipeline-assets {args.command}: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "generate":
        manifest = _generate(args.start, args.days, args.rows_per_day, args.out, args.seed)
        print(
            f"wrote {sum(d['landing_records'] for d in manifest['by_day']):,} records for {args.days} days to {args.out}"
        )
        return 0
    if args.command == "demo":
        return _demo(args.days, args.rows_per_day, args.start)
    if args.command == "query":
        return _query(args)
    if args.command == "search":
        return _search(args)
    # Started in DAGSTER_HOME, whose dagster.yaml is the instance's own: from the repo root, dagster
    # dev would warn that the root dagster.yaml "will not be used". The module is named instead.
    os.chdir(_use_project_instance())
    command = ui_command(args.host, args.port)
    os.execv(command[0], command)
    return 0  # unreachable


def ui_command(host: str, port: int) -> list[str]:
    """``dagster dev`` of this environment (whether or not its ``bin`` is on PATH), bound to
    ``host`` alone: the UI can launch runs, so it is not served to the network unless asked."""
    return [sys.executable, "-W", _SUPERSEDED_NOTICE, "-m", "dagster", "dev", "-m", "pipeline_assets.definitions",
            "--host", host, "--port", str(port)]  # fmt: skip


def _generate(start: date, days: int, rows_per_day: int, out: str, seed: int = 7) -> dict:
    from pipeline_assets.generator import generate

    return generate(start, days, rows_per_day, out, seed=seed)


def _query(args: argparse.Namespace) -> int:
    from pipeline_assets.query import format_result, run_query, write_result
    from pipeline_assets.storage import Store

    store = Store(PipelineSettings.from_env().warehouse_url)
    result = run_query(store, args.sql, days=args.days, until=args.until)
    if result.window is not None:
        print(f"days {result.window.first} to {result.window.last} of {store.uri()}", file=sys.stderr)
    if args.out:
        write_result(result.frame, args.out)
        print(f"wrote {result.frame.height:,} rows to {args.out}", file=sys.stderr)
    else:
        print(format_result(result.frame, args.max_rows))
    return 0


def _search(args: argparse.Namespace) -> int:
    from pipeline_assets.search.command import format_matches, search
    from pipeline_assets.search.embedders import EmbeddingError
    from pipeline_assets.search.resource import SearchEmbeddings
    from pipeline_assets.storage import Store

    store = Store(PipelineSettings.from_env().warehouse_url)
    try:
        result = search(store, args.text, SearchEmbeddings.from_env().embedder(), days=args.days, top=args.top)
    except EmbeddingError as error:  # the endpoint failed for good: a bad-input exit, not a traceback
        raise ValueError(str(error)) from None
    print(
        f"{result.indexed_queries:,} distinct queries from {result.first_day} to {result.last_day} "
        f"of {store.uri('search_index')}",
        file=sys.stderr,
    )
    if result.indexed_queries == 0:
        print(
            'no search text is indexed for those days (search events carry it as metadata {"q": ...})', file=sys.stderr
        )
        return 0
    print(format_matches(result))
    return 0


def _use_project_instance() -> str:
    """DAGSTER_HOME if set, else ``.dagster`` in the repo, seeded with the repo's dagster.yaml."""
    home = os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME))
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        shutil.copyfile(INSTANCE_CONFIG, config)
    return home


def demo_days(days: int, start: date | None, first_partition: date, today: date) -> tuple[date, date]:
    """The demo's first and last day: ``start`` onwards, or the ``days`` ending yesterday (the last
    complete UTC day); refused if they fall outside the partitions (before the first, or not over)."""
    if days < 1:
        raise ValueError(f"--days must be at least 1, got {days}")
    first = start or today - timedelta(days=days)
    last = first + timedelta(days=days - 1)
    if first < first_partition:
        raise ValueError(f"the demo's first day {first} is before the first partition {first_partition} "
                         "(PIPELINE_START_DATE)")  # fmt: skip
    if last >= today:
        raise ValueError(f"the demo's last day {last} is not over yet (today is {today}, UTC)")
    return first, last


def _demo(days: int, rows_per_day: int, start_day: date | None = None) -> int:
    today = datetime.now(UTC).date()
    start, end = demo_days(days, start_day, date.fromisoformat(PipelineSettings.from_env().start_date), today)
    # The demo's run starts the partitions at its first day unless PIPELINE_START_DATE says
    # otherwise: the rolling windows of its first days (7 days, 14 for search themes) then count
    # the days before as empty, as the contract says of days before the start, instead of failing
    # for days nobody materialised. Set before the code location is imported, which fixes them.
    os.environ.setdefault("PIPELINE_START_DATE", start.isoformat())
    settings = PipelineSettings.from_env()
    print(f"1/3 generating {start}...{end}: {days} days x {rows_per_day:,} records into {settings.landing_url}",
          flush=True)  # fmt: skip
    _generate(start, days, rows_per_day, settings.landing_url)

    home = _use_project_instance()
    print(f"2/3 materialising every asset for {start}...{end} as one run (instance: {home})", flush=True)
    import dagster as dg

    from pipeline_assets.definitions import build_definitions
    from pipeline_assets.demo import format_table, run_range, summary_table

    # Disposed on the way out: the embedded instance's kept-open SQLite connections
    # (sqlite_instance) are closed, their write-ahead logs folded into the database files.
    with dg.DagsterInstance.get() as instance:
        result = run_range(build_definitions(settings), start.isoformat(), end.isoformat(), instance)
        print("3/3 per-day summary\n")
        print(format_table(summary_table(result, settings.warehouse_url)))
    print(f"\nwarehouse: {settings.warehouse_url}")
    print(f"reports:   {settings.warehouse_url}/daily_report/date=YYYY-MM-DD/report.html")
    print("browse:    uv run pipeline-assets ui   (then open http://127.0.0.1:3000)")
    if not result.success:
        print("\nthe run failed; see the log above for the step and the reason", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
