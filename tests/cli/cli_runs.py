"""Running `vfi` in-process from the CLI tests. Imported as `cli_runs` (pytest puts this folder on
sys.path)."""

from __future__ import annotations

from vfi.cli.app import main


def run_cli(args, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `vfi ARGS` run in-process."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, pattern):
    """A failed run printed exactly one `vfi: error:` line holding `pattern`, and no traceback."""
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vfi: error:") and pattern in lines[0], lines[0]
    assert "Traceback" not in err
