"""How many records a landing file holds, counted from its bytes alone.

This is the left side of the contract's reconciliation equation (landing records = clean +
rejected + duplicates), and it must not come from the parser: a parser that dropped, merged or
invented a record would agree with itself. The grammar is the contract's, restated here by other
code than `ingest`'s:

- JSON Lines: every line holding anything but JSON's white space (space, tab, CR, LF) is one
  record; a form feed or a no-break space is not white space to JSON, so its line is a record.
- CSV (RFC 4180): a record ends at a line feed outside quotes; quotes toggle "inside" except a
  stray one (neither after a comma, line feed or file start, nor before a comma, line end or file
  end, nor next to another quote), which RFC 4180 forbids in an unquoted field and which lenient
  readers keep as text. Empty lines are not records; the first record is the header.

The bytes are walked in blocks with a running quote parity, so counting a file of any size needs
a few blocks of memory, not a few copies of the file.
"""

import numpy as np

from pipeline_assets.transforms.ingest import decompressed, landing_format

BLOCK = 1 << 22  # 4 MiB
_QUOTE, _COMMA, _CR, _LF = (ord(c) for c in '",\r\n')


def count_landing_records(name: str, data: bytes) -> int:
    return count_records(name, decompressed(name, data))


def count_records(name: str, content: bytes) -> int:
    """Records in a landing file's `decompressed` content."""
    buffer = np.frombuffer(content, dtype=np.uint8)
    if landing_format(name) == "jsonl":
        return _count_json_lines(buffer)
    return max(_count_csv_rows(buffer) - 1, 0)  # less the header


def _count_json_lines(content: np.ndarray) -> int:
    """Lines holding a byte other than JSON's white space. Each block is cut into segments after its line feeds, and
    a segment holds text if any of its bytes is not white space (one reduction over the block's
    mask: listing those bytes' positions instead took ten times as long)."""
    lines, carried = 0, False  # carried: the line running into this block already holds text
    for start in range(0, len(content), BLOCK):
        block = content[start : start + BLOCK]
        segment_starts = np.concatenate(([0], np.flatnonzero(block == _LF) + 1))
        # Strictly increasing; the last is the block's end when the block ends with a line feed.
        within = segment_starts < len(block)
        holds_text = np.zeros(len(segment_starts), dtype=bool)
        holds_text[within] = np.logical_or.reduceat(~_is_json_space(block), segment_starts[within])
        holds_text[0] |= carried
        lines += int(np.count_nonzero(holds_text[:-1]))  # the segments a line feed ends
        carried = bool(holds_text[-1])
    return lines + carried  # a last line without a line feed


def _is_json_space(block: np.ndarray) -> np.ndarray:
    return (block == 32) | (block == 9) | (block == _CR) | (block == _LF)


def _count_csv_rows(content: np.ndarray) -> int:
    """Rows ended by a line feed outside quotes, less empty ones, plus a last row without one."""
    rows, inside, last_end = 0, 0, -1
    for start in range(0, len(content), BLOCK):
        block = content[start : start + BLOCK]
        quotes = np.flatnonzero(block == _QUOTE) + start
        before, after = _bytes_at(content, quotes - 1), _bytes_at(content, quotes + 1)
        stray = (
            (before != _COMMA) & (before != _LF) & (before != _QUOTE)
            & (after != _COMMA) & (after != _CR) & (after != _LF) & (after != _QUOTE)
        )  # fmt: skip
        toggles = quotes[~stray]
        line_feeds = np.flatnonzero(block == _LF) + start
        ends = line_feeds[(np.searchsorted(toggles, line_feeds) + inside) % 2 == 0]
        previous = _bytes_at(content, ends - 1)  # the byte before each row end, and the one before that
        empty = (previous == _LF) | ((previous == _CR) & (_bytes_at(content, ends - 2) == _LF))
        rows += len(ends) - int(np.count_nonzero(empty))
        if len(ends):
            last_end = int(ends[-1])
        inside = (inside + len(toggles)) % 2
    tail = content[last_end + 1 :]
    if tail.size and not (tail.size == 1 and tail[0] == _CR):
        rows += 1
    return rows


def _bytes_at(content: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The bytes at ``positions``, a line feed for those outside the content (as if one stood
    before and after the file), without copying the content: a padded copy of a 10M-record day's
    largest file was a few hundred MiB on top of its parse."""
    within = (positions >= 0) & (positions < len(content))
    return np.where(within, content[np.clip(positions, 0, max(len(content) - 1, 0))], _LF).astype(np.uint8)
