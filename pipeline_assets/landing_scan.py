"""Which landing days a sensor tick lists, so that a tick stays short however long the history.

Listing the whole landing zone every tick grows with its history: three years of 50 files a day
are 54,750 objects, about 21 s to list on a moto S3 server, where the target is a tick under 10 s
(Dagster stops a tick after 60 s). A tick therefore lists in three steps:

1. **Day prefixes**: one delimiter listing of ``events/`` and one of ``fx_rates/`` (a page per
   thousand prefixes on an object store: about 1,100 ``date=`` prefixes for three years).
2. **Days in full**: the ``look_back_days`` newest days (late files go mostly to recent days),
   one day the cursor has never seen and one older day, whatever the time; then, while the tick
   is within ``seconds``, more unseen days, oldest first (at most ``max_days``, what one tick can
   request anyway), and more older days in a rotating slice resumed where the last tick stopped
   (at most ``rotation_days``). A late re-upload to an old day is found within about
   ``days / rotation_days`` ticks (more where a store lists fewer days within ``seconds``, at
   worst ``days`` ticks).
3. **Anything else** under ``events/`` or ``fx_rates/`` (a prefix that is not a partition day, a
   file beside the day prefixes) in full every tick, to report it once by name; such files are rare.

A day that is not listed keeps its cursor entry as it was, so it is neither requested again nor
forgotten; a day that was listed but could not be requested this tick (more than ``max_days``
changed) keeps its old entry too, and the rotation resumes before it. The alternative, a paged
listing resumed from a key (S3 StartAfter, GCS startOffset, Azure marker), is not exposed the same
way by s3fs, gcsfs and adlfs, and would find an old day's re-upload only after paging through
every later key; the delimiter listing is one fsspec call (``Store.list_level``) on every store.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline_assets.resources import EVENTS, FX_RATES, SUFFIXES
from pipeline_assets.storage import Store, StoredFile

DAY_PREFIX = "date="


@dataclass(frozen=True)
class ScanLimits:
    """How much of the landing zone one tick lists; from ``PIPELINE_SENSOR_*`` variables."""

    look_back_days: int = 3  # the newest days, listed on every tick
    rotation_days: int = 100  # older days revisited per tick, at most
    seconds: float = 3.0  # after this, a tick lists no more days

    @classmethod
    def from_env(cls) -> "ScanLimits":
        return cls(
            look_back_days=_number("PIPELINE_SENSOR_LOOK_BACK_DAYS", cls.look_back_days, int, 0),
            rotation_days=_number("PIPELINE_SENSOR_ROTATION_DAYS", cls.rotation_days, int, 1),
            seconds=_number("PIPELINE_SENSOR_SCAN_SECONDS", cls.seconds, float, 0),
        )


def _number(name: str, default, kind, minimum):
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{name} must be a {kind.__name__} of at least {minimum}, got {text!r}")
    return value


@dataclass(frozen=True)
class DayOrder:
    """The days a tick lists in full: ``new`` ones, the ``recent`` ones, then the ``rotation``."""

    new: list[str]
    recent: list[str]
    rotation: list[str]


def order_days(present: set[str], seen: set[str], resume: str, max_new: int, look_back: int) -> DayOrder:
    """Pure: new days oldest first (up to ``max_new``); the ``look_back`` newest days already
    seen; every day already seen (the newest included: a slow store may list no more than one
    rotation day a tick) in rotation, starting after ``resume`` and wrapping around."""
    known = sorted(present & seen)
    after = [day for day in known if day > resume]
    return DayOrder(
        new=sorted(present - seen)[:max_new],
        recent=known[::-1][:look_back],
        rotation=after + [day for day in known if day <= resume],
    )


@dataclass
class LandingScan:
    files: list[StoredFile] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # every partition day with a prefix
    listed: set[str] = field(default_factory=set)  # the days whose files are all in ``files``
    rotated: list[str] = field(default_factory=list)  # the rotation's first days, all listed

    @property
    def unlisted(self) -> set[str]:
        return self.present - self.listed


def scan_landing(
    store: Store,
    valid_days: set[str],
    seen: set[str],
    resume: str,
    max_new: int,
    limits: ScanLimits,
    clock: Callable[[], float] = time.monotonic,
) -> LandingScan:
    """List the landing zone as the module docstring says; ``seen`` are the days in the cursor."""
    deadline = clock() + limits.seconds
    scan = LandingScan()
    days_of: dict[str, set[str]] = {}
    for dataset in (EVENTS, FX_RATES):
        folders, loose = store.list_level(dataset, SUFFIXES[dataset])
        scan.files += loose  # files beside the day prefixes: not a partition day
        days_of[dataset] = set()
        for folder in folders:
            day = folder.removeprefix(DAY_PREFIX)
            if folder.startswith(DAY_PREFIX) and day in valid_days:
                days_of[dataset].add(day)
            else:
                scan.files += store.list_files(f"{dataset}/{folder}", SUFFIXES[dataset])
    scan.present = days_of[EVENTS] | days_of[FX_RATES]

    def list_day(day: str) -> None:
        for dataset in (EVENTS, FX_RATES):
            if day in days_of[dataset]:
                scan.files += store.list_files(f"{dataset}/{DAY_PREFIX}{day}", SUFFIXES[dataset])
        scan.listed.add(day)

    order = order_days(scan.present, seen, resume, max_new, limits.look_back_days)
    rotation = order.rotation[: limits.rotation_days]
    # The newest days, one new day and one rotation day whatever the time: on a store slower than
    # the budget the scan still moves on. The rest while the tick is within the budget.
    forced = [*order.new[:1], *order.recent, *rotation[:1]]
    for day in [*forced, *order.new[1:], *rotation[1:]]:
        if day not in forced and clock() >= deadline:
            break
        if day not in scan.listed:
            list_day(day)
    # The rotation goes on after the last day of its unbroken run of listed days.
    done = next((n for n, day in enumerate(rotation) if day not in scan.listed), len(rotation))
    scan.rotated = rotation[:done]
    return scan


def next_resume(rotated: list[str], deferred: set[str], resume: str) -> str:
    """Where the next tick's rotation starts: after the last day revisited, or just before the
    first one revisited but left for later (its change must not wait for a whole rotation)."""
    for index, day in enumerate(rotated):
        if day in deferred:
            return rotated[index - 1] if index else resume
    return rotated[-1] if rotated else resume
