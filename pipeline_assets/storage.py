"""The storage layer: one place that knows how to list, read and atomically publish objects.

Every other module speaks in keys relative to a `Store` root (``events/date=2024-01-01/a.csv``);
this module maps the root URL (a local path, ``s3://``, ``gs://``, ``az://`` or ``abfs://``) to an
fsspec filesystem and to Polars' native reader, with options from `pipeline_assets.cloud`.

Publishing is atomic on every store: a local file is written aside and renamed into place; an
object store makes an object visible only when its upload completes. Transient faults (reset
connections, timeouts, 5xx, throttling) are retried by each client with exponential backoff and
jitter (botocore's standard mode, azure-core, gcsfs, object_store; configured in
`pipeline_assets.cloud`), and a step that still fails is retried by its Dagster RetryPolicy.
Retrying here as well would multiply the attempts of every layer below. What fails raises
`StorageError`, naming the store and the key, with secrets redacted.
"""

import functools
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

import fsspec
import polars as pl
from fsspec.utils import get_protocol

from pipeline_assets.cloud import (
    GCS_PROTOCOLS,
    OBJECT_STORE_RETRIES,
    S3_PROTOCOLS,
    cloud_options,
    redact,
    store_retries,
    tune_client,
)

LOCAL_PROTOCOLS = ("file", "local")


@dataclass(frozen=True)
class StoredFile:
    """One object in a store, as the landing sensor and ingestion see it."""

    key: str  # relative to the store root, "/"-separated
    size: int
    version: str  # changes whenever the object's content is replaced
    modified: float = 0.0  # when it was last written, seconds since the epoch by the store's clock

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class WriteAlongside:
    """A lazy table to write, and small plans over the same source that its write computes too:
    Polars runs them as one query, so the source is read and computed once, not once a plan.
    Their results are in ``collected`` once the table is written."""

    table: pl.LazyFrame
    alongside: tuple[pl.LazyFrame, ...]
    collected: list[pl.DataFrame] = field(default_factory=list)  # shared by `dataclasses.replace` copies

    def sink_parquet(self, target: BinaryIO, **options) -> None:
        sink = self.table.sink_parquet(target, lazy=True, **options)
        _, *self.collected[:] = pl.collect_all([sink, *self.alongside], engine="streaming")


class StorageError(RuntimeError):
    """An I/O failure, described by store URL and key only (never by credentials).

    ``transient`` is False for what trying again cannot fix (a missing object, a denied access)."""

    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class Store:
    """A URL-rooted place holding objects: ``data/warehouse``, ``s3://bucket/warehouse``…"""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.protocol = get_protocol(self.url)
        self.options = cloud_options(self.protocol)
        self.retries = store_retries()
        self.fs = _filesystem(self.protocol, json.dumps(self.options.fsspec, sort_keys=True), self.retries)
        self.root = self.fs._strip_protocol(self.url).rstrip("/")

    @property
    def is_local(self) -> bool:
        return self.protocol in LOCAL_PROTOCOLS

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- naming -------------------------------------------------------------------------------
    def path(self, key: str) -> str:
        """The filesystem path of a key (what fsspec takes); a key never leads out of the root."""
        if key.startswith("/") or "\\" in key or "\0" in key or {".", ".."} & set(key.split("/")):
            raise StorageError(f"refusing key {key!r}: it would lead outside {self.uri()}")
        return f"{self.root}/{key}" if key else self.root

    def uri(self, key: str = "") -> str:
        """The address of a key as a person or Polars would write it."""
        if self.is_local:
            return self.path(key)
        return f"{self.protocol}://{self.path(key)}"

    def _key(self, path: str) -> str:
        return self.fs._strip_protocol(path)[len(self.root) :].lstrip("/")

    # -- reading ------------------------------------------------------------------------------
    def list_files(self, prefix: str, suffixes: Iterable[str] = ()) -> list[StoredFile]:
        """Every object under ``prefix`` (recursively) whose name ends with one of ``suffixes``."""
        suffixes = tuple(suffixes)
        self.fs.invalidate_cache()  # a listing must see what other processes wrote since
        try:
            found = self._guarded("list", prefix, lambda: self.fs.find(self.path(prefix), detail=True), missing_ok=True)
        except FileNotFoundError:
            return []
        files = []
        for path, info in found.items():
            key = self._key(path)
            name = key.rsplit("/", 1)[-1]
            # Writers' temporary files (".name.tmp") never carry a data suffix, so they fall out here.
            if info.get("type") == "directory":
                continue
            if suffixes and not name.endswith(suffixes):
                continue
            size = int(info.get("size") or 0)
            files.append(StoredFile(key=key, size=size, version=_version(info), modified=_modified(info)))
        return sorted(files, key=lambda f: f.key)

    def read_bytes(self, key: str) -> bytes:
        return self._guarded("read", key, lambda: self.fs.cat_file(self.path(key)))

    def exists(self, key: str) -> bool:
        return self._guarded("check", key, lambda: self.fs.exists(self.path(key)))

    def version(self, key: str) -> str | None:
        """The version token `list_files` gives ``key`` now, or None if there is no such object."""
        info = self._info(key)
        return None if info is None else _version(info)

    def modified(self, key: str) -> float | None:
        """When the object at ``key`` was last written (the store's clock), or None if there is none."""
        info = self._info(key)
        return None if info is None else _modified(info)

    def _info(self, key: str) -> Mapping | None:
        self.fs.invalidate_cache(self.path(key))
        try:
            return self._guarded("check", key, lambda: self.fs.info(self.path(key)), missing_ok=True)
        except FileNotFoundError:
            return None

    def scan_parquet(self, keys: list[str]) -> pl.LazyFrame:
        """One lazy scan over the given Parquet objects, read by Polars' native (Rust) reader."""
        return pl.scan_parquet([self.uri(k) for k in keys], **self._polars_options())

    def scan_dataset(
        self, prefix: str, schema: Mapping[str, pl.DataType], partitioning: Mapping[str, pl.DataType]
    ) -> pl.LazyFrame:
        """Every Parquet object under ``prefix`` as one Hive-partitioned scan: the files hold
        ``schema``, the ``name=value`` folders give the ``partitioning`` columns, and a filter on
        those skips whole folders."""
        return pl.scan_parquet(
            f"{self.uri(prefix)}/**/*.parquet",
            schema=dict(schema),
            hive_partitioning=True,
            hive_schema=dict(partitioning),
            **self._polars_options(),
        )

    def _polars_options(self) -> dict:
        if self.is_local:
            return {}
        extra: dict = {"credential_provider": None} if self.options.explicit_credentials else {}
        retries = OBJECT_STORE_RETRIES if self.retries is None else self.retries
        return {"storage_options": {**self.options.polars, "max_retries": retries}, **extra}

    # -- writing ------------------------------------------------------------------------------
    def write_parquet(self, key: str, table: pl.DataFrame | pl.LazyFrame | WriteAlongside) -> int:
        """Publish ``table`` at ``key`` atomically; returns the bytes written. A LazyFrame is
        sunk by Polars' streaming engine, a batch at a time, so a table larger than memory is
        never whole (a `WriteAlongside` too, its other plans computed in the same pass).

        zstd at level 1: measured on a day's 1M-record raw and clean tables, 15-20% less CPU than
        Polars' default level (most of a write is encoding, not compression) at the same size
        (14.4 against 14.7 MiB for raw_events); lz4 was no faster and 60% larger. Column
        statistics stay: they cost about 5% and let readers skip row groups by value."""
        options = {"compression": "zstd", "compression_level": 1, "statistics": True}
        if isinstance(table, pl.LazyFrame | WriteAlongside):
            return self._publish(key, lambda f: table.sink_parquet(f, **options))
        return self._publish(key, lambda f: table.write_parquet(f, **options))

    def write_bytes(self, key: str, data: bytes) -> int:
        return self._publish(key, lambda f: f.write(data))

    def create_exclusive(self, key: str, data: bytes) -> bool:
        """Write ``data`` at ``key`` only if no object is there, as one atomic step on every store
        (O_EXCL on disk; S3 ``If-None-Match: *``; a GCS generation-0 precondition; Azure's
        ``If-None-Match: *``). False if an object was there: exactly one of racing writers wins."""
        path = self.path(key)

        def create() -> bool:
            try:
                if self.is_local:
                    os.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
                    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as handle:
                        handle.write(data)
                elif self.protocol in S3_PROTOCOLS:
                    self.fs.pipe_file(path, data, IfNoneMatch="*")
                elif self.protocol in GCS_PROTOCOLS:
                    self.fs.pipe_file(path, data, mode="create")
                else:
                    self.fs.pipe_file(path, data, overwrite=False)
            except FileExistsError:
                return False
            return True

        return self._guarded("create", key, create)

    def _publish(self, key: str, write: Callable[[BinaryIO], object]) -> int:
        """Write ``key`` atomically by ``write(handle)``. A failure of the store, or an OSError
        while writing, names the key; any other error of ``write``'s (a lazy table's source
        failing) passes through as it is."""
        path = self.path(key)
        if not self.is_local:
            # Rendered in full first, then uploaded in one call: an object store makes an object
            # visible only when its upload completes, and a writer that fails uploads nothing
            # (closing an fsspec file after an error would still commit its partial buffer).
            buffer = io.BytesIO()
            self._render(key, write, buffer)
            self._guarded("write", key, lambda: self.fs.pipe_file(path, buffer.getvalue()))
            return buffer.tell()
        # Written aside in the same directory, then renamed: readers see the old file or the new
        # one, never a partial one. Hidden temporary names match no reader's listing.
        directory, name = path.rsplit("/", 1)
        temporary = f"{directory}/.{name}.{uuid.uuid4().hex}.tmp"
        try:
            handle = self._guarded("write", key, lambda: _created(temporary))
            with handle:
                self._render(key, write, handle)
                self._guarded("write", key, lambda: (handle.flush(), os.fsync(handle.fileno())))
            self._guarded("write", key, lambda: os.replace(temporary, path))
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        return os.path.getsize(path)

    def _render(self, key: str, write: Callable[[BinaryIO], object], handle: BinaryIO) -> None:
        try:
            write(handle)
        except OSError as error:
            raise self._failure("write", key, error) from None

    def publish_staged(self, staged_key: str, key: str) -> None:
        """Move a staged object to ``key`` in one step readers cannot see half of: a rename on
        disk (same filesystem: staging lives in the warehouse), a server-side copy on an object
        store (the new object appears whole when the copy completes), then the staged one goes."""
        source, target = self.path(staged_key), self.path(key)
        if self.is_local:
            os.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            self._guarded("publish", key, lambda: os.replace(source, target))
            os.utime(target)  # dated when published, as an object store dates a copy
            return
        self._guarded("publish", key, lambda: self.fs.copy(source, target))
        self.delete([staged_key])

    def list_children(self, prefix: str) -> list[str]:
        """The names directly under ``prefix`` (folders or objects); none if it does not exist."""
        self.fs.invalidate_cache()
        try:
            found = self._guarded("list", prefix, lambda: self.fs.ls(self.path(prefix), detail=False), missing_ok=True)
        except FileNotFoundError:
            return []
        return sorted({self._key(path).rstrip("/").rsplit("/", 1)[-1] for path in found} - {""})

    def list_level(self, prefix: str, suffixes: Iterable[str] = ()) -> tuple[list[str], list[StoredFile]]:
        """One level under ``prefix``: the names of its folders, and its objects whose name ends
        with one of ``suffixes``. One delimiter listing on an object store (a page per thousand
        entries), however much lies deeper; nothing if ``prefix`` does not exist."""
        suffixes = tuple(suffixes)
        self.fs.invalidate_cache()
        try:
            found = self._guarded("list", prefix, lambda: self.fs.ls(self.path(prefix), detail=True), missing_ok=True)
        except FileNotFoundError:
            return [], []
        folders, files = set(), []
        for info in found:
            key = self._key(info["name"]).rstrip("/")
            name = key.rsplit("/", 1)[-1]
            if not name or key == prefix.rstrip("/"):
                continue
            if info.get("type") == "directory":
                folders.add(name)
            elif not suffixes or name.endswith(suffixes):
                files.append(StoredFile(key, int(info.get("size") or 0), _version(info), _modified(info)))
        return sorted(folders), sorted(files, key=lambda f: f.key)

    def delete_prefix(self, prefix: str) -> None:
        """Remove everything under ``prefix``; nothing there is fine."""
        path = self.path(prefix)
        if self.is_local:
            shutil.rmtree(path, ignore_errors=True)
            return
        try:
            self._guarded("delete", prefix, lambda: self.fs.rm(path, recursive=True), missing_ok=True)
        except FileNotFoundError:
            pass

    def remove_empty_folders(self, prefix: str) -> None:
        """On disk, remove ``prefix`` and its parents while empty (object stores have no folders)."""
        if not self.is_local:
            return
        path = self.path(prefix)
        while path.startswith(self.root + "/"):
            try:
                os.rmdir(path)
            except OSError:  # not empty, or already gone
                return
            path = path.rsplit("/", 1)[0]

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self._guarded("delete", key, lambda key=key: self.fs.rm_file(self.path(key)), missing_ok=True)
            except FileNotFoundError:
                pass

    def _guarded(self, action: str, key: str, operation, missing_ok: bool = False):
        """Run ``operation``; a failure names the store and key, never an option or a secret.

        ``missing_ok`` lets FileNotFoundError through for callers to whom "nothing there" is an
        answer (a listing, a delete); to anyone else a missing object or bucket is an error.
        """
        try:
            return operation()
        except FileNotFoundError as error:
            if missing_ok:
                raise
            detail = redact(str(error))[:300] or "no such object"
            raise StorageError(f"cannot {action} {self.uri(key)}: not found ({detail})", transient=False) from None
        except Exception as error:  # noqa: BLE001 - re-raised as StorageError, redacted
            raise self._failure(action, key, error) from None

    def _failure(self, action: str, key: str, error: Exception) -> StorageError:
        detail = redact(f"{type(error).__name__}: {error}")[:300]
        denied = isinstance(error, PermissionError)
        return StorageError(f"cannot {action} {self.uri(key)}: {detail}", transient=not denied)


def _created(path: str) -> BinaryIO:
    os.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    return open(path, "wb")  # noqa: SIM115 - closed by the caller's with block


def redacted_native_error(error: BaseException) -> StorageError | None:
    """A failure of Polars' native reader or an OS call, raised outside this layer (a lazy scan
    fails when collected), as a StorageError with secrets redacted; None for any other error.

    object_store puts the store's response body in its errors, and an S3 error body can name the
    access key."""
    if isinstance(error, StorageError) or not isinstance(error, pl.exceptions.PolarsError | OSError):
        return None
    return StorageError(redact(f"{type(error).__name__}: {error}")[:2000])


@functools.lru_cache(maxsize=16)
def _filesystem(protocol: str, options_json: str, retries: int | None) -> fsspec.AbstractFileSystem:
    """One client per store and set of options, kept for the process: connections are reused
    across steps and sensor ticks. Keyed by the options and retry count (built from the
    environment), not by fsspec's own instance cache, which would hand back a client built under
    other variables."""
    fs = fsspec.filesystem(protocol, skip_instance_cache=True, **json.loads(options_json))
    tune_client(protocol, fs)
    return fs


def _version(info: Mapping) -> str:
    """A token that changes whenever an object is replaced, even by one of the same size within
    the same second: the ETag or generation where the store has one, else size and mtime."""
    for token in ("ETag", "etag", "generation", "md5Hash"):
        if info.get(token):
            return f"{info[token]}".strip('"')
    return f"{info.get('size')}:{_modified(info)}"


def _modified(info: Mapping) -> float:
    """An object's last write as seconds since the epoch, whichever way its filesystem spells it."""
    modified = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or info.get("updated")
    if isinstance(modified, str):
        modified = datetime.fromisoformat(modified.replace("Z", "+00:00"))
    if isinstance(modified, datetime):
        return modified.timestamp()
    return float(modified or 0.0)
