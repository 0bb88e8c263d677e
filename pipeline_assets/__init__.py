"""Daily product-event analytics as a Dagster asset graph (see README.md)."""

import os

# Polars' allocator (jemalloc) keeps freed pages for up to a second before handing them back
# (Polars' own default, dirty_decay_ms:500,muzzy_decay_ms:1000), and the events step frees a
# landing file's parsed text just before it parses the next. Measured on the day benchmark
# (benchmarks/RESULTS.md), Polars' default against 100 ms against 0: peak RSS at 1M records
# 905-1,041 / 830-870 / 790-870 MiB; execution 5.7-5.9 / 5.2-6.4 / 6.0-6.6 s; at 10M records
# 3,548 / 3,488 / 3,277 MiB and 48 / 47 / 65 s (at 0 every reuse faults pages in again: 39 s of
# system time). 100 ms keeps the most of both. Read when Polars is first imported, which in
# every process of this project (code server, run worker, CLI) is after this package; a value
# set in the environment is left alone (Polars appends it to its own).
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:100")
