"""The `vfi` command line. Each command lives in `cli/vfi/cli/commands/<name>.py` and imports its heavy
dependencies inside the command function, so `vfi --help` stays instant."""

from __future__ import annotations

import sys

import typer

from vfi.cli.commands import bench, build, demo, doctor, export, interpolate, models, weights
from vfi.cli.commands import eval as eval_cmd
from vfi.cli.commands import report
from vfi.cli.commands import train as train_cmd

app = typer.Typer(
    name="vfi",
    help="Video frame interpolation: models, custom ops, export, engines, benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("models")(models.models_command)
app.command("doctor")(doctor.doctor_command)
app.command("interpolate")(interpolate.interpolate_command)
app.command("demo")(demo.demo_command)
app.command("export")(export.export_command)
app.command("build")(build.build_command)
app.command("bench")(bench.bench_command)
app.command("eval")(eval_cmd.eval_command)
app.command("report")(report.report_command)
app.command("train")(train_cmd.train_command)
app.add_typer(weights.app, name="weights")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Returns normally on success (so tests can call it in-process). User errors (`VfiError`) become
    one line on stderr and exit code 2; command-line usage errors are reported by typer, exit code 2.
    """
    from vfi.core.errors import VfiError

    try:
        app(args=argv, prog_name="vfi")
    except SystemExit as exc:
        # typer's standalone mode ends every run with SystemExit; success is not an exit here.
        if exc.code not in (0, None):
            raise
    except VfiError as exc:
        print(f"vfi: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("vfi: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
