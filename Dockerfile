# One image for every Dagster process of a deployment: the webserver, the daemon, the gRPC code
# server and one-off `dagster asset materialize` runs (README, "Deploying" > "Image").
# Built by `.ci/build-image` with buildah; `docker build .` builds the same image.

# --- build: resolve nothing, install exactly uv.lock's main dependencies into /app/.venv --------
FROM python:3.11-slim-bookworm AS build

# uv from PyPI: an image such as ghcr.io/astral-sh/uv cannot be pulled on every builder.
# UV_PYTHON_DOWNLOADS=never: the venv must use the base image's Python, which the final stage has.
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
RUN python -m pip install --no-cache-dir --disable-pip-version-check "uv==0.13.8"
WORKDIR /app

# Dependencies before the code, so that with a layer cache a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project
COPY pipeline_assets ./pipeline_assets
# The project is installed editable (a .pth pointing at /app), so settings.REPO_ROOT is /app and
# the contract's relative defaults (data/landing, data/warehouse) land in /app/data. Its bytecode
# is compiled here, as uv did for the dependencies: the runtime user cannot write __pycache__.
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev \
    && /app/.venv/bin/python -m compileall -q --invalidation-mode checked-hash pipeline_assets

# --- runtime: the venv and the project only; no uv, no compiler, not root -----------------------
FROM python:3.11-slim-bookworm AS runtime

# A fixed uid/gid, so volumes and Kubernetes' securityContext (runAsUser) can name it. The
# directories a deployment mounts volumes on exist here, owned by that user: a fresh named volume
# takes the ownership of the directory it is mounted on.
ARG APP_UID=10001
RUN groupadd --gid "$APP_UID" dagster \
    && useradd --no-log-init --uid "$APP_UID" --gid dagster --home-dir /opt/dagster --no-create-home \
       --shell /usr/sbin/nologin dagster \
    && mkdir -p /opt/dagster/home/storage /app/data/landing /app/data/warehouse \
    && chown -R dagster:dagster /opt/dagster /app/data

ENV DAGSTER_HOME=/opt/dagster/home PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/pipeline_assets /app/pipeline_assets
# pyproject.toml names the code location for `dagster definitions validate` and `dagster dev`;
# workspace.yaml does for the webserver and daemon. deploy/ brings the production instance file
# (deploy/dagster.yaml; .dockerignore keeps compose, Helm and Kubernetes files out).
COPY pyproject.toml workspace.yaml ./
COPY deploy/ ./deploy/
# The embedded default (SQLite under DAGSTER_HOME). A deployment mounts its own dagster.yaml over
# it (compose: deploy/dagster.yaml; Helm: the chart's instance ConfigMap).
COPY --chown=dagster:dagster dagster.yaml /opt/dagster/home/dagster.yaml

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER ${APP_UID}:${APP_UID}
EXPOSE 3000 4000
# Default: the gRPC code server that the webserver and the daemon (or the Helm chart's user-code
# deployment) connect to. Override the command for the others (see deploy/compose.yaml).
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "pipeline_assets.definitions"]
