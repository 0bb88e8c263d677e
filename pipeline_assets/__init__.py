"""Daily product-event analytics as a Dagster asset graph (see README.md)."""

import os

# Polars' allocator (jemalloc) keeps freed pages for up to a second before handing them back
# (Polars' own default, dirty_decay_ms:500,muzzy_decay_ms:1000). A day's step frees its parsed
# records and then builds the clean table within that second, so both were resident at once:
# handing pages back at once lowered the events step's peak on a 1M-record day from 1.3-1.4 GiB
# to 1.1 GiB, for about 1 s more on that step (pages handed back are faulted in again when
# reused; benchmarks/RESULTS.md): memory is what fails a run. Read when Polars is first imported,
# which in every process of this project (code server, run worker, CLI) is after this package; a
# value set in the environment is left alone (Polars appends it to its own).
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
