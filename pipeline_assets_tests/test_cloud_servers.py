"""The local S3 / GCS / Azure servers work for the clients the pipeline uses, configured from env only.

Session fixtures ``s3_server``, ``gcs_server`` and ``azure_server`` start moto, fake-gcs-server and
Azurite (all three spawned at once, ~3-4 s together) and stop them by process group at the end. Tests
apply *only* ``server.env`` (the cloud's standard variables) with monkeypatch, after removing other
cloud variables that could leak in from the shell, then:

* fsspec (s3fs / gcsfs / adlfs) is built as ``fsspec.filesystem(protocol, skip_instance_cache=True)``:
  no credential or endpoint argument at all. ``skip_instance_cache`` is not configuration: fsspec
  caches instances by constructor arguments only, so without it a filesystem built under an earlier
  test's environment (another endpoint) would be handed back.
* Polars' native I/O takes ``storage_options`` (see ``pipeline_assets.cloud``)
  plus ``credential_provider=None``; only S3 also works from the environment alone.

Run with ``pytest -m cloud -s`` to see the version fields and option keys each cloud reports.
"""

import time
import uuid

import fsspec
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline_assets.cloud import cloud_options
from pipeline_assets_tests import cloud_servers
from pipeline_assets_tests.net import listening_addresses

pytestmark = pytest.mark.cloud

CLOUDS = ("s3", "gcs", "azure")

# Variables that would change what the clients do if they leaked in from the shell; cleared first so
# that each test sees the server's variables and nothing else.
FOREIGN_CLOUD_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_SERVICE_ACCOUNT",
    "GOOGLE_SERVICE_ACCOUNT_PATH",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_BUCKET",
    "STORAGE_EMULATOR_HOST",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CLIENT_ID",
    "AZURE_STORAGE_CLIENT_SECRET",
    "AZURE_STORAGE_TENANT_ID",
    "AZURE_STORAGE_ANON",
    "AZURE_STORAGE_ENDPOINT",
)

# The info fields fsspec's detailed listing gives, per cloud, that identify an object's version.
# The first one changes on every rewrite, even with the same size within the same second.
VERSION_FIELDS = {
    "s3": ("ETag", "LastModified"),  # ETag is the content MD5 (single-part); LastModified has 1 s resolution
    "gcs": ("generation", "etag", "md5Hash", "updated", "mtime"),  # generation: new on every write
    "azure": ("etag", "last_modified"),  # etag: new on every write
}


# -------------------------------------------------------------------------------------------------
# Fixtures
# -------------------------------------------------------------------------------------------------


@pytest.fixture(params=CLOUDS)
def server(request, monkeypatch):
    """One server, with its environment (and nothing else cloud-related) applied."""
    server = request.getfixturevalue(f"{request.param}_server")
    if not server.is_running:  # an earlier restart test failed half-way
        server.start()
    for name in FOREIGN_CLOUD_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    return server


def _fs(server):
    """The fsspec filesystem for the server's protocol, from the environment only."""
    return fsspec.filesystem(server.protocol, skip_instance_cache=True)


def _prefix(server, label):
    return f"{server.bucket}/{label}-{uuid.uuid4().hex[:10]}"


def _url(server, path):
    return f"{server.protocol}://{path}"


FRAME = pl.DataFrame(
    {
        "event_id": [1, 2, 3],
        "user": ["a", "b", None],
        "amount": [1.5, -2.0, 3.25],
    }
)


# -------------------------------------------------------------------------------------------------
# Tests
# -------------------------------------------------------------------------------------------------


def test_env_holds_only_standard_variables(server):
    expected = {
        "s3": {
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_EC2_METADATA_DISABLED",
        },
        "gcs": {"STORAGE_EMULATOR_HOST", "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"},
        "azure": {"AZURE_STORAGE_CONNECTION_STRING"},
    }[server.cloud]
    assert set(server.env) == expected
    assert f"127.0.0.1:{server.port}" in "".join(server.env.values())
    assert server.url == f"{server.protocol}://{server.bucket}"


def test_servers_listen_on_this_machine_only(server):
    assert listening_addresses(server.port) == {"127.0.0.1"}


def test_fsspec_write_list_read_from_env(server):
    fs = _fs(server)
    path = f"{_prefix(server, 'roundtrip')}/hello.txt"

    fs.pipe_file(path, b"version one")
    found = fs.find(path.rsplit("/", 1)[0], detail=True)
    assert list(found) == [path]
    first = found[path]
    assert first["type"] == "file" and first["size"] == len(b"version one")
    present = [name for name in VERSION_FIELDS[server.cloud] if first.get(name)]
    print(
        f"\n[{server.cloud}] {type(fs).__module__}.{type(fs).__name__}; version fields: "
        + ", ".join(f"{name}={first[name]!r}" for name in present)
    )
    assert present == list(VERSION_FIELDS[server.cloud])

    # Same size, immediately after: the first version field must still change.
    fs.pipe_file(path, b"version two")
    fs.invalidate_cache()  # fsspec caches listings per instance; a stale one hides the rewrite
    second = fs.find(path.rsplit("/", 1)[0], detail=True)[path]
    token = VERSION_FIELDS[server.cloud][0]
    assert second[token] != first[token], f"{token} did not change on rewrite"

    assert fs.cat_file(path) == b"version two"
    with fs.open(path, "rb") as handle:
        assert handle.read() == b"version two"


def test_gcsfs_bucket_type_probe_is_off(gcs_server, monkeypatch):
    """GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT is read once, when gcsfs is imported."""
    for name, value in gcs_server.env.items():
        monkeypatch.setenv(name, value)
    import gcsfs
    import gcsfs.core

    assert fsspec.get_filesystem_class("gs") is gcsfs.core.GCSFileSystem, (
        "gcsfs was imported before GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false was set, so it registered "
        "its experimental ExtendedGcsFileSystem, which probes every bucket's type over gRPC first "
        "(up to 60 s per call against the emulator when credentials are present). Set the variable "
        "in conftest.py / the process environment before anything imports gcsfs (dagster_gcp does)."
    )


def test_polars_reads_parquet_written_through_fsspec(server):
    fs = _fs(server)
    prefix = _prefix(server, "parquet")
    for part in range(2):
        with fs.open(f"{prefix}/part-{part}.parquet", "wb") as handle:
            FRAME.write_parquet(handle)

    options = cloud_options(server.protocol).polars  # from the patched env
    assert options == server.polars_storage_options
    print(f"\n[{server.cloud}] polars storage_options keys: {sorted(options)}")

    one = pl.read_parquet(_url(server, f"{prefix}/part-0.parquet"), storage_options=options, credential_provider=None)
    assert_frame_equal(one, FRAME)
    both = pl.scan_parquet(
        _url(server, f"{prefix}/*.parquet"), storage_options=options, credential_provider=None
    ).collect()
    assert_frame_equal(both, pl.concat([FRAME, FRAME]))


def test_polars_s3_needs_no_options(s3_server, monkeypatch):
    """object_store reads AWS_ENDPOINT_URL & co. itself (and allows http for that endpoint)."""
    for name in FOREIGN_CLOUD_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    fs = _fs(s3_server)
    path = f"{_prefix(s3_server, 'env-only')}/data.parquet"
    with fs.open(path, "wb") as handle:
        FRAME.write_parquet(handle)
    assert_frame_equal(pl.read_parquet(_url(s3_server, path)), FRAME)
    assert_frame_equal(pl.scan_parquet(_url(s3_server, path)).collect(), FRAME)


@pytest.mark.parametrize(
    "server",
    [
        "s3",
        pytest.param(
            "gcs",
            marks=pytest.mark.xfail(
                raises=OSError,
                strict=True,
                reason="object_store's GCS upload is refused by fake-gcs-server ('invalid uploadType'): "
                "write GCS through fsspec",
            ),
        ),
        "azure",
    ],
    indirect=True,
)
def test_polars_native_write_then_read(server):
    options = server.polars_storage_options
    prefix = _prefix(server, "native")
    FRAME.write_parquet(_url(server, f"{prefix}/a.parquet"), storage_options=options, credential_provider=None)
    FRAME.lazy().sink_parquet(_url(server, f"{prefix}/b.parquet"), storage_options=options, credential_provider=None)
    got = pl.scan_parquet(
        _url(server, f"{prefix}/*.parquet"), storage_options=options, credential_provider=None
    ).collect()
    assert_frame_equal(got, pl.concat([FRAME, FRAME]))
    assert _fs(server).cat_file(f"{prefix}/a.parquet")[:4] == b"PAR1"


def test_stop_then_start_on_the_same_port(server):
    """What an outage test can rely on: the port goes dark, then the same endpoint comes back."""
    path = f"{_prefix(server, 'restart')}/kept.txt"
    _fs(server).pipe_file(path, b"before the outage")
    port, endpoint, env = server.port, server.endpoint, server.env
    old_pid = server.pid

    server.stop()
    assert not server.is_running
    assert not cloud_servers.port_is_open(port), f"{server.name} still listens on {port} after stop()"

    started = time.monotonic()
    server.start()
    print(
        f"\n[{server.cloud}] restarted in {time.monotonic() - started:.2f} s "
        f"(pid {old_pid} -> {server.pid}); data kept: {server.persistent}"
    )
    assert (server.port, server.endpoint, server.env) == (port, endpoint, env)

    fs = _fs(server)
    assert fs.exists(path) is server.persistent
    if server.persistent:
        assert fs.cat_file(path) == b"before the outage"
    fs.pipe_file(path, b"after the outage")  # the bucket/container exists either way
    assert fs.cat_file(path) == b"after the outage"


def test_port_taken_is_refused_before_spawning(tmp_path):
    """Something else on the port must not pass for the server; start_server() moves on instead."""
    with cloud_servers.gcs_server(workdir=tmp_path / "first", backend="memory") as first:
        first.start()
        clash = cloud_servers.gcs_server(workdir=tmp_path / "second", backend="memory")
        clash.port = first.port
        with pytest.raises(cloud_servers.ServerStartError, match="address already in use"):
            clash.start()
        assert clash.process is None


def test_exit_during_start_reports_the_server_output(tmp_path):
    server = cloud_servers.gcs_server(workdir=tmp_path, backend="memory")
    binary = str(cloud_servers.fake_gcs_server_binary())
    server._command = lambda s: [binary, "-no-such-flag"]
    started = time.monotonic()
    with pytest.raises(cloud_servers.ServerStartError, match="exited with code") as failure:
        server.start(timeout=10)
    assert time.monotonic() - started < 5
    assert "no-such-flag" in str(failure.value)  # the server's own complaint, from its log
    assert not server.is_running


def test_silent_server_times_out_and_is_killed(tmp_path):
    server = cloud_servers.gcs_server(workdir=tmp_path, backend="memory")
    server._command = lambda s: ["sleep", "60"]
    started = time.monotonic()
    with pytest.raises(cloud_servers.ServerStartError, match="did not answer"):
        server.start(timeout=1)
    assert time.monotonic() - started < 5
    assert server.process is None
