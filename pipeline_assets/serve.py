"""Start Dagster's long-running processes with the log format PIPELINE_LOG_FORMAT chooses.

    python -m pipeline_assets.serve daemon -w workspace.yaml
    python -m pipeline_assets.serve code-server -m pipeline_assets.definitions --host 0.0.0.0 --port 4000

The daemon, the code server and the webserver configure their own loggers from `--log-format`
(`colored`, `json`), not from the instance's `python_logs` (that reaches run logs only). The code
server and webserver also read it from `DAGSTER_CLI_*`/`DAGSTER_WEBSERVER_*` variables, the daemon
does not; so this sets both, then replaces itself with the Dagster command (same pid: signals and
exit codes are Dagster's own). Runs log through the code location's loggers (`log_format.py`).
"""

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline_assets.log_format import LOG_FORMAT_ENV, log_format

COMMANDS = {
    "daemon": ["dagster-daemon", "run"],
    "code-server": ["dagster", "code-server", "start"],
    "grpc": ["dagster", "api", "grpc"],
    "webserver": ["dagster-webserver"],
}
# A code server starts its gRPC server as a child `dagster api grpc`, which reads only its own variable.
FORMAT_VARIABLES = (
    "DAGSTER_CLI_CODE_SERVER_START_LOG_FORMAT",
    "DAGSTER_CLI_API_GRPC_LOG_FORMAT",
    "DAGSTER_WEBSERVER_LOG_FORMAT",
)


def dagster_command(process: str, args: Sequence[str], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start ``process`` logging in the chosen format."""
    if process not in COMMANDS:
        raise ValueError(f"unknown process {process!r}: one of {', '.join(COMMANDS)}")
    dagster_format = "json" if log_format(env) == "json" else "colored"
    program, *subcommand = COMMANDS[process]
    argv = [_script(program), *subcommand]
    if process == "daemon":
        argv += ["--log-format", dagster_format]
    return [*argv, *args], {**env, **dict.fromkeys(FORMAT_VARIABLES, dagster_format)}


def _script(program: str) -> str:
    """The console script of this interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / program
    return str(beside) if beside.exists() else program


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), f"\n\nprocesses: {', '.join(COMMANDS)}; {LOG_FORMAT_ENV}=text|json", file=sys.stderr)
        sys.exit(0 if argv else 2)
    try:
        command, env = dagster_command(argv[0], argv[1:], os.environ)
    except ValueError as error:
        sys.exit(f"pipeline_assets.serve: {error}")
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
