"""What a run-failure alert says, as plain data and text: no Dagster, no network."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# An error is shown whole up to this size: enough for a message and its causes, not for a
# runaway one to make the mail or the Slack message unreadable (Slack refuses >40k characters).
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class StepFailure:
    step: str
    error: str


@dataclass(frozen=True)
class FailureAlert:
    run_id: str
    job: str
    partition: str | None
    steps: Sequence[StepFailure]
    run_error: str | None  # the run's own failure message, for a run that failed outside any step
    run_url: str | None

    @property
    def subject(self) -> str:
        where = f" for {self.partition}" if self.partition else ""
        steps = f" at {', '.join(s.step for s in self.steps)}" if self.steps else ""
        return f"[pipeline-assets] run {self.run_id} of {self.job} failed{where}{steps}"

    @property
    def text(self) -> str:
        lines = [
            f"Run: {self.run_id}",
            f"Job: {self.job}",
            f"Partition: {self.partition or '(none)'}",
        ]
        if self.run_url:
            lines.append(f"Link: {self.run_url}")
        if self.steps:
            lines.append("")
            lines.append("Failed steps:")
            for failure in self.steps:
                lines.append(f"- {failure.step}: {failure.error}")
        if self.run_error and not self.steps:
            lines += ["", f"Error: {self.run_error}"]
        return "\n".join(lines)


def partition_from_tags(tags: Mapping[str, str]) -> str | None:
    """The run's partition: one day, or a range as ``start...end`` (the CLI's spelling)."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start and end:
        return start if start == end else f"{start}...{end}"
    return None


def run_url(base_url: str | None, run_id: str) -> str | None:
    """The run's page in the Dagster UI served at ``base_url``, if one is configured."""
    return f"{base_url.rstrip('/')}/runs/{run_id}" if base_url else None


def error_text(messages: Sequence[str]) -> str:
    """An error and its causes on one line each, cut to a readable size."""
    text = " | caused by: ".join(m.strip() for m in messages if m and m.strip())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
