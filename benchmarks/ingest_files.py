"""Ingestion: ``parse_landing_file`` over one day's event files, clean day vs defective day.

python benchmarks/ingest_files.py --clean L1 --defective L2 --day 2024-01-01 --rounds 3

Both landing zones hold the same kind of day (same seed and shares); the defective one also has
unparsable lines (wrong field count, invalid UTF-8, broken JSON, JSON that is not an object). The
files are read into memory first; each round times parsing every file of the clean day, then of
the defective day, in this process, after one untimed warm-up pass of each. Prints one JSON line.
"""

import argparse
import json
import time
from pathlib import Path

from pipeline_assets.transforms.ingest import parse_landing_file


def load(landing: Path, day: str) -> list[tuple[str, bytes]]:
    folder = landing / "events" / f"date={day}"
    return [(f"events/date={day}/{path.name}", path.read_bytes()) for path in sorted(folder.iterdir())]


def parse_all(files: list[tuple[str, bytes]]) -> tuple[float, int, int]:
    """Seconds to parse every file, records seen, unparsable records found."""
    started = time.perf_counter()
    parsed = [parse_landing_file(name, data) for name, data in files]
    seconds = time.perf_counter() - started
    return seconds, sum(p.record_count for p in parsed), sum(p.unparsable.height for p in parsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", type=Path, required=True, help="landing zone of the clean day")
    parser.add_argument("--defective", type=Path, required=True, help="landing zone of the defective day")
    parser.add_argument("--day", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    days = {"clean": load(args.clean, args.day), "defective": load(args.defective, args.day)}
    figures: dict[str, object] = {}
    for kind, files in days.items():  # warm-up, and the counts
        _, records, unparsable = parse_all(files)
        size = sum(len(data) for _, data in files)
        figures |= {f"{kind}_records": records, f"{kind}_unparsable": unparsable, f"{kind}_bytes": size}
    timings: dict[str, list[float]] = {kind: [] for kind in days}
    for _ in range(args.rounds):
        for kind, files in days.items():
            timings[kind].append(parse_all(files)[0])
    print(json.dumps(figures | {f"{kind}_s": seconds for kind, seconds in timings.items()}))


if __name__ == "__main__":
    main()
