"""Per-cloud quirks: each cloud's standard environment variables -> fsspec and Polars options.

Credentials come only from the environment (the data contract lists the variables). fsspec's
clients read most of them themselves; Polars' native reader (object_store) does not read
``AZURE_STORAGE_CONNECTION_STRING`` or ``STORAGE_EMULATOR_HOST`` at all, so they are translated
here. Every secret value is also registered for redaction, so no error or log line built by the
storage layer can carry one.
"""

import json
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, field

S3_PROTOCOLS = ("s3", "s3a")
GCS_PROTOCOLS = ("gs", "gcs")
AZURE_PROTOCOLS = ("az", "abfs", "abfss", "adl")
SECRET_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CLIENT_SECRET",
)  # fmt: skip

STORE_RETRIES_VARIABLE = "PIPELINE_STORE_RETRIES"
S3_ATTEMPTS = 5  # botocore's attempts per request (the first included)
AZURE_RETRIES = 2
OBJECT_STORE_RETRIES = 5  # Polars' native reader (object_store) backs off with jitter

# gcsfs probes every bucket's type over gRPC first (60 s against an emulator or without network);
# the switch is read once, when gcsfs is imported, so it must be set before any import of it.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")


@dataclass(frozen=True)
class CloudOptions:
    fsspec: dict = field(default_factory=dict)
    polars: dict = field(default_factory=dict)
    explicit_credentials: bool = False  # True: tell Polars not to probe for other credentials
    secrets: tuple[str, ...] = ()


def cloud_options(protocol: str, env: Mapping[str, str] | None = None) -> CloudOptions:
    env = os.environ if env is None else env
    if protocol in S3_PROTOCOLS:
        return _s3(env)
    if protocol in GCS_PROTOCOLS:
        return _gcs(env)
    if protocol in AZURE_PROTOCOLS:
        return _azure(env)
    return CloudOptions()


def store_retries(env: Mapping[str, str] | None = None) -> int | None:
    """``PIPELINE_STORE_RETRIES``: how often each client retries a failed request (None: each
    client's own count below). The layers multiply (s3fs retries what botocore gave up on, and the
    step's RetryPolicy retries the step), so a test of a store that stays down sets it low."""
    env = os.environ if env is None else env
    text = env.get(STORE_RETRIES_VARIABLE, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{STORE_RETRIES_VARIABLE} must be a whole number of retries (0 or more), got {text!r}")
    return int(text)


def tune_client(protocol: str, fs, env: Mapping[str, str] | None = None) -> None:
    """Client settings fsspec does not expose, applied to a freshly built filesystem."""
    env = os.environ if env is None else env
    retries = store_retries(env)
    if protocol in S3_PROTOCOLS and retries is not None:
        fs.retries = retries + 1  # s3fs's own attempts around botocore's (5 by default)
    if protocol in GCS_PROTOCOLS and retries is not None:
        from gcsfs.retry import retry_request

        # gcsfs fixes 6 attempts per request (waits of 1, 2, 4, 8 and 16 s) when its class is defined.
        fs._request = types.MethodType(retry_request(retries=retries + 1)(type(fs)._request.__wrapped__), fs)
    if protocol in AZURE_PROTOCOLS and env.get("AZURE_STORAGE_CONNECTION_STRING"):
        from azure.storage.blob.aio import BlobServiceClient, ExponentialRetry

        # adlfs has no retry setting, and Azure Storage's default waits 15, 18 and 24 s between
        # attempts of every request: a store that is down would hold each step for minutes.
        # Here: 2 retries after about 3 and 5 s (±1 s of jitter); the step's RetryPolicy adds more.
        total = AZURE_RETRIES if retries is None else retries
        fs.service_client = BlobServiceClient.from_connection_string(
            env["AZURE_STORAGE_CONNECTION_STRING"],
            retry_policy=ExponentialRetry(
                initial_backoff=1, increment_base=2, retry_total=total, random_jitter_range=1
            ),
        )


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with every secret from the environment (and the Azure account key) masked."""
    env = os.environ if env is None else env
    secrets = [env.get(name, "") for name in SECRET_VARIABLES]
    connection = _connection_string(env)
    secrets += [connection.get("AccountKey", ""), connection.get("SharedAccessSignature", "")]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _s3(env: Mapping[str, str]) -> CloudOptions:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    client: dict = {"region_name": region}  # botocore reads AWS_DEFAULT_REGION, not AWS_REGION
    polars = {"aws_region": region}
    if endpoint:
        client["endpoint_url"] = endpoint
        polars["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            polars["aws_allow_http"] = "true"
    explicit = bool(env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"))
    if explicit:
        polars["aws_access_key_id"] = env["AWS_ACCESS_KEY_ID"]
        polars["aws_secret_access_key"] = env["AWS_SECRET_ACCESS_KEY"]
        if env.get("AWS_SESSION_TOKEN"):
            polars["aws_session_token"] = env["AWS_SESSION_TOKEN"]
    # botocore's "standard" retry mode: exponential backoff with full jitter on throttling, 5xx and
    # connection errors.
    retries = store_retries(env)
    attempts = S3_ATTEMPTS if retries is None else retries + 1
    config = {"retries": {"max_attempts": attempts, "mode": "standard"}, "connect_timeout": 10, "read_timeout": 60}
    return CloudOptions(
        fsspec={"client_kwargs": client, "config_kwargs": config}, polars=polars, explicit_credentials=explicit
    )


def _gcs(env: Mapping[str, str]) -> CloudOptions:
    emulator = env.get("STORAGE_EMULATOR_HOST")
    if emulator:
        base = (emulator if "://" in emulator else f"http://{emulator}").rstrip("/")
        # object_store reaches an emulator only through a service-account key naming its URL.
        key = {"gcs_base_url": base, "disable_oauth": True, "client_email": "", "private_key": "", "private_key_id": ""}
        return CloudOptions(
            fsspec={"token": "anon", "endpoint_url": base},
            polars={"google_service_account_key": json.dumps(key)},
            explicit_credentials=True,
        )
    credentials = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if credentials:
        return CloudOptions(
            fsspec={"token": credentials},
            polars={"google_service_account_path": credentials},
            explicit_credentials=True,
        )
    return CloudOptions()


def _azure(env: Mapping[str, str]) -> CloudOptions:
    parts = _connection_string(env)
    name = parts.get("AccountName") or env.get("AZURE_STORAGE_ACCOUNT_NAME")
    key = parts.get("AccountKey") or env.get("AZURE_STORAGE_ACCOUNT_KEY")
    if not name:
        return CloudOptions()
    fsspec: dict = {"account_name": name}
    polars = {"azure_storage_account_name": name}
    if key:
        fsspec["account_key"] = key
        polars["azure_storage_account_key"] = key
    if env.get("AZURE_STORAGE_CONNECTION_STRING"):
        fsspec = {"connection_string": env["AZURE_STORAGE_CONNECTION_STRING"]}
    endpoint = parts.get("BlobEndpoint")
    if endpoint:
        polars["azure_endpoint"] = endpoint.rstrip("/")
        if endpoint.startswith("http://"):
            polars["azure_allow_http"] = "true"
    return CloudOptions(fsspec=fsspec, polars=polars, explicit_credentials=bool(key))


def _connection_string(env: Mapping[str, str]) -> dict[str, str]:
    text = env.get("AZURE_STORAGE_CONNECTION_STRING", "")
    return dict(part.split("=", 1) for part in text.split(";") if "=" in part)
