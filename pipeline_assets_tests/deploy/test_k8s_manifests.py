"""deploy/k8s/: the project's own Kubernetes manifests, valid for a named Kubernetes version and
holding placeholders only."""

from pathlib import Path

import kubernetes_validate
import pytest

from pipeline_assets_tests.deploy.deploy_files import DEPLOY, load_all_yaml, load_yaml

# The Kubernetes version the manifests are checked against (kubernetes-validate's bundled schemas).
KUBERNETES_VERSION = "1.33.0"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
PLACEHOLDER = "REPLACE_ME"


def documents() -> list[tuple[Path, dict]]:
    return [(path, doc) for path in MANIFESTS for doc in load_all_yaml(path)]


@pytest.mark.parametrize(("path", "document"), documents(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_manifest_is_valid_kubernetes(path, document):
    # strict: a field Kubernetes does not know (a typo) is an error, not silently dropped.
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_validation_catches_a_misspelt_field():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "stringdata": {"a": "b"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(secret, KUBERNETES_VERSION, strict=True)


def test_secrets_hold_placeholders_only():
    secrets = [doc for _, doc in documents() if doc["kind"] == "Secret"]
    assert secrets
    for secret in secrets:
        assert "data" not in secret, "use stringData with placeholders; base64 would hide a real value"
        values = set(secret["stringData"].values())
        assert values == {PLACEHOLDER}, f"{secret['metadata']['name']} holds something else than {PLACEHOLDER}"


def test_everything_lives_in_the_releases_namespace():
    (namespace,) = [doc["metadata"]["name"] for _, doc in documents() if doc["kind"] == "Namespace"]
    namespaced = [doc for _, doc in documents() if doc["kind"] != "Namespace"]
    assert all(doc["metadata"]["namespace"] == namespace for doc in namespaced)
    assert f"--namespace {namespace}" in (DEPLOY / "helm" / "values.yaml").read_text()
    assert load_yaml(DEPLOY / "helm" / "values.yaml")  # parses
