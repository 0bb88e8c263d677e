"""Logs as JSON lines or text, chosen by PIPELINE_LOG_FORMAT: a formatter for run logs that puts
the run, step, asset, partition and the project's counts in fields, and the Dagster logger that
uses it.

Keys follow Dagster's own JSON log format (`--log-format json` of the daemon and the code server:
``timestamp``, ``level``, ``logger``, ``event`` for the message), so one parser reads all three.
"""

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from pipeline_assets.alert_message import partition_from_tags

LOG_FORMAT_ENV = "PIPELINE_LOG_FORMAT"
LOG_FORMATS = ("text", "json")
FIELDS_ATTR = "pipeline_fields"  # the extra= key the project's own log lines put their fields under
RUN_KEYS = ("run_id", "job", "step", "asset", "partition")  # always present in a run's JSON line


def log_format(env: Mapping[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(LOG_FORMAT_ENV, "").strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ValueError(f"{LOG_FORMAT_ENV} must be one of {', '.join(LOG_FORMATS)}, got {value!r}")
    return value


def log_fields(
    *, partition: str | None = None, asset: str | None = None, counts: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """``extra=`` for a project log line: its day, its asset and its figures as JSON fields."""
    fields = {"partition": partition, "asset": asset, "counts": dict(counts) if counts else None}
    return {FIELDS_ATTR: {k: v for k, v in fields.items() if v is not None}}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record. A record from a run carries Dagster's metadata (``dagster_meta``:
    run, job, step, tags, the event); a plain Python record gets the base keys only."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None)
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": meta["orig_message"] if meta else record.getMessage(),
        }
        if meta:
            entry.update(_run_fields(meta))
        own = getattr(record, FIELDS_ATTR, None)
        if isinstance(own, Mapping):
            entry.update(own)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _run_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    event = meta.get("dagster_event")
    asset_key = getattr(event, "asset_key", None) if event is not None else None
    fields: dict[str, Any] = {
        "run_id": meta.get("run_id"),
        "job": meta.get("job_name"),
        "step": meta.get("step_key"),
        "asset": asset_key.to_user_string() if asset_key is not None else None,
        "partition": (getattr(event, "partition", None) if event is not None else None)
        or partition_from_tags(meta.get("job_tags") or {}),
    }
    if event is not None:
        fields["event_type"] = event.event_type_value
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            fields["error"] = error.message
    return fields


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "name": dg.Field(str, is_required=False, default_value="dagster"),
    },
    description="JSON lines on stderr: run id, job, step, asset, partition and the project's counts.",
)
def json_lines_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    # Same config as Dagster's console logger, so run configs that set its level still apply.
    config = init_context.logger_config
    level = logging.getLevelNamesMapping().get(config["log_level"].upper())
    if level is None:
        raise ValueError(f"json_lines_logger: unknown log_level {config['log_level']!r}")
    logger = logging.Logger(config["name"], level=level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter())
    logger.addHandler(handler)
    return logger


def run_loggers(env: Mapping[str, str] | None = None) -> dict[str, dg.LoggerDefinition] | None:
    """The code location's default loggers: the JSON one in Dagster's ``console`` slot when
    PIPELINE_LOG_FORMAT says json, else Dagster's default (None)."""
    return {"console": json_lines_logger} if log_format(env) == "json" else None
