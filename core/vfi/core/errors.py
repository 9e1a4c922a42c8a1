"""Errors a user can cause, raised as one typed exception with a message that says what to do.

The CLI catches `VfiError`, prints its message on one line and exits non-zero, so every message
must stand on its own: what is wrong, with which path or value, and how to fix it.
"""


class VfiError(Exception):
    """Base class of every error caused by user input or environment (not by a bug)."""

    exit_code = 2


class InputError(VfiError):
    """A path, video, frame folder, shape or option value the toolkit cannot use."""


class CheckpointError(VfiError):
    """A checkpoint that is missing, corrupt, or does not match the model its card names."""


class WeightsMissing(VfiError):
    """Pretrained weights that have not been imported into the cache yet."""


class BackendUnavailable(VfiError):
    """A runtime backend, device or precision that this machine cannot provide."""


class ExportError(VfiError):
    """An ONNX export or exported graph that would run wrongly on its target (refused by lint)."""
