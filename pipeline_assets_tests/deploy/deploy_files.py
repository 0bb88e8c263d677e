"""Reading the repository's deployment files for the deploy tests (no Dagster, no server)."""

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PRODUCTION_INSTANCE = DEPLOY / "dagster.yaml"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_all_yaml(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined, comments dropped), one list per stage."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if not stages:
            continue  # ARGs before the first FROM
        stages[-1].append(line)
    return stages


def dockerfile_runtime_uid() -> int:
    """The numeric uid the final stage's USER names (an ARG default resolved)."""
    final = dockerfile_stages()[-1]
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", "\n".join(final), flags=re.MULTILINE))
    users = [line.split(None, 1)[1] for line in final if line.upper().startswith("USER ")]
    assert users, "the Dockerfile's final stage has no USER: the image would run as root"
    user = users[-1].split(":")[0]
    user = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), user)
    assert user.isdigit(), f"USER {users[-1]!r} is not numeric: Kubernetes' runAsNonRoot cannot verify it"
    return int(user)


def dockerfile_env(name: str) -> str:
    """A variable the final stage sets with ENV (KEY=value form)."""
    for line in dockerfile_stages()[-1]:
        if line.upper().startswith("ENV "):
            match = re.search(rf"(?:^|\s){name}=(\"[^\"]*\"|\S+)", line[4:])
            if match:
                return match.group(1).strip('"')
    raise AssertionError(f"the Dockerfile's final stage sets no {name}")


def instance_env_vars(instance: dict) -> set[str]:
    """Every variable a dagster.yaml reads through `{env: NAME}`."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"env"} and isinstance(node["env"], str):
                found.add(node["env"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(instance)
    return found


def parse_quantity(quantity: str | int | float) -> float:
    """A Kubernetes quantity (2Gi, 512Mi, 250m, "1") as a number of bytes or cores."""
    text = str(quantity)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)
