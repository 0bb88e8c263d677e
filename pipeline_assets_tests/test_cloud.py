"""Each cloud's standard variables -> client options, and secrets masked wherever they could leak."""

import json

from pipeline_assets.cloud import cloud_options, redact

AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=c2VjcmV0a2V5PT0=;"
    "BlobEndpoint=http://127.0.0.1:10000/acct;"
)


def test_s3_options_come_from_the_standard_variables():
    env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cret", "AWS_REGION": "eu-west-1",
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}  # fmt: skip
    options = cloud_options("s3", env)
    assert options.fsspec["client_kwargs"] == {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:9000"}
    assert options.fsspec["config_kwargs"]["retries"] == {"max_attempts": 5, "mode": "standard"}
    assert options.polars == {
        "aws_region": "eu-west-1", "aws_endpoint_url": "http://127.0.0.1:9000", "aws_allow_http": "true",
        "aws_access_key_id": "AKID", "aws_secret_access_key": "s3cret",
    }  # fmt: skip
    assert options.explicit_credentials


def test_s3_without_keys_leaves_credentials_to_the_default_chain():
    options = cloud_options("s3", {})
    assert not options.explicit_credentials and "aws_access_key_id" not in options.polars


def test_gcs_emulator_and_service_account():
    emulator = cloud_options("gs", {"STORAGE_EMULATOR_HOST": "127.0.0.1:4443"})
    assert emulator.fsspec == {"token": "anon", "endpoint_url": "http://127.0.0.1:4443"}
    assert json.loads(emulator.polars["google_service_account_key"])["gcs_base_url"] == "http://127.0.0.1:4443"
    real = cloud_options("gs", {"GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json"})
    assert real.polars == {"google_service_account_path": "/keys/sa.json"}


def test_azure_from_a_connection_string_or_name_and_key():
    options = cloud_options("az", {"AZURE_STORAGE_CONNECTION_STRING": AZURITE})
    assert options.fsspec == {"connection_string": AZURITE}
    assert options.polars == {
        "azure_storage_account_name": "acct", "azure_storage_account_key": "c2VjcmV0a2V5PT0=",
        "azure_endpoint": "http://127.0.0.1:10000/acct", "azure_allow_http": "true",
    }  # fmt: skip
    by_key = cloud_options("abfs", {"AZURE_STORAGE_ACCOUNT_NAME": "acct", "AZURE_STORAGE_ACCOUNT_KEY": "k3y"})
    assert by_key.fsspec == {"account_name": "acct", "account_key": "k3y"}


def test_local_paths_need_no_options():
    assert cloud_options("file", {"AWS_SECRET_ACCESS_KEY": "x"}).polars == {}


def test_redact_masks_every_secret_value():
    env = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
        "AZURE_STORAGE_CONNECTION_STRING": AZURITE,
    }
    text = "denied for AKIDEXAMPLE with wJalrXUtnFEMI; key c2VjcmV0a2V5PT0= in " + AZURITE
    masked = redact(text, env)
    for secret in ("AKIDEXAMPLE", "wJalrXUtnFEMI", "c2VjcmV0a2V5PT0="):
        assert secret not in masked
    assert masked.startswith("denied for *** with ***; key *** in ")
