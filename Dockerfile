# The code location and the Dagster webserver/daemon in one image (the production instance's
# dagster.yaml is mounted into $DAGSTER_HOME at deploy time).
FROM python:3.11-slim

ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy DAGSTER_HOME=/opt/dagster/home \
    PATH="/app/.venv/bin:$PATH"
RUN pip install --no-cache-dir "uv==0.13.8" && mkdir -p "$DAGSTER_HOME"
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY pipeline_assets ./pipeline_assets
COPY workspace.yaml dagster.yaml ./
RUN uv sync --frozen --no-dev && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"

EXPOSE 3000 4000
# Default: the gRPC code server that a webserver and daemon (or the Helm chart) connect to.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "pipeline_assets.definitions"]
