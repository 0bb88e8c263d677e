"""Shared helpers: benchmark data (generated once, cached), child processes, figures, tables.

Every measured variant runs in a child process of its own. The parent records the child's
whole-process wall time and, from ``os.wait4``, its peak RSS (``ru_maxrss``, KiB on Linux; it
includes any process the child waited for). A variant script prints one JSON line last, with
its own figures (``import_s``, ``execution_s`` and what it produced).
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

from pipeline_assets.generator import SAMPLE_VERSION

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent  # `uv run` puts the project's venv first
START = date(2024, 1, 1)
SEED = 7
# The reference day: well-formed records, 1% re-sent, 0.5% with an invalid value, no unparsable line.
REFERENCE_KNOBS = {"duplicate_share": 0.01, "invalid_share": 0.005, "format_defects": False}
# What the floor and the pandas peer compute, done the project's way (staged, audited, published,
# every landing record accounted for); the whole graph adds the rolling window, report and search.
FLOOR_ASSETS = (
    "raw_fx_rates",
    "raw_events",
    "clean_events",
    "rejected_events",
    "daily_user_metrics",
    "daily_event_summary",
)


# -- data ----------------------------------------------------------------------------------------
def landing_case(workdir: Path, records: int, unparsable_share: float = 0.0) -> Path:
    """The cache folder for one kind of day; its ``landing/`` gets days added on demand."""
    name = f"{records}r-seed{SEED}" + (f"-unparsable{unparsable_share:g}" if unparsable_share else "")
    return workdir / name


def ensure_days(workdir: Path, records: int, days: int, unparsable_share: float = 0.0) -> tuple[Path, list[dict]]:
    """Landing data for ``days`` days from START at ``records`` a day; returns (landing, manifests).

    A day already generated with the same parameters (its ``days/<date>.json`` written last) is
    reused; a folder made with other parameters is replaced. Missing days are generated in
    parallel, one process per core, each into a scratch folder moved into place when complete.
    """
    case = landing_case(workdir, records, unparsable_share)
    knobs = _knobs(unparsable_share)
    # The generator's version is part of the key: data made by an older generator is made again.
    params = {"records": records, "seed": SEED, "knobs": knobs, "sample_version": SAMPLE_VERSION}
    params_file = case / "params.json"
    if case.exists() and (not params_file.exists() or json.loads(params_file.read_text()) != params):
        shutil.rmtree(case)
    (case / "days").mkdir(parents=True, exist_ok=True)
    for leftover in case.glob("tmp-*"):  # scratch folders of an interrupted run
        shutil.rmtree(leftover)
    params_file.write_text(json.dumps(params, indent=2))
    wanted = [START + timedelta(days=n) for n in range(days)]
    missing = [d for d in wanted if not (case / "days" / f"{d}.json").exists()]
    if missing:
        print(f"generating {len(missing)} day(s) x {records:,} records into {case}/landing", flush=True)
        with ProcessPoolExecutor(max_workers=min(len(missing), os.cpu_count() or 1)) as pool:
            futures = [pool.submit(_generate_day, str(case), d.isoformat(), records, knobs) for d in missing]
            for future in as_completed(futures):
                day, seconds = future.result()
                print(f"  {day}: {records:,} records in {seconds:.1f} s", flush=True)
    manifests = [json.loads((case / "days" / f"{d}.json").read_text()) for d in wanted]
    return case / "landing", manifests


def _knobs(unparsable_share: float) -> dict:
    if not unparsable_share:
        return dict(REFERENCE_KNOBS)
    return {**REFERENCE_KNOBS, "format_defects": True, "unparsable_share": unparsable_share}


def _generate_day(case: str, day: str, records: int, knobs: dict) -> tuple[str, float]:
    from pipeline_assets.generator import generate

    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=f"tmp-{day}-", dir=case))
    manifest = generate(date.fromisoformat(day), 1, records, str(scratch), seed=SEED, **knobs)
    landing = Path(case) / "landing"
    for kind in ("events", "fx_rates"):
        target = landing / kind / f"date={day}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        (scratch / kind / f"date={day}").rename(target)
    shutil.rmtree(scratch)
    (Path(case) / "days" / f"{day}.json").write_text(json.dumps(manifest["by_day"][0], indent=2))
    return day, time.perf_counter() - started


# -- child processes ------------------------------------------------------------------------------
class ChildRun:
    def __init__(self, wall_s: float, usage: resource.struct_rusage, result: dict):
        self.wall_s = wall_s
        self.peak_rss_mib = usage.ru_maxrss / 1024  # KiB on Linux
        # CPU seconds (user + system): with other work on the machine, wall time grows and this much less.
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.result = result  # the child's last JSON line, {} if it printed none


def run_child(cmd: list[str], label: str, env: dict[str, str] | None = None) -> ChildRun:
    """Run ``cmd`` to completion; fail the benchmark (showing the child's output) if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO_ROOT, env=_child_env(env))
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        stdout = out.read().decode(errors="replace")
        if process.returncode != 0:
            err.seek(0)
            tail = "\n".join(err.read().decode(errors="replace").splitlines()[-40:])
            sys.exit(f"{label} failed (exit {process.returncode}): {' '.join(cmd)}\n{stdout[-2000:]}\n{tail}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return ChildRun(wall, usage, json.loads(lines[-1]) if lines else {})


_BYTECODE: dict[str, str] = {}  # PYTHONPYCACHEPREFIX for every child, once use_bytecode_cache ran
# What the children import: compiled once, untimed, so no measured run pays for compiling them.
WARM_IMPORTS = (
    "dagster._cli, pipeline_assets.definitions, pipeline_assets.demo, pipeline_assets.transforms.ingest, "
    "pandas, pyarrow.parquet, polars"
)


def use_bytecode_cache(workdir: Path) -> None:
    """Give every child a warm bytecode cache under ``workdir`` (see README: "Bytecode")."""
    _BYTECODE["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    started = time.perf_counter()
    run_child([sys.executable, "-c", f"import {WARM_IMPORTS}"], "bytecode cache warm-up")
    print(
        f"bytecode: children cache compiled modules in {workdir / 'pycache'} ({time.perf_counter() - started:.1f} s to warm)"
    )


def _child_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {**os.environ, **_BYTECODE, **(extra or {})}
    if _BYTECODE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def python_cmd(script: str, *args: object) -> list[str]:
    return [sys.executable, str(BENCH_DIR / script), *map(str, args)]


def dagster_cmd(*partition_args: str, assets: tuple[str, ...] | None = None) -> list[str]:
    """``dagster asset materialize`` of ``assets`` (None: every asset), from the venv (what
    ``uv run dagster`` runs)."""
    selection = ",".join(assets) if assets else "*"
    select = ["asset", "materialize", "-m", "pipeline_assets.definitions", "--select", selection]
    return [str(VENV_BIN / "dagster"), *select, *partition_args]


def dagster_env(landing: Path, warehouse: Path, home: Path, start: date = START) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {
        "PIPELINE_LANDING_URL": str(landing),
        "PIPELINE_WAREHOUSE_URL": str(warehouse),
        "PIPELINE_START_DATE": start.isoformat(),
        "DAGSTER_HOME": str(home),
    }


def scratch_dir(workdir: Path, name: str) -> Path:
    """A fresh folder for one run's outputs (on the same disk as the landing data)."""
    (workdir / "runs").mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=workdir / "runs"))


def warehouse_totals(warehouse: Path, days: list[date]) -> tuple[int, float]:
    """(events, revenue_usd) summed over daily_event_summary for ``days``, as any reader sees them."""
    import polars as pl

    paths = [str(warehouse / "daily_event_summary" / f"date={d}" / "*.parquet") for d in days]
    totals = pl.scan_parquet(paths).select(pl.col("events").sum(), pl.col("revenue_usd").sum()).collect()
    return int(totals["events"][0]), float(totals["revenue_usd"][0])


DISAGREEMENTS: list[str] = []  # checks that failed; run.py exits non-zero after printing everything


def agreement(label: str, expected_events: int, outputs: dict[str, tuple[int, float]]) -> None:
    """Say whether every variant produced the manifest's clean events and the same revenue."""
    revenues = [revenue for _, revenue in outputs.values()]
    same_events = all(events == expected_events for events, _ in outputs.values())
    same_revenue = max(revenues) - min(revenues) <= 1e-6 * max(1.0, max(revenues))
    verdict = "agree" if same_events and same_revenue else "DISAGREE"
    shown = ", ".join(f"{name} {events:,} / {revenue:,.2f}" for name, (events, revenue) in outputs.items())
    print(
        f"check ({label}): outputs {verdict} (manifest: {expected_events:,} clean events; events / revenue_usd: {shown})"
    )
    if verdict != "agree":
        DISAGREEMENTS.append(label)


# -- figures and tables --------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [headers, *[[f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def print_context() -> None:
    """Machine, commit and versions: what a figure means depends on all three."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kib = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} cores (nproc), {total_kib / 1024**2:.1f} GiB memory, CPU {model}")
    print(f"commit:  {_git_commit()}")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("polars", "dagster", "pandas", "pyarrow"))
    print(f"python {sys.version.split()[0]}, {versions}", flush=True)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set here; with --no-bytecode-cache every child compiles its imports")


def _git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain").splitlines()
    return f"{commit} (dirty: {len(changed)} changed or untracked paths)" if changed else f"{commit} (clean)"
