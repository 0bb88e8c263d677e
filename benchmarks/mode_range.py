"""Range benchmark (one CLI range run vs one CLI run per day vs the floor) and RSS over range lengths."""

import shutil
from datetime import timedelta
from pathlib import Path

from harness import (
    FLOOR_ASSETS,
    START,
    ChildRun,
    agreement,
    dagster_cmd,
    dagster_env,
    ensure_days,
    median,
    print_table,
    python_cmd,
    ratio,
    run_child,
    scratch_dir,
    warehouse_totals,
)


def range_benchmark(workdir: Path, days: int, records: int, rounds: int) -> None:
    landing, manifests = ensure_days(workdir, records, days)
    dates = [START + timedelta(days=n) for n in range(days)]
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    print(f"\n== range: {days} days x {records:,} records ({first}...{last}), {rounds} round(s) ==")
    variants = ("range run", "range run, whole graph", "per-partition runs", "floor (polars)")
    figures = {name: {"wall": [], "cpu": [], "rss": []} for name in variants}
    outputs: dict[str, tuple[int, float]] = {}

    def record(round_number: int, name: str, runs: list[ChildRun], warehouse: Path) -> None:
        wall, cpu, rss = sum(r.wall_s for r in runs), sum(r.cpu_s for r in runs), max(r.peak_rss_mib for r in runs)
        for key, value in (("wall", wall), ("cpu", cpu), ("rss", rss)):
            figures[name][key].append(value)
        outputs[name] = warehouse_totals(warehouse, dates)
        _report(round_number, rounds, name, wall, cpu, rss)

    for round_number in range(1, rounds + 1):
        # One CLI run for the whole range: the floor's work, then the whole graph.
        for name, assets in (("range run", FLOOR_ASSETS), ("range run, whole graph", None)):
            warehouse, home = scratch_dir(workdir, "range-warehouse"), scratch_dir(workdir, "range-home")
            env = dagster_env(landing, warehouse, home)
            cmd = dagster_cmd("--partition-range", f"{first}...{last}", assets=assets)
            record(round_number, name, [run_child(cmd, name, env)], warehouse)
            _remove(warehouse, home)
        # One CLI run of the floor's work per day, oldest first, into one warehouse and instance.
        warehouse, home = scratch_dir(workdir, "daily-warehouse"), scratch_dir(workdir, "daily-home")
        env = dagster_env(landing, warehouse, home)
        runs = []
        for day in dates:
            cmd = dagster_cmd("--partition", day.isoformat(), assets=FLOOR_ASSETS)
            runs.append(run_child(cmd, f"partition {day}", env))
            print(f"    partition {day}: {runs[-1].wall_s:.2f} s ({runs[-1].cpu_s:.2f} s CPU)", flush=True)
        record(round_number, "per-partition runs", runs, warehouse)
        _remove(warehouse, home)
        # The floor, every day in one process.
        out = scratch_dir(workdir, "range-floor")
        cmd = python_cmd("floor_polars.py", "--landing", landing, "--out", out, "--start", first, "--end", last)
        record(round_number, "floor (polars)", [run_child(cmd, "floor")], out)
        _remove(out)
    agreement("range", sum(m["expected_clean"] for m in manifests), outputs)
    medians = {name: {key: median(values) for key, values in f.items()} for name, f in figures.items()}
    print(f"\nmedians of {rounds} round(s), whole process (a variant's runs summed; RSS: the largest run):")
    print_table(
        ["variant", "processes", "wall s", "s per day", "CPU s", "peak RSS MiB"],
        [
            [name, days if name == "per-partition runs" else 1, m["wall"], m["wall"] / days, m["cpu"], m["rss"]]
            for name, m in medians.items()
        ],
    )
    range_wall, floor_wall = medians["range run"]["wall"], medians["floor (polars)"]["wall"]
    overhead = (medians["per-partition runs"]["wall"] - range_wall) / days
    print(f"per-partition overhead: {overhead:.2f} s per day ((per-partition total - range run) / {days} days)")
    print(f"ratio range/floor whole-process wall: {ratio(range_wall, floor_wall)} (target <= 2; the floor's work)")
    whole_graph = medians["range run, whole graph"]["wall"]
    print(f"ratio range/floor, the range run of the whole graph: {ratio(whole_graph, floor_wall)}")


def rss_ranges(workdir: Path, lengths: list[int], records: int, rounds: int) -> None:
    landing, manifests = ensure_days(workdir, records, max(lengths))
    outputs: dict[str, tuple[int, float]] = {}
    print(f"\n== peak RSS of one CLI range run by range length, {records:,} records a day, {rounds} round(s) ==")
    walls: dict[int, list[float]] = {n: [] for n in lengths}
    peaks: dict[int, list[float]] = {n: [] for n in lengths}
    for round_number in range(1, rounds + 1):
        for n in lengths:
            last = START + timedelta(days=n - 1)
            warehouse, home = scratch_dir(workdir, f"rss{n}-warehouse"), scratch_dir(workdir, f"rss{n}-home")
            cmd = dagster_cmd("--partition-range", f"{START}...{last}")
            run = run_child(cmd, f"{n}-day range run", dagster_env(landing, warehouse, home))
            walls[n].append(run.wall_s)
            peaks[n].append(run.peak_rss_mib)
            outputs[f"{n}-day"] = warehouse_totals(warehouse, [START + timedelta(days=d) for d in range(n)])
            _report(round_number, rounds, f"{n}-day range run", run.wall_s, run.cpu_s, run.peak_rss_mib)
            _remove(warehouse, home)
    for n in lengths:  # the last round's outputs
        expected = sum(m["expected_clean"] for m in manifests[:n])
        agreement(f"{n}-day range run", expected, {f"{n}-day": outputs[f"{n}-day"]})
    base = median(peaks[lengths[0]])
    print_table(
        ["days", "records", "wall s", "peak RSS MiB", f"RSS / {lengths[0]}-day RSS"],
        [[n, f"{n * records:,}", median(walls[n]), median(peaks[n]), median(peaks[n]) / base] for n in lengths],
    )
    longest = lengths[-1]
    print(
        f"ratio peak RSS {longest}-day/{lengths[0]}-day range run: {ratio(median(peaks[longest]), base)} (flat: about 1)"
    )


def _report(round_number: int, rounds: int, name: str, wall: float, cpu: float, rss: float) -> None:
    print(
        f"  round {round_number}/{rounds} {name}: whole process {wall:.2f} s ({cpu:.2f} s CPU), peak RSS {rss:,.0f} MiB",
        flush=True,
    )


def _remove(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
