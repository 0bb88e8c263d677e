"""One-day benchmark (project vs Polars floor vs pandas peer) and ingestion benchmark."""

import shutil
from pathlib import Path

from harness import (
    START,
    agreement,
    ensure_days,
    median,
    print_table,
    python_cmd,
    ratio,
    run_child,
    scratch_dir,
    warehouse_totals,
)

VARIANTS = {
    "a project": "project_day.py",  # the floor's work, the project's way (project_day.py --assets floor)
    "b floor (polars)": "floor_polars.py",
    "c peer (pandas)": "peer_pandas.py",
    "a+ project, whole graph": "project_day.py",  # report and semantic search too (--assets all)
}


def day_benchmark(workdir: Path, records: int, rounds: int) -> None:
    landing, manifests = ensure_days(workdir, records, 1)
    day = START.isoformat()
    print(f"\n== one day: {records:,} landing records on {day}, {rounds} round(s), variants interleaved ==")
    runs: dict[str, list] = {name: [] for name in VARIANTS}
    outputs: dict[str, tuple[int, float]] = {}
    for round_number in range(1, rounds + 1):
        for name, script in VARIANTS.items():
            out = scratch_dir(workdir, script.removesuffix(".py"))
            if script == "project_day.py":
                assets = "all" if name.startswith("a+") else "floor"
                cmd = python_cmd(script, "--landing", landing, "--warehouse", out, "--day", day, "--assets", assets)
                env = {
                    "PIPELINE_START_DATE": day,
                    "PIPELINE_LANDING_URL": str(landing),
                    "PIPELINE_WAREHOUSE_URL": str(out),
                }
            else:
                cmd, env = python_cmd(script, "--landing", landing, "--out", out, "--start", day), None
            run = run_child(cmd, name, env)
            runs[name].append(run)
            outputs[name.split()[0]] = warehouse_totals(out, [START])
            shutil.rmtree(out)
            print(
                f"  round {round_number}/{rounds} {name}: execution {run.result['execution_s']:.2f} s, "
                f"whole process {run.wall_s:.2f} s ({run.cpu_s:.2f} s CPU), peak RSS {run.peak_rss_mib:,.0f} MiB",
                flush=True,
            )
    agreement("one day", manifests[0]["expected_clean"], outputs)
    figures = {
        name: {
            "import": median([r.result["import_s"] for r in rs]),
            "execution": median([r.result["execution_s"] for r in rs]),
            "wall": median([r.wall_s for r in rs]),
            "cpu": median([r.cpu_s for r in rs]),
            "rss": median([r.peak_rss_mib for r in rs]),
        }
        for name, rs in runs.items()
    }
    print(f"\nmedians of {rounds} round(s):")
    print_table(
        ["variant", "import s", "execution s", "whole-process s", "process CPU s", "peak RSS MiB"],
        [[name, f["import"], f["execution"], f["wall"], f["cpu"], f["rss"]] for name, f in figures.items()],
    )
    a, b, c, whole = (figures[name] for name in VARIANTS)
    print(f"ratio a/b execution (project / polars floor): {ratio(a['execution'], b['execution'])}")
    print(f"ratio a+/b execution (whole graph / polars floor): {ratio(whole['execution'], b['execution'])}")
    print(f"ratio c/a whole-process wall (pandas / project): {ratio(c['wall'], a['wall'])}")
    print(f"ratio peak RSS (project / pandas): {ratio(a['rss'], c['rss'])}")


def ingest_benchmark(workdir: Path, records: int, rounds: int, unparsable_share: float) -> None:
    clean, _ = ensure_days(workdir, records, 1)
    defective, _ = ensure_days(workdir, records, 1, unparsable_share)
    print(
        f"\n== ingestion: parse_landing_file over {START}'s event files, clean vs "
        f"{unparsable_share:.1%} unparsable lines, {rounds} round(s) in one process =="
    )
    cmd = python_cmd("ingest_files.py", "--clean", clean, "--defective", defective, "--day", START, "--rounds", rounds)
    result = run_child(cmd, "ingestion").result
    rows = []
    for kind in ("clean", "defective"):
        seconds = median(result[f"{kind}_s"])
        count = result[f"{kind}_records"]
        rows.append(
            [
                kind,
                f"{count:,}",
                f"{result[f'{kind}_unparsable']:,}",
                result[f"{kind}_bytes"] / 2**20,
                f"{seconds:.3f}",
                f"{count / seconds:,.0f}",
            ]
        )
    print_table(["day", "records", "unparsable", "MiB", "median s", "records/s"], rows)
    print(
        f"ratio ingest defective/clean: {ratio(median(result['defective_s']), median(result['clean_s']))} "
        "(target <= 1.3)"
    )
