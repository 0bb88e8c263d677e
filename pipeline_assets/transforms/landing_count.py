"""How many records a landing file holds, counted from its bytes alone.

This is the left side of the contract's reconciliation equation (landing records = clean +
rejected + duplicates), and it must not come from the parser: a parser that dropped, merged or
invented a record would agree with itself. The grammar is the contract's, restated here by other
code than `ingest`'s:

- JSON Lines: every line holding anything but white space is one record.
- CSV (RFC 4180): a record ends at a line feed outside quotes; quotes toggle "inside" except a
  stray one (neither after a comma, line feed or file start, nor before a comma, line end or file
  end, nor next to another quote), which RFC 4180 forbids in an unquoted field and which lenient
  readers keep as text. Empty lines are not records; the first record is the header.

The bytes are walked in blocks with a running quote parity, so counting a file of any size needs
a few blocks of memory, not a few copies of the file.
"""

import numpy as np

from pipeline_assets.transforms.ingest import decompressed, landing_format

BLOCK = 1 << 24  # 16 MiB
_QUOTE, _COMMA, _CR, _LF = (ord(c) for c in '",\r\n')
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\r\n\f\v")] = True


def count_landing_records(name: str, data: bytes) -> int:
    content = np.frombuffer(decompressed(name, data), dtype=np.uint8)
    if landing_format(name) == "jsonl":
        return _count_json_lines(content)
    return max(_count_csv_rows(content) - 1, 0)  # less the header


def _count_json_lines(content: np.ndarray) -> int:
    """Lines holding a visible byte: at each line feed, did the count of visible bytes grow?"""
    lines, visible_before = 0, 0  # visible bytes up to the end of the previous line
    seen = 0
    for start in range(0, len(content), BLOCK):
        block = content[start : start + BLOCK]
        visible_so_far = np.cumsum(~_SPACE[block], dtype=np.int64) + seen
        at_line_ends = visible_so_far[block == _LF]
        lines += int(np.count_nonzero(np.diff(at_line_ends, prepend=visible_before)))
        if at_line_ends.size:
            visible_before = int(at_line_ends[-1])
        seen = int(visible_so_far[-1])
    return lines + (seen > visible_before)  # a last line without a line feed


def _count_csv_rows(content: np.ndarray) -> int:
    """Rows ended by a line feed outside quotes, less empty ones, plus a last row without one."""
    rows, inside, last_end = 0, 0, -1
    padded = np.concatenate(([_LF, _LF], content, [_LF]))  # a line feed stands before and after the file
    for start in range(0, len(content), BLOCK):
        window = padded[start : start + BLOCK + 3]  # two bytes of look-behind, one of look-ahead
        block, before, before2, after = window[2:-1], window[1:-2], window[:-3], window[3:]
        quote = block == _QUOTE
        stray = (
            quote
            & (before != _COMMA) & (before != _LF) & (before != _QUOTE)
            & (after != _COMMA) & (after != _CR) & (after != _LF) & (after != _QUOTE)
        )  # fmt: skip
        parity = (np.cumsum(quote & ~stray, dtype=np.int64) + inside) % 2
        ends = (block == _LF) & (parity == 0)
        empty = ends & ((before == _LF) | ((before == _CR) & (before2 == _LF)))
        rows += int(ends.sum() - empty.sum())
        if ends.any():
            last_end = start + int(np.flatnonzero(ends)[-1])
        inside = int(parity[-1])
    tail = content[last_end + 1 :]
    if tail.size and not (tail.size == 1 and tail[0] == _CR):
        rows += 1
    return rows
