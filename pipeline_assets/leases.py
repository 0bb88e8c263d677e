"""Per-day leases in the warehouse: one run at a time works on a day of a step's tables.

Two runs of the same day (a schedule and a sensor, the CLI and the UI, overlapping backfills)
would otherwise both read the landing zone and publish, and the slower one could put an older
landing state over a newer one, or mix its tables with the other's. A step therefore takes a
lease on each of its days before it reads anything, holds it until its days are published, and
the other run waits: it then reads the landing zone as it is after the first run.

A lease is an object ``_leases/<step>/date=D/<epoch>.json`` naming its run, host and process,
created only if absent (`Store.create_exclusive`: exactly one of racing writers wins, on disk and
on every object store). The current lease is the highest epoch. A lease whose run is over, or
whose process is gone, is taken over by creating the next epoch, so two waiters cannot both take
over the same dead lease. Days are taken in order, so two ranges never wait on each other.
"""

import json
import os
import socket
import time
from collections.abc import Callable, Iterable

import dagster as dg

from pipeline_assets.partitions import partition_day
from pipeline_assets.storage import Store

LEASES = "_leases"
WAIT_SECONDS = 3600.0  # then the step fails and its retry policy tries again
POLL_SECONDS = (0.2, 5.0)  # first and longest pause between looks at a held lease
ABANDONED_AFTER_SECONDS = 24 * 3600  # a holder on another host that stopped without being marked


def owner_record(run_id: str) -> dict:
    return {"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}


def owner_alive(owner: dict) -> bool:
    """False when the owner is surely gone: same host and no such process, or far too old."""
    if time.time() - float(owner.get("started", 0)) > ABANDONED_AFTER_SECONDS:
        return False
    if owner.get("host") == socket.gethostname():
        try:
            os.kill(int(owner["pid"]), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, ValueError, KeyError):
            return True
    return True


class DayLeases:
    """The leases of one step of one run, on its days."""

    def __init__(
        self,
        store: Store,
        step: str,
        run_id: str,
        in_progress: Callable[[str], bool],
        log: Callable[[str], None],
    ):
        self.store, self.step, self.run_id = store, step, run_id
        self.in_progress, self.log = in_progress, log
        self.held: list[str] = []

    def acquire(self, partition_keys: Iterable[str]) -> None:
        for key in sorted(partition_keys):
            self._acquire(f"{LEASES}/{self.step}/date={partition_day(key).isoformat()}")

    def release(self) -> None:
        self.store.delete(self.held)
        self.held = []

    def _acquire(self, prefix: str) -> None:
        record = json.dumps(owner_record(self.run_id)).encode()
        deadline, pause, waiting_for = time.monotonic() + WAIT_SECONDS, POLL_SECONDS[0], None
        while True:
            epochs = sorted(int(f.name.removesuffix(".json")) for f in self.store.list_files(prefix, (".json",)))
            top = epochs[-1] if epochs else None
            holder = self._holder(f"{prefix}/{top}.json") if top is not None else None
            free = top is None or (holder is not None and not self._alive(holder))
            mine = holder is not None and holder.get("run_id") == self.run_id  # a retry of this step
            if mine or free:
                epoch = 0 if top is None else top + 1
                if self.store.create_exclusive(f"{prefix}/{epoch}.json", record):
                    self.held.append(f"{prefix}/{epoch}.json")
                    self.store.delete(f"{prefix}/{old}.json" for old in epochs)  # dead or this run's
                    return
                continue  # another run took it first: look again
            if time.monotonic() > deadline:
                raise dg.Failure(f"{prefix} is still held by run {holder and holder.get('run_id')}", allow_retries=True)
            if holder is not None and holder.get("run_id") != waiting_for:
                waiting_for = holder.get("run_id")
                self.log(f"waiting for run {waiting_for}, which is working on {prefix.rsplit('/', 1)[-1]}")
            time.sleep(pause)
            pause = min(pause * 2, POLL_SECONDS[1])

    def _holder(self, key: str) -> dict | None:
        """The lease's owner; None while it cannot be read (being written, or just released)."""
        try:
            return json.loads(self.store.read_bytes(key))
        except Exception:  # noqa: BLE001 - looked at again on the next pass
            return None

    def _alive(self, holder: dict) -> bool:
        return self.in_progress(holder.get("run_id", "")) and owner_alive(holder)
