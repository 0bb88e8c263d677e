"""A landing file's bytes split into records: which records are valid UTF-8, at any chunk size."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_assets.transforms import landing_file
from pipeline_assets.transforms.landing_file import split_records

# Pieces of lines: ASCII, two- to four-byte characters, bytes that are never UTF-8, a lead byte
# without its continuation, a lone continuation byte, and line ends.
PIECES = st.sampled_from(
    [b"a", b",", b'"', "é".encode(), "€".encode(), "😀".encode(), b"\xff", b"\xc3", b"\x80", b"\n", b"\r\n", b"\n\n"]
)


def _decodes(record: bytes) -> bool:
    try:
        record.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=100, deadline=None)
@given(data=st.lists(PIECES, max_size=30).map(b"".join))
def test_utf8_mask_is_each_records_own_validity_whatever_the_chunk(data):
    """Chunks end after a line feed (every chunk size is tried); a bad byte marks its own record
    only, and checking resumes after it."""
    with pytest.MonkeyPatch.context() as patch:
        for quoted in (False, True):
            records = split_records(data, quoted=quoted)
            expected = [_decodes(data[start:end]) for start, end in zip(records.starts, records.ends, strict=True)]
            for chunk in range(1, len(data) + 2):
                patch.setattr(landing_file, "_CHUNK", chunk)
                assert records.utf8_mask().tolist() == expected, chunk


@pytest.mark.parametrize("chunk", [1, 3, 1 << 24])
def test_a_character_split_by_no_chunk(monkeypatch, chunk):
    monkeypatch.setattr(landing_file, "_CHUNK", chunk)
    data = "ab😀c\né€\n".encode() + b"x\xffy\n" + "ok😀\n".encode()
    assert split_records(data, quoted=False).utf8_mask().tolist() == [True, True, False, True]


@settings(max_examples=100, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"a", b"\\", b"u", b"\\u", b"\xff", b'"', b"\n", b"\r\n", b"\n\n", b" "]), max_size=30
    ).map(b"".join),
    pattern=st.sampled_from([b"\\", b"\\u", b"u"]),
)
def test_holding_is_each_records_own_whatever_the_chunk(data, pattern):
    """Whatever the chunk of records searched at a time (every size is tried), each record's
    own bytes decide, not its neighbours'."""
    with pytest.MonkeyPatch.context() as patch:
        for quoted in (False, True):
            records = split_records(data, quoted=quoted)
            expected = [pattern in data[start:end] for start, end in zip(records.starts, records.ends, strict=True)]
            for chunk in range(1, len(data) + 2):
                patch.setattr(landing_file, "_CHUNK", chunk)
                assert records.holding(pattern).tolist() == expected, chunk
