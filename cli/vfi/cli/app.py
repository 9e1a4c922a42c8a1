"""The `vfi` command line. Each command lives in `vfi/cli/commands/<name>.py` and imports its
heavy dependencies inside the command function, so `vfi --help` stays instant.

The library speaks its own language: an error names the function parameters it is about
(`vfi.core.errors.VfiError.parameters`). `main` writes them as the flags of the command that ran
(``input_fps`` -> ``--input-fps``), so the message a shell user reads names what they can type.
"""

from __future__ import annotations

import sys

import typer

from vfi.cli.commands import bench, build, demo, doctor, export, interpolate, models, report, serve, weights
from vfi.cli.commands import eval as eval_cmd
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
app.command("serve")(serve.serve_command)
app.add_typer(weights.app, name="weights")

#: library parameter -> flag, where a command's flag is not the parameter's own name
PARAMETER_FLAGS = {
    "build": build.PARAMETER_FLAGS,
    "export": export.PARAMETER_FLAGS,
    "train": train_cmd.PARAMETER_FLAGS,
    "serve": serve.PARAMETER_FLAGS,
}


def flag_spelling(argv: list[str]) -> dict[str, str]:
    """Library parameter name -> the flag of the command named first in `argv` that sets it; {}
    when no command can be told. (Positional arguments keep the library's word.)"""
    # typer ships its own click, so commands are told apart by what they have, not by class.
    names = [a for a in argv if not a.startswith("-")]
    group = typer.main.get_command(app)
    command = None
    for name in names:
        command = group.get_command(None, name) if hasattr(group, "get_command") else None
        if command is None:
            break
        if hasattr(command, "get_command"):
            group = command
            continue
        break
    if command is None or hasattr(command, "get_command"):
        return {}
    spelling = {}
    for param in command.params:
        if param.param_type_name == "option":
            flag = max(param.opts, key=len)
            spelling[param.name] = flag
            spelling[flag.lstrip("-").replace("-", "_")] = flag
    spelling.update(PARAMETER_FLAGS.get(command.name, {}))
    return spelling


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Returns normally on success (so tests can call it in-process). User errors (`VfiError`) become
    one line on stderr, with library parameters written as this command's flags, and exit code 2;
    command-line usage errors are reported by typer, exit code 2.
    """
    from vfi.core.errors import VfiError

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=[str(a) for a in args], prog_name="vfi")
    except SystemExit as exc:
        # typer's standalone mode ends every run with SystemExit; success is not an exit here.
        if exc.code not in (0, None):
            raise
    except VfiError as exc:
        print(f"vfi: error: {exc.rendered(flag_spelling([str(a) for a in args]))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("vfi: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
