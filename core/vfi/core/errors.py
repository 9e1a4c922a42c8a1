"""Errors a user can cause, raised as one typed exception with a message that says what to do.

The CLI catches `VfiError`, prints its message on one line and exits non-zero, so every message
must stand on its own: what is wrong, with which path or value, and how to fix it.

Messages speak the library's language: they name the function parameters involved (``factor``,
``precision``), never a command-line flag. An error lists those names in `parameters`; the CLI
writes each one as the flag of the command that was run (``factor`` -> ``--factor``), so
`str(error)` reads right for a Python caller and the CLI's line reads right for a shell user.
"""

from __future__ import annotations

import re


class VfiError(Exception):
    """Base class of every error caused by user input or environment (not by a bug).

    Args:
        message: the whole message, one line.
        parameters: names of the library parameters the message mentions as words (for example
            ``"input_fps"``); a front end may show them in its own spelling (`rendered`).
    """

    exit_code = 2

    def __init__(self, message: str = "", *parameters: str):
        super().__init__(message)
        self.parameters: tuple[str, ...] = tuple(parameters)

    def rendered(self, spelling: dict[str, str]) -> str:
        """The message with each of `parameters` that `spelling` knows replaced by its spelling
        (whole words only; a name inside a path, a file name or a longer word is left alone)."""
        text = str(self)
        for name in self.parameters:
            if name in spelling:
                text = re.sub(rf"(?<![\w./-]){re.escape(name)}(?![\w/-]|\.\w)", spelling[name], text)
        return text


class InputError(VfiError):
    """A path, video, frame folder, shape or option value the toolkit cannot use."""


class OutputError(InputError):
    """An output path that cannot be written: a read-only folder or file system, a pseudo file
    system such as /proc, a file where a folder is needed, a full disk, or a failed final rename.
    The message names the path and what the system said."""


class CheckpointError(VfiError):
    """A checkpoint that is missing, corrupt, or does not match the model its card names."""


class WeightsMissing(VfiError):
    """Pretrained weights that have not been imported into the cache yet."""


class BackendUnavailable(VfiError):
    """A runtime backend, device or precision that this machine cannot provide."""


class ExportError(VfiError):
    """An ONNX export or exported graph that would run wrongly on its target (refused by lint)."""


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal: SIGINT, SIGTERM or SIGHUP (raised in the main thread by the
    CLI's handlers). A `KeyboardInterrupt`, so every clean-up path written for Ctrl-C (temporary
    outputs, pipeline threads, writers) runs for the other signals too.

    Args:
        signum: the signal's number.
    """

    def __init__(self, signum: int):
        import signal

        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process stopped by it (130, 143, 129)."""
        return 128 + self.signum
