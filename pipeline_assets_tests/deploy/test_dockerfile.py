"""The Dockerfile's promises, read statically (CI builds and runs the image: .ci/build-image)."""

import re

from pipeline_assets_tests.deploy.deploy_files import ROOT, dockerfile_env, dockerfile_runtime_uid, dockerfile_stages

BUILD_TOOLS = re.compile(r"\b(apt-get|apt|gcc|g\+\+|clang|make|build-essential|pip install|uv sync)\b")


def test_multi_stage_from_one_base():
    stages = dockerfile_stages()
    assert len(stages) >= 2, "the Dockerfile must build in one stage and run in another"
    bases = {stage[0].split()[1] for stage in stages}
    assert len(bases) == 1, f"every stage must start from the same base (the venv links its Python): {bases}"


def test_build_stage_installs_exactly_the_lock_dependencies_first():
    build = "\n".join(dockerfile_stages()[0])
    deps = build.find("uv sync --frozen --no-dev --no-install-project")
    project = build.find("COPY pipeline_assets")
    assert deps != -1, "dependencies must come from uv.lock as it is (--frozen), without dev tools"
    assert project != -1 and deps < project, "dependencies must be installed before the code is copied"
    assert "UV_COMPILE_BYTECODE=1" in build and "compileall" in build, "bytecode must be compiled at build time"


def test_runtime_stage_copies_the_venv_and_has_no_build_tools():
    final = dockerfile_stages()[-1]
    assert any(line.startswith("COPY --from=build /app/.venv") for line in final)
    offending = [line for line in final if line.startswith("RUN") and BUILD_TOOLS.search(line)]
    assert not offending, f"the final stage installs or builds something: {offending}"


def test_runs_as_a_fixed_non_root_uid_owning_dagster_home():
    uid = dockerfile_runtime_uid()
    assert uid != 0
    home = dockerfile_env("DAGSTER_HOME")
    final = "\n".join(dockerfile_stages()[-1])
    assert re.search(rf"chown -R \S+ [^\n]*{re.escape(home.rsplit('/', 1)[0])}", final), (
        "DAGSTER_HOME must belong to the runtime user"
    )
    assert re.search(rf"COPY --chown=\S+ dagster.yaml {re.escape(home)}/dagster.yaml", final), (
        "the embedded default instance must be DAGSTER_HOME's dagster.yaml"
    )


def test_build_context_leaves_out_what_the_image_does_not_need():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored, ".dockerignore must exclude everything, then let in what the image needs"
    allowed = {line[1:] for line in ignored if line.startswith("!")}
    assert {"uv.lock", "pyproject.toml", "pipeline_assets/"} <= allowed
    assert not allowed & {".venv", "data", "node_modules", "pipeline_assets_tests/"}
