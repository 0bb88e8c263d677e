"""Handing freed memory back to the system (glibc keeps freed blocks in its arenas otherwise)."""

import ctypes
from typing import Any


def return_freed_memory() -> None:
    """``malloc_trim(0)``: a few milliseconds; a no-op where the C library is not glibc."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


_LIBC = _glibc()
