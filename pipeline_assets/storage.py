"""The storage layer: one place that knows how to list, read and atomically publish objects.

Every other module speaks in paths relative to a `Store` root (``events/date=2024-01-01/a.csv``);
this module alone maps the root URL to an fsspec filesystem (local disk today) and to Polars'
native I/O options, so adding a store touches nothing else.
"""

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import fsspec
import polars as pl
from fsspec.utils import get_protocol

LOCAL_PROTOCOLS = ("file", "local")


@dataclass(frozen=True)
class StoredFile:
    """One object in a store, as the landing sensor and ingestion see it."""

    key: str  # relative to the store root, "/"-separated
    size: int
    version: str  # changes whenever the object's content is replaced

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


class StorageError(RuntimeError):
    """An I/O failure, described by store URL and key only (never by credentials)."""


class Store:
    """A URL-rooted place holding objects: ``data/warehouse``, ``s3://bucket/warehouse``…"""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.protocol = get_protocol(self.url)
        self.fs = fsspec.filesystem(self.protocol)
        self.root = self.fs._strip_protocol(self.url).rstrip("/")

    @property
    def is_local(self) -> bool:
        return self.protocol in LOCAL_PROTOCOLS

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- naming -------------------------------------------------------------------------------
    def path(self, key: str) -> str:
        """The filesystem path of a key (what fsspec takes)."""
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
        """Every object under ``prefix`` (recursively), sorted by key; hidden names are skipped."""
        suffixes = tuple(suffixes)
        try:
            found = self.fs.find(self.path(prefix), detail=True)
        except FileNotFoundError:
            return []
        except Exception as error:  # noqa: BLE001 - re-raised with the key, never the options
            raise StorageError(f"cannot list {self.uri(prefix)}: {type(error).__name__}") from error
        files = []
        for path, info in found.items():
            key = self._key(path)
            name = key.rsplit("/", 1)[-1]
            if info.get("type") == "directory" or name.startswith((".", "_")):
                continue
            if suffixes and not name.endswith(suffixes):
                continue
            files.append(StoredFile(key=key, size=int(info.get("size") or 0), version=_version(info)))
        return sorted(files, key=lambda f: f.key)

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.fs.cat_file(self.path(key))
        except Exception as error:  # noqa: BLE001
            raise StorageError(f"cannot read {self.uri(key)}: {type(error).__name__}") from error

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def scan_parquet(self, keys: list[str]) -> pl.LazyFrame:
        """One lazy scan over the given Parquet objects (an empty list is not allowed)."""
        if self.is_local:
            return pl.scan_parquet([self.path(k) for k in keys])
        return pl.scan_parquet([self.uri(k) for k in keys], storage_options=self.polars_options())

    def polars_options(self) -> Mapping[str, str]:
        return {}

    # -- writing ------------------------------------------------------------------------------
    def write_parquet(self, key: str, frame: pl.DataFrame) -> int:
        """Publish ``frame`` at ``key`` atomically; returns the bytes written."""
        return self._publish(key, lambda f: frame.write_parquet(f, compression="zstd", statistics=True))

    def write_bytes(self, key: str, data: bytes) -> int:
        return self._publish(key, lambda f: f.write(data))

    def _publish(self, key: str, write) -> int:
        path = self.path(key)
        try:
            if self.is_local:
                # Written aside in the same directory, then renamed: readers see the old file or
                # the new one, never a partial one. Hidden temporary names match no reader's glob.
                directory, name = path.rsplit("/", 1)
                os.makedirs(directory, exist_ok=True)
                temporary = f"{directory}/.{name}.{uuid.uuid4().hex}.tmp"
                try:
                    with open(temporary, "wb") as handle:
                        write(handle)
                        handle.flush()
                        os.fsync(handle.fileno())
                    os.replace(temporary, path)
                finally:
                    if os.path.exists(temporary):
                        os.remove(temporary)
            else:
                # An object store makes an object visible only when its upload completes.
                with self.fs.open(path, "wb") as handle:
                    write(handle)
            return int(self.fs.size(path))
        except StorageError:
            raise
        except Exception as error:  # noqa: BLE001
            raise StorageError(f"cannot write {self.uri(key)}: {type(error).__name__}: {error}") from error

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self.fs.rm_file(self.path(key))
            except FileNotFoundError:
                pass


def _version(info: Mapping) -> str:
    """A token that changes when an object is replaced: size plus modification time or ETag."""
    for field in ("ETag", "etag", "md5Hash", "generation"):
        if info.get(field):
            return f"{info[field]}".strip('"')
    modified = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or info.get("updated")
    if isinstance(modified, datetime):
        modified = modified.timestamp()
    return f"{info.get('size')}:{modified}"
