"""The `vfi` command line. Each command lives in `vfi/cli/commands/<name>.py` and imports its
heavy dependencies inside the command function, so `vfi --help` stays instant.

The library speaks its own language: an error names the function parameters it is about
(`vfi.core.errors.VfiError.parameters`). `main` writes them as the flags of the command that ran
(``input_fps`` -> ``--input-fps``), so the message a shell user reads names what they can type.

SIGINT, SIGTERM and SIGHUP stop every command alike (`StopSignals`): the signal is raised as
`vfi.core.errors.Interrupted` in the main thread, the clean-up paths written for Ctrl-C run (no
temporary output or created folder is left), and `main` prints ``vfi: interrupted`` and exits
128 + the signal's number (130, 143, 129). `vfi serve` installs its own handlers while it runs.
"""

from __future__ import annotations

import signal
import sys
import threading

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


#: signals that stop a command the way Ctrl-C does
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class StopSignals:
    """While entered, SIGINT, SIGTERM and SIGHUP raise `Interrupted` in the main thread.

    Only the first signal raises; later ones are ignored, so that the clean-up the first one
    started (removing temporary outputs, joining the pipeline's threads) is not cut short. A
    signal the process was started with ignored (``nohup`` ignores SIGHUP) stays ignored. On exit
    the previous handlers are restored, so in-process callers (tests) are left as they were.
    Outside the main thread (where Python cannot install handlers) it does nothing.

    Attributes:
        signum: the first signal received, or None.
    """

    def __init__(self, signals: tuple[int, ...] = STOP_SIGNALS):
        self.signals = signals
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in self.signals:
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN:
                continue
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, previous in self._previous.items():
            # None: a handler not installed from Python; the default is the nearest to it.
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous = {}

    def _handle(self, signum: int, _frame) -> None:
        from vfi.core.errors import Interrupted

        if self.signum is not None:
            return  # the run is already stopping
        self.signum = signum
        raise Interrupted(signum)


def _caused_by_interrupt(exc: BaseException) -> bool:
    """True when `exc` is, or was raised while handling, a KeyboardInterrupt (typer turns one
    into ``SystemExit(130)`` and prints nothing)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Returns normally on success (so tests can call it in-process). User errors (`VfiError`) become
    one line on stderr, with library parameters written as this command's flags, and exit code 2;
    command-line usage errors are reported by typer, exit code 2. A run stopped by SIGINT, SIGTERM
    or SIGHUP prints ``vfi: interrupted`` and exits 128 + the signal's number.
    """
    from vfi.core.errors import VfiError

    args = list(sys.argv[1:] if argv is None else argv)
    stop = StopSignals()
    interrupted = False
    try:
        with stop:
            try:
                app(args=[str(a) for a in args], prog_name="vfi")
            except SystemExit as exc:
                # typer's standalone mode ends every run with SystemExit; success is not an exit
                # here. typer swallows a KeyboardInterrupt into SystemExit(130), silently.
                if exc.code not in (0, None) and not _caused_by_interrupt(exc):
                    raise
                interrupted = exc.code not in (0, None)
    except VfiError as exc:
        if stop.signum is None:
            print(f"vfi: error: {exc.rendered(flag_spelling([str(a) for a in args]))}", file=sys.stderr)
            sys.exit(exc.exit_code)
        interrupted = True
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        if stop.signum is None:
            raise
        interrupted = True  # whatever the signal's unwinding became, the run was stopped by it
    if interrupted or stop.signum is not None:
        print("vfi: interrupted", file=sys.stderr)
        sys.exit(128 + (stop.signum or signal.SIGINT))


if __name__ == "__main__":
    main()
